-- name: InsertTenant :one
INSERT INTO tenants (name, email) VALUES ($1, $2) RETURNING id, created_at;

-- name: GetTenant :one
SELECT t.id, t.name, t.email, t.status, t.created_at,
       (SELECT count(*) FROM apps a WHERE a.tenant_id = t.id AND a.deleted_at IS NULL)::bigint AS app_count
FROM tenants t WHERE t.id = $1;

-- name: LockTenant :one
SELECT status FROM tenants WHERE id = $1 FOR UPDATE;

-- name: SetTenantStatus :exec
UPDATE tenants SET status = $2, updated_at = now() WHERE id = $1;

-- name: ListTenants :many
-- Newest first; keyword matches the name or the main account's address, status filters.
SELECT t.id, t.name, t.email, t.status, t.created_at,
       (SELECT count(*) FROM apps a WHERE a.tenant_id = t.id AND a.deleted_at IS NULL)::bigint AS app_count
FROM tenants t
WHERE (sqlc.arg(pattern)::text = '' OR t.name ILIKE sqlc.arg(pattern) OR t.email ILIKE sqlc.arg(pattern))
  AND (sqlc.arg(status)::text = '' OR t.status = sqlc.arg(status))
ORDER BY t.created_at DESC, t.id DESC
LIMIT sqlc.arg(lim) OFFSET sqlc.arg(off);

-- name: CountTenants :one
SELECT count(*)::bigint FROM tenants t
WHERE (sqlc.arg(pattern)::text = '' OR t.name ILIKE sqlc.arg(pattern) OR t.email ILIKE sqlc.arg(pattern))
  AND (sqlc.arg(status)::text = '' OR t.status = sqlc.arg(status));
