-- name: InsertGroupJoinRequest :one
-- No row when the user has an open request for the group already.
INSERT INTO im_group_join_requests (app_id, group_id, user_id, remark, status, handled_by, handled_at)
VALUES (@app_id, @group_id, @user_id, @remark, @status, sqlc.narg(handled_by),
        CASE WHEN @status::text = 'PENDING' THEN NULL ELSE now() END)
ON CONFLICT DO NOTHING
RETURNING *;

-- name: LockGroupJoinRequest :one
SELECT * FROM im_group_join_requests WHERE app_id = @app_id AND group_id = @group_id AND id = @id FOR UPDATE;

-- name: HandleGroupJoinRequest :one
UPDATE im_group_join_requests SET status = @status, handled_by = @handled_by, handled_at = now()
WHERE id = @id
RETURNING *;

-- name: ListPendingGroupJoinRequests :many
SELECT * FROM im_group_join_requests
WHERE app_id = @app_id AND group_id = @group_id AND status = 'PENDING'
ORDER BY id
LIMIT @max_rows OFFSET @skip_rows;

-- name: CountPendingGroupJoinRequests :one
SELECT count(*) FROM im_group_join_requests
WHERE app_id = @app_id AND group_id = @group_id AND status = 'PENDING';
