-- name: InsertPushDeliveries :copyfrom
INSERT INTO push_deliveries (push_id, device_id, user_id, vendor, device_token, status, reason)
VALUES ($1, $2, $3, $4, $5, $6, $7);

-- name: ListPushDeliveries :many
SELECT * FROM push_deliveries WHERE push_id = sqlc.arg(push_id) ORDER BY device_id
LIMIT sqlc.arg(max_rows) OFFSET sqlc.arg(skip);

-- name: ListQueuedPushDeliveries :many
-- The deliveries of a job that are still to be done.
SELECT * FROM push_deliveries
WHERE push_id = sqlc.arg(push_id) AND device_id = ANY (sqlc.arg(device_ids)::bigint[]) AND status = 'QUEUED'
ORDER BY device_id;

-- name: RecordPushDeliveries :many
-- What a worker's attempt did, one row per device; a delivery already finished (by an
-- earlier attempt of the same job) is left alone. Returns the rows changed.
UPDATE push_deliveries d
SET status = r.status, reason = r.reason, provider_id = r.provider_id,
    attempts = d.attempts + 1, updated_at = now()
FROM (SELECT (sqlc.arg(device_ids)::bigint[])[i] AS device_id, (sqlc.arg(statuses)::text[])[i] AS status,
             (sqlc.arg(reasons)::text[])[i] AS reason, (sqlc.arg(provider_ids)::text[])[i] AS provider_id
      FROM generate_subscripts(sqlc.arg(device_ids)::bigint[], 1) AS i) AS r
WHERE d.push_id = sqlc.arg(push_id) AND d.device_id = r.device_id AND d.status = 'QUEUED'
RETURNING d.device_id, d.status;
