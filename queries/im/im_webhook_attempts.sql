-- name: InsertWebhookAttempt :exec
INSERT INTO im_webhook_attempts (webhook_id, delivery_id, event, attempt, success, http_status, error, duration_ms)
VALUES (@webhook_id, @delivery_id, @event, @attempt, @success, sqlc.narg(http_status), @error, @duration_ms);

-- name: ListWebhookAttempts :many
SELECT * FROM im_webhook_attempts WHERE webhook_id = @webhook_id
ORDER BY id DESC
LIMIT @max_rows OFFSET @skip_rows;

-- name: CountWebhookAttempts :one
SELECT count(*) FROM im_webhook_attempts WHERE webhook_id = @webhook_id;
