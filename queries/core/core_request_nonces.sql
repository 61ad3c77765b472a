-- name: UseRequestNonce :execrows
-- One row per (app, nonce) until its request's timestamp plus the window: 0 rows affected
-- means a replay.
INSERT INTO request_nonces (app_id, nonce, expires_at) VALUES ($1, $2, $3)
ON CONFLICT (app_id, nonce) DO NOTHING;

-- name: DeleteExpiredRequestNonces :execrows
DELETE FROM request_nonces WHERE expires_at < sqlc.arg(before)::timestamptz;
