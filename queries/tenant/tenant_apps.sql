-- name: InsertApp :one
INSERT INTO apps (tenant_id, app_key, app_secret, name, description)
VALUES ($1, $2, $3, $4, $5)
RETURNING *;

-- name: GetAppByID :one
-- A live app by its numeric id, whoever owns it: the caller decides between 403 and 404.
SELECT * FROM apps WHERE id = $1 AND deleted_at IS NULL;

-- name: FindAppByKey :one
-- The app with this key, deleted or not (a deleted app keeps its key).
SELECT id, tenant_id, deleted_at FROM apps WHERE app_key = $1;

-- name: ListTenantApps :many
SELECT * FROM apps
WHERE tenant_id = sqlc.arg(tenant_id) AND deleted_at IS NULL
  AND (sqlc.arg(pattern)::text = '' OR name ILIKE sqlc.arg(pattern))
ORDER BY created_at DESC, id DESC
LIMIT sqlc.arg(lim) OFFSET sqlc.arg(off);

-- name: CountTenantApps :one
SELECT count(*)::bigint FROM apps
WHERE tenant_id = sqlc.arg(tenant_id) AND deleted_at IS NULL
  AND (sqlc.arg(pattern)::text = '' OR name ILIKE sqlc.arg(pattern));

-- name: UpdateAppDetails :one
-- A NULL description keeps the current one.
UPDATE apps SET name = sqlc.arg(name), description = coalesce(sqlc.narg(description), description), updated_at = now()
WHERE id = sqlc.arg(id) AND deleted_at IS NULL
RETURNING *;

-- name: SetAppSecret :exec
UPDATE apps SET app_secret = $2, updated_at = now() WHERE id = $1 AND deleted_at IS NULL;

-- name: MarkAppDeleted :exec
UPDATE apps SET deleted_at = now(), updated_at = now() WHERE id = $1 AND deleted_at IS NULL;

-- name: LockAppBootstrap :exec
-- Instances starting together create the demo app once: they take turns here.
SELECT pg_advisory_xact_lock(hashtextextended('xuqm:bootstrap:apps', 0));

-- name: ListUnsealedAppSecrets :many
-- AppSecrets stored before sealing existed ('v1:' starts a sealed value), deleted apps included.
SELECT id, app_key, app_secret FROM apps WHERE app_secret NOT LIKE 'v1:%' ORDER BY id;

-- name: SealAppSecret :exec
-- Replaces a plaintext AppSecret by its sealed form unless it changed meanwhile.
UPDATE apps SET app_secret = sqlc.arg(sealed) WHERE id = sqlc.arg(id) AND app_secret = sqlc.arg(plain);
