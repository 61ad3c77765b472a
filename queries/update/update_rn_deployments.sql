-- name: InsertRnDeployment :one
INSERT INTO rn_deployments (app_id, platform, module_id, name, key_hash, key_hint)
VALUES (sqlc.arg(app_id), sqlc.arg(platform), sqlc.arg(module_id), sqlc.arg(name), sqlc.arg(key_hash), sqlc.arg(key_hint))
ON CONFLICT (app_id, platform, module_id, name) DO NOTHING
RETURNING *;

-- name: GetRnDeployment :one
SELECT * FROM rn_deployments WHERE id = sqlc.arg(id);

-- name: GetRnDeploymentByName :one
SELECT * FROM rn_deployments
WHERE app_id = sqlc.arg(app_id) AND platform = sqlc.arg(platform) AND module_id = sqlc.arg(module_id) AND name = sqlc.arg(name);

-- name: LockRnDeployment :one
SELECT * FROM rn_deployments WHERE id = sqlc.arg(id) FOR UPDATE;

-- name: TakeRnDeploymentLabel :one
-- The deployment's next label number; the caller holds the row's lock.
UPDATE rn_deployments SET next_label = next_label + 1 WHERE id = sqlc.arg(id) RETURNING next_label - 1;

-- name: ListRnDeployments :many
SELECT * FROM rn_deployments
WHERE app_id = sqlc.arg(app_id)
  AND (sqlc.narg(platform)::text IS NULL OR platform = sqlc.narg(platform))
  AND (sqlc.narg(module_id)::text IS NULL OR module_id = sqlc.narg(module_id))
ORDER BY platform, module_id, id;

-- name: RotateRnDeploymentKey :one
UPDATE rn_deployments SET key_hash = sqlc.arg(key_hash), key_hint = sqlc.arg(key_hint), key_rotated_at = now()
WHERE id = sqlc.arg(id)
RETURNING *;

-- name: DeleteRnDeployment :exec
DELETE FROM rn_deployments WHERE id = sqlc.arg(id);

-- name: GetRnDeploymentByKey :one
-- The deployment a client's key names, with what decides whether it may be served.
SELECT d.*, a.app_key, a.tenant_id, t.status AS tenant_status, s.enabled AS service_enabled
FROM rn_deployments d
JOIN apps a ON a.id = d.app_id AND a.deleted_at IS NULL
JOIN tenants t ON t.id = a.tenant_id
LEFT JOIN app_services s ON s.app_id = a.id AND s.service_type = 'UPDATE'
WHERE d.key_hash = sqlc.arg(key_hash);
