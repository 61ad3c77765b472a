-- name: InsertPush :one
INSERT INTO pushes (app_id, user_ids, title, body, data, badge, sound, ttl_seconds, created_at)
VALUES (sqlc.arg(app_id), sqlc.arg(user_ids), sqlc.arg(title), sqlc.arg(body), sqlc.arg(data),
        sqlc.narg(badge), sqlc.arg(sound), sqlc.narg(ttl_seconds), sqlc.arg(created_at))
RETURNING id, created_at;

-- name: SetPushCounts :exec
UPDATE pushes SET devices = sqlc.arg(devices), accepted = sqlc.arg(accepted), failed = sqlc.arg(failed)
WHERE id = sqlc.arg(id);

-- name: NthLatestPushOfApp :one
-- The created_at of the app's n-th latest push since since (n counted from 1); no row when it
-- sent fewer. With n the limit, the app may send again once this push leaves the window.
SELECT created_at FROM pushes
WHERE app_id = sqlc.arg(app_id) AND created_at > sqlc.arg(since)
ORDER BY created_at DESC
OFFSET sqlc.arg(n)::int - 1 LIMIT 1;
