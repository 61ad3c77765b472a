-- name: InsertAppService :exec
-- A missing service of an app; an existing one is left as it is.
INSERT INTO app_services (app_id, service_type, enabled, secret_key) VALUES ($1, $2, true, $3)
ON CONFLICT (app_id, service_type) DO NOTHING;

-- name: ListAppServices :many
-- The services of the given apps, each app's in the order IM, PUSH, FILE, UPDATE.
SELECT * FROM app_services
WHERE app_id = ANY(sqlc.arg(app_ids)::bigint[])
ORDER BY app_id, array_position(ARRAY['IM', 'PUSH', 'FILE', 'UPDATE'], service_type);

-- name: SetAppServiceEnabled :one
UPDATE app_services SET enabled = $3, updated_at = now()
WHERE app_id = $1 AND service_type = $2
RETURNING *;

-- name: SetAppServiceKey :one
UPDATE app_services SET secret_key = $3, updated_at = now()
WHERE app_id = $1 AND id = $2
RETURNING *;

-- name: ListUnsealedServiceKeys :many
-- Service keys stored before sealing existed ('v1:' starts a sealed value).
SELECT id, app_id, service_type, secret_key FROM app_services WHERE secret_key NOT LIKE 'v1:%' ORDER BY id;

-- name: SealAppServiceKey :exec
-- Replaces a plaintext service key by its sealed form unless it changed meanwhile.
UPDATE app_services SET secret_key = sqlc.arg(sealed) WHERE id = sqlc.arg(id) AND secret_key = sqlc.arg(plain);
