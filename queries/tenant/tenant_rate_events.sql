-- name: LockRateBucket :exec
-- Serialises the check and the insert of one bucket until the transaction ends.
SELECT pg_advisory_xact_lock(hashtextextended(sqlc.arg(bucket)::text, 0));

-- name: CountRateEvents :one
-- The events of a bucket inside the window, and the oldest and newest of them.
SELECT count(*)::bigint AS events, coalesce(min(at), sqlc.arg(since)::timestamptz)::timestamptz AS oldest,
       coalesce(max(at), sqlc.arg(since)::timestamptz)::timestamptz AS newest
FROM rate_events WHERE bucket = sqlc.arg(bucket) AND at > sqlc.arg(since)::timestamptz;

-- name: InsertRateEvent :exec
INSERT INTO rate_events (bucket, at) VALUES ($1, $2);

-- name: DeleteRateEvents :exec
DELETE FROM rate_events WHERE bucket = $1;

-- name: DeleteStaleRateEvents :execrows
DELETE FROM rate_events WHERE at < $1;
