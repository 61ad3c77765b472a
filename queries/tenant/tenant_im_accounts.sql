-- name: InsertDemoIMAccount :exec
-- The demo users; an account that exists (or was deleted) is left alone.
INSERT INTO im_accounts (app_id, user_id, nickname) VALUES ($1, $2, $3)
ON CONFLICT (app_id, user_id) DO NOTHING;
