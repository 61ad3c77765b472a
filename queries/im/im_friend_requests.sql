-- name: InsertFriendRequest :one
-- No row when an open request between the two exists already, either way.
INSERT INTO im_friend_requests (app_id, from_id, to_id, remark)
VALUES (@app_id, @from_id, @to_id, @remark)
ON CONFLICT DO NOTHING
RETURNING *;

-- name: GetPendingFriendRequestBetween :one
SELECT * FROM im_friend_requests
WHERE app_id = @app_id AND least(from_id, to_id) = least(@a::text, @b::text)
  AND greatest(from_id, to_id) = greatest(@a::text, @b::text) AND status = 'PENDING';

-- name: LockFriendRequest :one
SELECT * FROM im_friend_requests WHERE app_id = @app_id AND id = @id FOR UPDATE;

-- name: HandleFriendRequest :one
UPDATE im_friend_requests SET status = @status, handled_at = now()
WHERE id = @id
RETURNING *;

-- name: ListFriendRequests :many
-- The caller's incoming (to_id) or outgoing (from_id) requests, newest first; status NULL: all.
SELECT * FROM im_friend_requests
WHERE app_id = @app_id
  AND CASE WHEN @outgoing::boolean THEN from_id ELSE to_id END = @user_id::text
  AND (sqlc.narg(status)::text IS NULL OR status = sqlc.narg(status))
ORDER BY id DESC
LIMIT @max_rows OFFSET @skip_rows;

-- name: CountFriendRequests :one
SELECT count(*) FROM im_friend_requests
WHERE app_id = @app_id
  AND CASE WHEN @outgoing::boolean THEN from_id ELSE to_id END = @user_id::text
  AND (sqlc.narg(status)::text IS NULL OR status = sqlc.narg(status));
