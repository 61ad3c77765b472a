-- name: AddPresenceConnectionsOfApps :exec
INSERT INTO presence_connections (app_id, user_id, instance_id)
SELECT (sqlc.arg(app_ids)::bigint[])[i], (sqlc.arg(user_ids)::text[])[i], sqlc.arg(instance_id)::uuid
FROM generate_subscripts(sqlc.arg(app_ids)::bigint[], 1) AS i
ON CONFLICT DO NOTHING;

-- name: RemovePresenceConnectionsOfApps :exec
DELETE FROM presence_connections c
USING (SELECT (sqlc.arg(app_ids)::bigint[])[i] AS a, (sqlc.arg(user_ids)::text[])[i] AS u
       FROM generate_subscripts(sqlc.arg(app_ids)::bigint[], 1) AS i) AS x
WHERE c.instance_id = sqlc.arg(instance_id) AND c.app_id = x.a AND c.user_id = x.u;

-- name: OnlineUsersOfApps :many
-- Of the users (app_ids[i], user_ids[i]), those with a connection on an instance seen within
-- the expiry.
SELECT DISTINCT c.app_id, c.user_id FROM presence_connections c
JOIN presence_instances i ON i.id = c.instance_id
WHERE (c.app_id, c.user_id) IN (SELECT unnest(sqlc.arg(app_ids)::bigint[]), unnest(sqlc.arg(user_ids)::text[]))
  AND i.seen_at >= now() - sqlc.arg(expiry_seconds)::int * interval '1 second';

-- name: CountOnlineUsers :one
-- The users with a connection on an instance seen within the expiry, every app's.
SELECT count(*) FROM (
    SELECT DISTINCT c.app_id, c.user_id FROM presence_connections c
    JOIN presence_instances i ON i.id = c.instance_id
    WHERE i.seen_at >= now() - sqlc.arg(expiry_seconds)::int * interval '1 second'
) AS online;
