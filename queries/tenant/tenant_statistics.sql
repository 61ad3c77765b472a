-- name: CountPlatform :one
-- The counters of the core tables; the other areas' counters come from their own code.
SELECT (SELECT count(*) FROM tenants)::bigint AS tenants,
       (SELECT count(*) FROM apps WHERE deleted_at IS NULL)::bigint AS apps,
       (SELECT count(*) FROM im_accounts m JOIN apps a ON a.id = m.app_id
        WHERE m.deleted_at IS NULL AND a.deleted_at IS NULL)::bigint AS im_accounts;

-- name: CountPushesSent :one
-- Push send requests, whatever became of their deliveries.
SELECT count(*)::bigint FROM pushes;
