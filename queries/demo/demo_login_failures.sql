-- name: InsertDemoLoginFailure :exec
INSERT INTO demo_login_failures (username, client_addr, failed_at)
VALUES (sqlc.arg(username), sqlc.arg(client_addr), sqlc.arg(failed_at));

-- name: NthLatestDemoLoginFailureByUsername :one
-- The n-th latest failure of username since since (n counted from 1); no row when there are
-- fewer. With n the limit, the caller is blocked until this failure leaves the window.
SELECT failed_at FROM demo_login_failures
WHERE username = sqlc.arg(username) AND failed_at > sqlc.arg(since)
ORDER BY failed_at DESC
OFFSET sqlc.arg(n)::int - 1 LIMIT 1;

-- name: NthLatestDemoLoginFailureByClient :one
SELECT failed_at FROM demo_login_failures
WHERE client_addr = sqlc.arg(client_addr) AND failed_at > sqlc.arg(since)
ORDER BY failed_at DESC
OFFSET sqlc.arg(n)::int - 1 LIMIT 1;

-- name: DeleteDemoLoginFailuresOfUsername :exec
-- A successful login forgives the username's earlier failures (not the address's).
DELETE FROM demo_login_failures WHERE username = sqlc.arg(username);

-- name: DeleteDemoLoginFailuresBefore :exec
DELETE FROM demo_login_failures WHERE failed_at <= sqlc.arg(before);
