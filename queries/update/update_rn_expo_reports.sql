-- name: InsertRnExpoReport :one
-- The first report of a client install on a release; none when it has reported already.
INSERT INTO rn_expo_reports (release_id, client_id, failed)
VALUES (sqlc.arg(release_id), sqlc.arg(client_id), sqlc.arg(failed))
ON CONFLICT (release_id, client_id) DO NOTHING
RETURNING failed;

-- name: MarkRnExpoReportFailed :execrows
-- A client install that launched a release and later failed on it: its success becomes a failure.
UPDATE rn_expo_reports SET failed = true, reported_at = now()
WHERE release_id = sqlc.arg(release_id) AND client_id = sqlc.arg(client_id) AND NOT failed;
