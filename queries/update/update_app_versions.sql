-- name: InsertAppVersion :one
INSERT INTO app_versions (app_id, platform, version_code, version_name, changelog, force_update,
                          min_supported_version_code, store_url, sha256, size, rollout_percent)
VALUES (sqlc.arg(app_id), sqlc.arg(platform), sqlc.arg(version_code), sqlc.arg(version_name),
        sqlc.arg(changelog), sqlc.arg(force_update), sqlc.narg(min_supported_version_code),
        sqlc.narg(store_url), sqlc.narg(sha256), sqlc.narg(size), sqlc.arg(rollout_percent))
RETURNING *;

-- name: AppVersionExists :one
SELECT EXISTS (SELECT 1 FROM app_versions
               WHERE app_id = sqlc.arg(app_id) AND platform = sqlc.arg(platform) AND version_code = sqlc.arg(version_code));

-- name: GetAppVersion :one
SELECT * FROM app_versions WHERE id = sqlc.arg(id);

-- name: PublishAppVersion :one
-- published_at changes only when the version becomes PUBLISHED; a PUBLISHED one keeps it.
UPDATE app_versions
SET published_at = CASE WHEN status = 'PUBLISHED' THEN published_at ELSE now() END,
    status = 'PUBLISHED',
    rollout_percent = coalesce(sqlc.narg(rollout_percent), rollout_percent)
WHERE id = sqlc.arg(id)
RETURNING *;

-- name: WithdrawAppVersion :one
UPDATE app_versions SET status = 'WITHDRAWN' WHERE id = sqlc.arg(id) RETURNING *;

-- name: SetAppVersionRollout :one
UPDATE app_versions SET rollout_percent = sqlc.arg(rollout_percent) WHERE id = sqlc.arg(id) RETURNING *;

-- name: ListAppVersions :many
SELECT * FROM app_versions
WHERE app_id = sqlc.arg(app_id)
  AND (sqlc.narg(platform)::text IS NULL OR platform = sqlc.narg(platform))
  AND (sqlc.narg(status)::text IS NULL OR status = sqlc.narg(status))
ORDER BY version_code DESC, id DESC
LIMIT sqlc.arg(lim) OFFSET sqlc.arg(off);

-- name: CountAppVersions :one
SELECT count(*) FROM app_versions
WHERE app_id = sqlc.arg(app_id)
  AND (sqlc.narg(platform)::text IS NULL OR platform = sqlc.narg(platform))
  AND (sqlc.narg(status)::text IS NULL OR status = sqlc.narg(status));

-- name: ListOfferableAppVersions :many
-- What the check route may need: every version ever published (PUBLISHED or WITHDRAWN).
SELECT * FROM app_versions WHERE app_id = sqlc.arg(app_id) AND status <> 'DRAFT';

-- name: GetAppVersionByCode :one
SELECT * FROM app_versions
WHERE app_id = sqlc.arg(app_id) AND platform = sqlc.arg(platform) AND version_code = sqlc.arg(version_code);
