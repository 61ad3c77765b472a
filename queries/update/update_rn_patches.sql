-- name: GetRnPatchTarget :one
-- A release with what its patches are made from: its bundle's file and hashes, and the launch
-- asset when the bundle is an Expo export.
SELECT r.id, r.deployment_id, d.platform, b.sha256, b.size, coalesce(b.package_hash, b.sha256)::text AS package_hash,
       x.sha256 AS launch_sha256, x.size AS launch_size
FROM rn_releases r
LEFT JOIN rn_expo_assets x ON x.bundle_id = r.bundle_id AND x.launch
JOIN rn_deployments d ON d.id = r.deployment_id
JOIN rn_bundles b ON b.id = r.bundle_id
WHERE r.id = sqlc.arg(id);

-- name: ListRnPatchBases :many
-- The live bases of a release: the enabled releases made before it in its deployment, newest
-- first, with their bundles.
SELECT r.id, b.sha256, b.size, coalesce(b.package_hash, b.sha256)::text AS package_hash,
       x.sha256 AS launch_sha256
FROM rn_releases r JOIN rn_bundles b ON b.id = r.bundle_id
LEFT JOIN rn_expo_assets x ON x.bundle_id = r.bundle_id AND x.launch
WHERE r.deployment_id = sqlc.arg(deployment_id) AND r.id < sqlc.arg(before_id) AND NOT r.disabled
ORDER BY r.id DESC;

-- name: InsertRnPatch :exec
INSERT INTO rn_patches (release_id, base_release_id, kind, base_hash, target_hash, sha256, size)
VALUES (sqlc.arg(release_id), sqlc.narg(base_release_id), sqlc.arg(kind), sqlc.arg(base_hash),
        sqlc.arg(target_hash), sqlc.arg(sha256), sqlc.arg(size))
ON CONFLICT (release_id, kind, base_hash) DO NOTHING;

-- name: GetRnPatch :one
SELECT * FROM rn_patches
WHERE release_id = sqlc.arg(release_id) AND kind = sqlc.arg(kind) AND base_hash = sqlc.arg(base_hash);

-- name: ListRnPatches :many
SELECT * FROM rn_patches WHERE release_id = sqlc.arg(release_id) ORDER BY id;

-- name: RnPatchOfApp :one
-- Whether a stored patch belongs to a release of the app: its download is public by hash.
SELECT EXISTS (
    SELECT 1 FROM rn_patches p
    JOIN rn_releases r ON r.id = p.release_id
    JOIN rn_deployments d ON d.id = r.deployment_id
    WHERE d.app_id = sqlc.arg(app_id) AND p.sha256 = sqlc.arg(sha256)
);

-- name: GetRnBsdiffPatchOfApp :one
-- The app's bsdiff patch from one launch asset to another.
SELECT p.* FROM rn_patches p
JOIN rn_releases r ON r.id = p.release_id
JOIN rn_deployments d ON d.id = r.deployment_id
WHERE d.app_id = sqlc.arg(app_id) AND p.kind = 'BSDIFF'
  AND p.base_hash = sqlc.arg(base_hash) AND p.target_hash = sqlc.arg(target_hash)
LIMIT 1;

-- name: GetRnExpoLaunchOfUpdate :one
-- The launch asset of the app's Expo update an id names.
SELECT x.sha256 FROM rn_releases r
JOIN rn_deployments d ON d.id = r.deployment_id
JOIN rn_expo_assets x ON x.bundle_id = r.bundle_id AND x.launch
WHERE d.app_id = sqlc.arg(app_id) AND r.expo_update_id = sqlc.arg(expo_update_id)
LIMIT 1;
