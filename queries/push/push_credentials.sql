-- name: UpsertPushCredential :one
INSERT INTO push_credentials (app_id, vendor, sealed, fingerprint, settings)
VALUES (sqlc.arg(app_id), sqlc.arg(vendor), sqlc.arg(sealed), sqlc.arg(fingerprint), sqlc.arg(settings))
ON CONFLICT (app_id, vendor) DO UPDATE
SET sealed = EXCLUDED.sealed, fingerprint = EXCLUDED.fingerprint, settings = EXCLUDED.settings, updated_at = now()
RETURNING *;

-- name: GetPushCredential :one
SELECT * FROM push_credentials WHERE app_id = sqlc.arg(app_id) AND vendor = sqlc.arg(vendor);

-- name: ListPushCredentials :many
SELECT * FROM push_credentials WHERE app_id = sqlc.arg(app_id) ORDER BY vendor;

-- name: DeletePushCredential :execrows
DELETE FROM push_credentials WHERE app_id = sqlc.arg(app_id) AND vendor = sqlc.arg(vendor);

-- name: GetPushApp :one
-- The app the tenant routes name by numeric id.
SELECT id, tenant_id, app_key FROM apps WHERE id = sqlc.arg(id);
