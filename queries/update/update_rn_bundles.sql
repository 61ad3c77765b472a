-- name: InsertRnBundle :one
INSERT INTO rn_bundles (app_id, platform, module_id, version, min_app_version, max_app_version,
                        mandatory, description, sha256, size, file_name, rollout_percent, package_hash,
                        expo_config, signed)
VALUES (sqlc.arg(app_id), sqlc.arg(platform), sqlc.arg(module_id), sqlc.arg(version),
        sqlc.arg(min_app_version), sqlc.narg(max_app_version), sqlc.arg(mandatory),
        sqlc.arg(description), sqlc.arg(sha256), sqlc.arg(size), sqlc.arg(file_name),
        sqlc.arg(rollout_percent), sqlc.narg(package_hash), sqlc.narg(expo_config), sqlc.arg(signed))
RETURNING *;

-- name: RnBundleExists :one
SELECT EXISTS (SELECT 1 FROM rn_bundles
               WHERE app_id = sqlc.arg(app_id) AND platform = sqlc.arg(platform)
                 AND module_id = sqlc.arg(module_id) AND version = sqlc.arg(version));

-- name: GetRnBundle :one
SELECT * FROM rn_bundles WHERE id = sqlc.arg(id);

-- name: GetRnBundleByVersion :one
SELECT * FROM rn_bundles
WHERE app_id = sqlc.arg(app_id) AND platform = sqlc.arg(platform)
  AND module_id = sqlc.arg(module_id) AND version = sqlc.arg(version);

-- name: PublishRnBundle :one
UPDATE rn_bundles
SET published_at = CASE WHEN status = 'PUBLISHED' THEN published_at ELSE now() END,
    status = 'PUBLISHED',
    rollout_percent = coalesce(sqlc.narg(rollout_percent), rollout_percent)
WHERE id = sqlc.arg(id)
RETURNING *;

-- name: WithdrawRnBundle :one
UPDATE rn_bundles SET status = 'WITHDRAWN' WHERE id = sqlc.arg(id) RETURNING *;

-- name: SetRnBundleRollout :one
UPDATE rn_bundles SET rollout_percent = sqlc.arg(rollout_percent) WHERE id = sqlc.arg(id) RETURNING *;

-- name: ListRnBundles :many
SELECT * FROM rn_bundles
WHERE app_id = sqlc.arg(app_id)
  AND (sqlc.narg(platform)::text IS NULL OR platform = sqlc.narg(platform))
  AND (sqlc.narg(module_id)::text IS NULL OR module_id = sqlc.narg(module_id))
  AND (sqlc.narg(status)::text IS NULL OR status = sqlc.narg(status))
ORDER BY created_at DESC, id DESC
LIMIT sqlc.arg(lim) OFFSET sqlc.arg(off);

-- name: CountRnBundles :one
SELECT count(*) FROM rn_bundles
WHERE app_id = sqlc.arg(app_id)
  AND (sqlc.narg(platform)::text IS NULL OR platform = sqlc.narg(platform))
  AND (sqlc.narg(module_id)::text IS NULL OR module_id = sqlc.narg(module_id))
  AND (sqlc.narg(status)::text IS NULL OR status = sqlc.narg(status));

-- name: ListOfferableRnBundles :many
SELECT * FROM rn_bundles WHERE app_id = sqlc.arg(app_id) AND status <> 'DRAFT';

-- name: LockPublishedRnBundles :many
-- The module's PUBLISHED bundles, locked for a rollback.
SELECT * FROM rn_bundles
WHERE app_id = sqlc.arg(app_id) AND platform = sqlc.arg(platform) AND module_id = sqlc.arg(module_id)
  AND status = 'PUBLISHED'
FOR UPDATE;
