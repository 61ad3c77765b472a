-- name: GetImSettings :one
-- The app's settings, the defaults when it has no row.
SELECT coalesce((SELECT s.friends_only FROM im_app_settings s WHERE s.app_id = @app_id), false)::boolean AS friends_only;

-- name: UpsertImSettings :one
INSERT INTO im_app_settings (app_id, friends_only) VALUES (@app_id, coalesce(sqlc.narg(friends_only)::boolean, false))
ON CONFLICT (app_id) DO UPDATE SET
    friends_only = coalesce(sqlc.narg(friends_only)::boolean, im_app_settings.friends_only),
    updated_at = now()
RETURNING friends_only;
