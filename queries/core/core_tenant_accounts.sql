-- name: GetAccountForAuth :one
SELECT a.id, a.tenant_id, a.role, a.status, a.tokens_valid_after, t.status AS tenant_status
FROM tenant_accounts a
JOIN tenants t ON t.id = a.tenant_id
WHERE a.id = $1;
