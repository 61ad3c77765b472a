-- name: BeatPresenceInstance :one
-- The instance is alive. True when its row was (re)created: its first beat, or one after
-- another instance purged it as silent, whose connections must then be written again.
INSERT INTO presence_instances (id) VALUES (sqlc.arg(id))
ON CONFLICT (id) DO UPDATE SET seen_at = now()
RETURNING (xmax = 0)::boolean AS created;

-- name: DeletePresenceInstance :exec
DELETE FROM presence_instances WHERE id = sqlc.arg(id);

-- name: PurgePresenceInstances :execrows
-- Instances silent for long (crashed), with their connections. OnlineUsers ignores them
-- long before.
DELETE FROM presence_instances WHERE seen_at < now() - sqlc.arg(expiry_seconds)::int * interval '1 second';
