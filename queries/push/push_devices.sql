-- name: UpsertPushDevice :one
-- Registers a device token for the app; a token registered already moves to this user,
-- platform and vendor and keeps its id.
INSERT INTO push_devices (app_id, user_id, platform, vendor, device_token, token_hash)
VALUES (sqlc.arg(app_id), sqlc.arg(user_id), sqlc.arg(platform), sqlc.arg(vendor), sqlc.arg(device_token), sqlc.arg(token_hash))
ON CONFLICT (app_id, token_hash) DO UPDATE
SET user_id = EXCLUDED.user_id, platform = EXCLUDED.platform, vendor = EXCLUDED.vendor,
    device_token = EXCLUDED.device_token, updated_at = now()
RETURNING *;

-- name: ListPushDevicesOfUsers :many
-- The devices of the app's live accounts among user_ids.
SELECT d.* FROM push_devices d
JOIN im_accounts m ON m.app_id = d.app_id AND m.user_id = d.user_id AND m.deleted_at IS NULL
WHERE d.app_id = sqlc.arg(app_id) AND d.user_id = ANY (sqlc.arg(user_ids)::text[])
ORDER BY d.id;

-- name: DeletePushDevices :exec
-- Unregisters devices whose token the vendor refused as invalid or expired.
DELETE FROM push_devices WHERE app_id = sqlc.arg(app_id) AND id = ANY (sqlc.arg(ids)::bigint[]);
