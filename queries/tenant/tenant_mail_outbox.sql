-- name: InsertOutboxMail :exec
INSERT INTO mail_outbox (recipient, subject, body) VALUES ($1, $2, $3);

-- name: ListOutboxMail :many
-- Newest first, for a developer (and the tests) reading what would have been sent.
SELECT id, recipient, subject, body, created_at FROM mail_outbox
WHERE recipient = $1 ORDER BY id DESC LIMIT $2;
