-- name: GetAppForUpdate :one
-- The app a release belongs to, with its tenant's status and the UPDATE service's switch.
SELECT a.id, a.tenant_id, a.app_key, a.deleted_at, t.status AS tenant_status, s.enabled AS service_enabled
FROM apps a
JOIN tenants t ON t.id = a.tenant_id
LEFT JOIN app_services s ON s.app_id = a.id AND s.service_type = 'UPDATE'
WHERE a.id = sqlc.arg(id);
