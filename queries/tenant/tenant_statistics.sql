-- name: CountPlatform :one
-- The counters of the core tables; the other areas' counters come from their own code.
SELECT (SELECT count(*) FROM tenants)::bigint AS tenants,
       (SELECT count(*) FROM apps WHERE deleted_at IS NULL)::bigint AS apps,
       (SELECT count(*) FROM im_accounts m JOIN apps a ON a.id = m.app_id
        WHERE m.deleted_at IS NULL AND a.deleted_at IS NULL)::bigint AS im_accounts;

-- name: CountPushesSent :one
-- Push send requests, whatever became of their deliveries.
SELECT count(*)::bigint FROM pushes;

-- name: CountMessagesSince :one
SELECT count(*)::bigint FROM im_messages WHERE created_at >= sqlc.arg(since)::timestamptz;

-- name: CountLiveGroups :one
SELECT count(*)::bigint FROM im_groups WHERE dissolved_at IS NULL;

-- name: CountFiles :one
SELECT count(*)::bigint FROM files;

-- name: CountBytesStored :one
-- Every distinct blob once: uploaded files, APKs and bundles share one content-addressed store.
SELECT coalesce(sum(size), 0)::bigint FROM (
    SELECT hash AS sha256, size FROM files
    UNION SELECT sha256, size FROM app_versions WHERE sha256 IS NOT NULL
    UNION SELECT sha256, size FROM rn_bundles
) blobs;

-- name: CountAllAppVersions :one
SELECT count(*)::bigint FROM app_versions;

-- name: CountAllRnBundles :one
SELECT count(*)::bigint FROM rn_bundles;
