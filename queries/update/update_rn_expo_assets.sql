-- name: InsertRnExpoAsset :exec
INSERT INTO rn_expo_assets (bundle_id, position, launch, asset_key, sha256, size, content_type, file_extension)
VALUES (sqlc.arg(bundle_id), sqlc.arg(position), sqlc.arg(launch), sqlc.arg(asset_key), sqlc.arg(sha256),
        sqlc.arg(size), sqlc.arg(content_type), sqlc.arg(file_extension));

-- name: ListRnExpoAssets :many
-- An Expo update's files, the launch asset first.
SELECT * FROM rn_expo_assets WHERE bundle_id = sqlc.arg(bundle_id) ORDER BY position;

-- name: GetRnExpoAssetOfApp :one
-- An asset of one of the app's Expo updates, by its SHA-256: what the asset route serves.
SELECT x.content_type, x.size
FROM rn_expo_assets x JOIN rn_bundles b ON b.id = x.bundle_id
WHERE b.app_id = sqlc.arg(app_id) AND x.sha256 = sqlc.arg(sha256)
LIMIT 1;
