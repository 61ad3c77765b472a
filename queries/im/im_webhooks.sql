-- name: CountWebhooks :one
SELECT count(*) FROM im_webhooks WHERE app_id = @app_id;

-- name: InsertWebhook :one
-- No row when the app has a webhook with this URL.
INSERT INTO im_webhooks (app_id, url, events, enabled, before_send, before_send_timeout_ms, on_timeout)
VALUES (@app_id, @url, @events::text[], @enabled, @before_send, @before_send_timeout_ms, @on_timeout)
ON CONFLICT (app_id, url) DO NOTHING
RETURNING *;

-- name: SetWebhookSecret :one
UPDATE im_webhooks SET secret_sealed = @secret_sealed, secret_hint = @secret_hint, updated_at = now()
WHERE id = @id
RETURNING *;

-- name: GetWebhook :one
SELECT * FROM im_webhooks WHERE app_id = @app_id AND id = @id;

-- name: GetWebhookByID :one
-- For the delivery worker, which knows only the id.
SELECT * FROM im_webhooks WHERE id = @id;

-- name: UpdateWebhook :one
UPDATE im_webhooks SET
    url = coalesce(sqlc.narg(url), url),
    events = coalesce(sqlc.narg(events)::text[], events),
    enabled = coalesce(sqlc.narg(enabled), enabled),
    before_send = coalesce(sqlc.narg(before_send), before_send),
    before_send_timeout_ms = coalesce(sqlc.narg(before_send_timeout_ms), before_send_timeout_ms),
    on_timeout = coalesce(sqlc.narg(on_timeout), on_timeout),
    updated_at = now()
WHERE app_id = @app_id AND id = @id
RETURNING *;

-- name: DeleteWebhook :execrows
DELETE FROM im_webhooks WHERE app_id = @app_id AND id = @id;

-- name: ListWebhooks :many
SELECT * FROM im_webhooks WHERE app_id = @app_id ORDER BY id;
