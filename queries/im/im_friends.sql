-- name: AddFriendship :exec
-- Both sides of a friendship; a side that exists already is kept.
INSERT INTO im_friends (app_id, user_id, friend_id, remark)
VALUES (@app_id, @a, @b, @remark), (@app_id, @b, @a, @remark)
ON CONFLICT DO NOTHING;

-- name: DeleteFriendship :execrows
DELETE FROM im_friends
WHERE app_id = @app_id AND ((user_id = @a AND friend_id = @b) OR (user_id = @b AND friend_id = @a));

-- name: AreFriends :one
SELECT EXISTS (SELECT 1 FROM im_friends WHERE app_id = @app_id AND user_id = @user_id AND friend_id = @friend_id);

-- name: ListFriends :many
-- Most recent friendship first; deleted accounts are left out.
SELECT f.friend_id, a.nickname, a.avatar_url, f.remark, f.created_at
FROM im_friends f
JOIN im_accounts a ON a.app_id = f.app_id AND a.user_id = f.friend_id AND a.deleted_at IS NULL
WHERE f.app_id = @app_id AND f.user_id = @user_id
ORDER BY f.created_at DESC, f.friend_id
LIMIT @max_rows OFFSET @skip_rows;

-- name: CountFriends :one
SELECT count(*)
FROM im_friends f
JOIN im_accounts a ON a.app_id = f.app_id AND a.user_id = f.friend_id AND a.deleted_at IS NULL
WHERE f.app_id = @app_id AND f.user_id = @user_id;
