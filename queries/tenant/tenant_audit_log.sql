-- name: InsertAuditEntry :exec
INSERT INTO audit_log (actor_kind, actor_id, tenant_id, action, target_type, target_id, detail, client_ip)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8);

-- name: ListAuditEntries :many
-- Newest first; tenant_id NULL lists every tenant's.
SELECT id, actor_kind, actor_id, tenant_id, action, target_type, target_id, detail, client_ip, created_at
FROM audit_log
WHERE sqlc.narg(tenant_id)::bigint IS NULL OR tenant_id = sqlc.narg(tenant_id)
ORDER BY id DESC LIMIT sqlc.arg(max_rows);
