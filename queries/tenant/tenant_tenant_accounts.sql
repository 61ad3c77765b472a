-- name: InsertTenantAccount :one
INSERT INTO tenant_accounts (tenant_id, email, name, password_hash, role)
VALUES ($1, $2, $3, $4, $5)
RETURNING id, created_at;

-- name: TenantAccountExists :one
SELECT EXISTS (SELECT 1 FROM tenant_accounts WHERE lower(email) = lower(sqlc.arg(email)::text))::boolean;

-- name: GetTenantAccountByEmail :one
SELECT a.id, a.tenant_id, a.email, a.name, a.password_hash, a.role, a.status,
       t.name AS tenant_name, t.status AS tenant_status
FROM tenant_accounts a JOIN tenants t ON t.id = a.tenant_id
WHERE lower(a.email) = lower(sqlc.arg(email)::text);

-- name: GetTenantAccount :one
SELECT a.id, a.tenant_id, a.email, a.name, a.role, a.status, a.created_at,
       t.name AS tenant_name, t.status AS tenant_status
FROM tenant_accounts a JOIN tenants t ON t.id = a.tenant_id
WHERE a.id = $1;

-- name: SetTenantAccountPassword :exec
-- A new password ends every session issued before it.
UPDATE tenant_accounts SET password_hash = $2, tokens_valid_after = $3, updated_at = now()
WHERE id = $1;

-- name: ListSubAccounts :many
SELECT id, email, name, role, status, created_at FROM tenant_accounts
WHERE tenant_id = $1 AND role <> 'MAIN'
ORDER BY created_at DESC, id DESC
LIMIT $2 OFFSET $3;

-- name: CountSubAccounts :one
SELECT count(*)::bigint FROM tenant_accounts WHERE tenant_id = $1 AND role <> 'MAIN';

-- name: DisableSubAccount :execrows
UPDATE tenant_accounts SET status = 'DISABLED', updated_at = now()
WHERE id = $1 AND tenant_id = $2 AND role <> 'MAIN';
