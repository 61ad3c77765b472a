-- name: PutPasswordReset :exec
-- The new token replaces the account's previous one.
INSERT INTO password_resets (token_hash, account_id, expires_at) VALUES ($1, $2, $3)
ON CONFLICT (account_id) DO UPDATE
SET token_hash = excluded.token_hash, expires_at = excluded.expires_at, used_at = NULL, created_at = now();

-- name: LivePasswordReset :one
-- Whether a token is live, without using it: a cheap look-up before any password is hashed.
SELECT EXISTS (
    SELECT 1 FROM password_resets
    WHERE token_hash = sqlc.arg(token_hash) AND used_at IS NULL AND expires_at > sqlc.arg(now)::timestamptz
)::boolean;

-- name: UsePasswordReset :one
UPDATE password_resets SET used_at = sqlc.arg(now)::timestamptz
WHERE token_hash = sqlc.arg(token_hash) AND used_at IS NULL AND expires_at > sqlc.arg(now)::timestamptz
RETURNING account_id;

-- name: DeleteStalePasswordResets :execrows
DELETE FROM password_resets WHERE expires_at < $1;
