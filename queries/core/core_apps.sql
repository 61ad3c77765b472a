-- name: GetAppForAuth :one
-- The app a request names, with the switch and key of the service the route belongs to
-- (NULL when the route belongs to no service) and, for IM tokens, the caller's account.
SELECT a.id, a.tenant_id, a.app_key, a.app_secret, t.status AS tenant_status,
       s.enabled AS service_enabled, s.secret_key AS service_key,
       m.deleted_at AS account_deleted_at, m.tokens_valid_after AS account_tokens_valid_after,
       (m.user_id IS NOT NULL)::boolean AS account_exists
FROM apps a
JOIN tenants t ON t.id = a.tenant_id
LEFT JOIN app_services s ON s.app_id = a.id AND s.service_type = sqlc.arg(service_type)::text
LEFT JOIN im_accounts m ON m.app_id = a.id AND m.user_id = sqlc.arg(user_id)::text
WHERE a.app_key = sqlc.arg(app_key) AND a.deleted_at IS NULL;

-- name: ListLiveAppsOfTenant :many
SELECT id, app_key FROM apps WHERE tenant_id = $1 AND deleted_at IS NULL ORDER BY id;
