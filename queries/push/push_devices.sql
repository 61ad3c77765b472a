-- name: UpsertPushDevice :one
-- Registers a device token for the app; a token registered already moves to this user,
-- platform and vendor, keeps its id and is active again.
INSERT INTO push_devices (app_id, user_id, platform, vendor, device_token, token_hash)
VALUES (sqlc.arg(app_id), sqlc.arg(user_id), sqlc.arg(platform), sqlc.arg(vendor), sqlc.arg(device_token), sqlc.arg(token_hash))
ON CONFLICT (app_id, token_hash) DO UPDATE
SET user_id = EXCLUDED.user_id, platform = EXCLUDED.platform, vendor = EXCLUDED.vendor,
    device_token = EXCLUDED.device_token, active = true, updated_at = now()
RETURNING *;

-- name: DeleteUserPushDevice :execrows
-- Unregisters the user's own device with this token.
DELETE FROM push_devices
WHERE app_id = sqlc.arg(app_id) AND user_id = sqlc.arg(user_id) AND token_hash = sqlc.arg(token_hash);

-- name: ListUserPushDevices :many
SELECT * FROM push_devices
WHERE app_id = sqlc.arg(app_id) AND user_id = sqlc.arg(user_id)
ORDER BY updated_at DESC, id DESC
LIMIT sqlc.arg(max_rows) OFFSET sqlc.arg(skip);

-- name: CountUserPushDevices :one
SELECT count(*) FROM push_devices WHERE app_id = sqlc.arg(app_id) AND user_id = sqlc.arg(user_id);

-- name: ListPushDevicesOfUsers :many
-- The active devices of the app's live accounts among user_ids.
SELECT d.* FROM push_devices d
JOIN im_accounts m ON m.app_id = d.app_id AND m.user_id = d.user_id AND m.deleted_at IS NULL
WHERE d.app_id = sqlc.arg(app_id) AND d.user_id = ANY (sqlc.arg(user_ids)::text[]) AND d.active
ORDER BY d.id;

-- name: ListPushDevicesByTokens :many
-- The active devices of the app's live accounts whose token hashes are among token_hashes.
SELECT d.* FROM push_devices d
JOIN im_accounts m ON m.app_id = d.app_id AND m.user_id = d.user_id AND m.deleted_at IS NULL
WHERE d.app_id = sqlc.arg(app_id) AND d.token_hash = ANY (sqlc.arg(token_hashes)::text[]) AND d.active
ORDER BY d.id;

-- name: ListPushDevicesByIDs :many
SELECT * FROM push_devices WHERE app_id = sqlc.arg(app_id) AND id = ANY (sqlc.arg(ids)::bigint[]);

-- name: DeactivatePushDevices :exec
-- Devices whose token the vendor says is gone: kept, but no push reaches them until the app
-- registers the token again. Only the token that was refused: one registered since is left.
UPDATE push_devices SET active = false, updated_at = now()
WHERE app_id = sqlc.arg(app_id) AND id = ANY (sqlc.arg(ids)::bigint[]) AND token_hash = ANY (sqlc.arg(token_hashes)::text[]);
