-- name: InsertPush :one
INSERT INTO pushes (app_id, source, user_ids, requested, title, body, data, badge, sound, ttl_seconds, collapse_id, created_at)
VALUES (sqlc.arg(app_id), sqlc.arg(source), sqlc.arg(user_ids), sqlc.arg(requested), sqlc.arg(title), sqlc.arg(body), sqlc.arg(data),
        sqlc.narg(badge), sqlc.arg(sound), sqlc.narg(ttl_seconds), sqlc.arg(collapse_id), sqlc.arg(created_at))
RETURNING id, created_at;

-- name: SetPushDevices :exec
UPDATE pushes SET devices = sqlc.arg(devices) WHERE id = sqlc.arg(id);

-- name: AddPushCounts :exec
-- Deliveries a worker finished.
UPDATE pushes SET accepted = accepted + sqlc.arg(accepted), failed = failed + sqlc.arg(failed)
WHERE id = sqlc.arg(id);

-- name: GetPush :one
SELECT * FROM pushes WHERE id = sqlc.arg(id) AND app_id = sqlc.arg(app_id);

-- name: NthLatestPushOfApp :one
-- The created_at of the app's n-th latest push since since (n counted from 1); no row when it
-- sent fewer. With n the limit, the app may send again once this push leaves the window.
-- Offline pushes of IM messages are not the app's sends.
SELECT created_at FROM pushes
WHERE app_id = sqlc.arg(app_id) AND source = 'API' AND created_at > sqlc.arg(since)
ORDER BY created_at DESC
OFFSET sqlc.arg(n)::int - 1 LIMIT 1;

-- name: ListPushSenderNicknames :many
-- The nicknames of the senders (app_ids[i], user_ids[i]), a push's title.
SELECT a.app_id, a.user_id, a.nickname FROM im_accounts a
WHERE (a.app_id, a.user_id) IN (SELECT unnest(sqlc.arg(app_ids)::bigint[]), unnest(sqlc.arg(user_ids)::text[]));
