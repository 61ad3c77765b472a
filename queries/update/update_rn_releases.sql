-- name: InsertRnRelease :one
INSERT INTO rn_releases (deployment_id, bundle_id, label, target_binary_range, mandatory, description,
                         rollout_percent, disabled, promoted_from, runtime_version)
VALUES (sqlc.arg(deployment_id), sqlc.arg(bundle_id), sqlc.arg(label), sqlc.arg(target_binary_range),
        sqlc.arg(mandatory), sqlc.arg(description), sqlc.arg(rollout_percent), sqlc.arg(disabled),
        sqlc.narg(promoted_from), sqlc.narg(runtime_version))
RETURNING *;

-- name: GetRnRelease :one
-- A release with its deployment's name and app and its bundle's hash and size.
SELECT sqlc.embed(r), d.name AS deployment, d.app_id, coalesce(b.package_hash, b.sha256)::text AS package_hash, b.size,
       b.signed, EXISTS (SELECT 1 FROM rn_expo_assets x WHERE x.bundle_id = b.id) AS expo
FROM rn_releases r
JOIN rn_deployments d ON d.id = r.deployment_id
JOIN rn_bundles b ON b.id = r.bundle_id
WHERE r.id = sqlc.arg(id);

-- name: GetRnReleaseByLabel :one
SELECT * FROM rn_releases WHERE deployment_id = sqlc.arg(deployment_id) AND label = sqlc.arg(label);

-- name: LatestRnRelease :one
SELECT * FROM rn_releases WHERE deployment_id = sqlc.arg(deployment_id) ORDER BY id DESC LIMIT 1;

-- name: UpdateRnRelease :one
UPDATE rn_releases
SET disabled = coalesce(sqlc.narg(disabled), disabled),
    mandatory = coalesce(sqlc.narg(mandatory), mandatory),
    description = coalesce(sqlc.narg(description), description),
    rollout_percent = coalesce(sqlc.narg(rollout_percent), rollout_percent),
    target_binary_range = coalesce(sqlc.narg(target_binary_range), target_binary_range),
    halted_at = CASE WHEN sqlc.narg(disabled)::boolean IS FALSE THEN NULL ELSE halted_at END
WHERE id = sqlc.arg(id)
RETURNING *;

-- name: ListRnReleases :many
SELECT sqlc.embed(r), d.name AS deployment, d.app_id, coalesce(b.package_hash, b.sha256)::text AS package_hash, b.size,
       b.signed, EXISTS (SELECT 1 FROM rn_expo_assets x WHERE x.bundle_id = b.id) AS expo
FROM rn_releases r
JOIN rn_deployments d ON d.id = r.deployment_id
JOIN rn_bundles b ON b.id = r.bundle_id
WHERE r.deployment_id = sqlc.arg(deployment_id)
ORDER BY r.id DESC LIMIT sqlc.arg(lim) OFFSET sqlc.arg(off);

-- name: CountRnReleases :one
SELECT count(*) FROM rn_releases WHERE deployment_id = sqlc.arg(deployment_id);

-- name: ListRnReleaseHistory :many
-- A deployment's releases with their bundles, oldest first: what an update check scans.
SELECT r.id, r.label, r.target_binary_range, r.mandatory, r.description, r.rollout_percent, r.disabled,
       r.created_at, b.id AS bundle_id, b.version, b.sha256, b.size,
       coalesce(b.package_hash, b.sha256)::text AS package_hash, b.signed,
       EXISTS (SELECT 1 FROM rn_expo_assets x WHERE x.bundle_id = b.id) AS expo
FROM rn_releases r JOIN rn_bundles b ON b.id = r.bundle_id
WHERE r.deployment_id = sqlc.arg(deployment_id)
ORDER BY r.id;

-- name: CountRnDownload :execrows
UPDATE rn_releases SET downloads = downloads + 1
WHERE deployment_id = sqlc.arg(deployment_id) AND label = sqlc.arg(label);

-- name: CountRnDeploy :one
-- One deploy report of a release; the row's lock orders the reports, so that the halt check
-- sees each count once.
UPDATE rn_releases
SET installs = installs + 1,
    successes = successes + CASE WHEN sqlc.arg(succeeded)::boolean THEN 1 ELSE 0 END,
    failures = failures + CASE WHEN sqlc.arg(succeeded)::boolean THEN 0 ELSE 1 END
WHERE deployment_id = sqlc.arg(deployment_id) AND label = sqlc.arg(label)
RETURNING *;

-- name: HaltRnRelease :one
UPDATE rn_releases SET disabled = true, halted_at = now()
WHERE id = sqlc.arg(id) AND NOT disabled
RETURNING *;

-- name: GetRnHaltPolicy :one
SELECT * FROM rn_halt_policies WHERE app_id = sqlc.arg(app_id);

-- name: UpsertRnHaltPolicy :one
INSERT INTO rn_halt_policies (app_id, enabled, min_reports, max_failure_percent)
VALUES (sqlc.arg(app_id), sqlc.arg(enabled), sqlc.arg(min_reports), sqlc.arg(max_failure_percent))
ON CONFLICT (app_id) DO UPDATE
SET enabled = excluded.enabled, min_reports = excluded.min_reports,
    max_failure_percent = excluded.max_failure_percent, updated_at = now()
RETURNING *;

-- name: RnBundleReleased :one
-- Whether a bundle went into a deployment: CodePush and Expo clients may then download it.
SELECT EXISTS (SELECT 1 FROM rn_releases WHERE bundle_id = sqlc.arg(bundle_id));

-- name: RnDeploymentTotals :one
-- What clients reported of all of a deployment's releases.
SELECT coalesce(sum(downloads), 0)::bigint AS downloads, coalesce(sum(installs), 0)::bigint AS installs,
       coalesce(sum(successes), 0)::bigint AS successes, coalesce(sum(failures), 0)::bigint AS failures
FROM rn_releases WHERE deployment_id = sqlc.arg(deployment_id);

-- name: ListRnReleaseMetrics :many
SELECT id, label, downloads, installs, successes, failures, disabled, halted_at
FROM rn_releases WHERE deployment_id = sqlc.arg(deployment_id)
ORDER BY id DESC LIMIT sqlc.arg(lim);

-- name: ListRnExpoHistory :many
-- A deployment's releases of Expo updates with their bundles, oldest first: what a manifest
-- request scans.
SELECT r.id, r.label, r.target_binary_range, r.runtime_version, r.rollout_percent, r.disabled,
       r.halted_at, r.created_at, r.expo_update_id, b.id AS bundle_id, b.expo_config
FROM rn_releases r JOIN rn_bundles b ON b.id = r.bundle_id
WHERE r.deployment_id = sqlc.arg(deployment_id)
  AND EXISTS (SELECT 1 FROM rn_expo_assets x WHERE x.bundle_id = b.id)
ORDER BY r.id;

-- name: GetRnReleaseByExpoUpdateID :one
-- The release an Expo client names, among the app's, with its deployment's key facts.
SELECT r.*, d.app_id
FROM rn_releases r JOIN rn_deployments d ON d.id = r.deployment_id
WHERE r.expo_update_id = sqlc.arg(expo_update_id) AND d.app_id = sqlc.arg(app_id);

-- name: CountRnReleaseOutcome :one
-- Adds reports to a release's counts; the row's lock orders them for the halt check.
UPDATE rn_releases
SET installs = installs + sqlc.arg(installs)::bigint,
    successes = successes + sqlc.arg(successes)::bigint,
    failures = failures + sqlc.arg(failures)::bigint
WHERE id = sqlc.arg(id)
RETURNING *;
