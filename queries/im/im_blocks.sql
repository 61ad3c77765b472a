-- name: InsertBlock :exec
INSERT INTO im_blocks (app_id, user_id, blocked_id) VALUES (@app_id, @user_id, @blocked_id)
ON CONFLICT DO NOTHING;

-- name: GetBlock :one
SELECT b.blocked_id, coalesce(a.nickname, '')::text AS nickname, coalesce(a.avatar_url, '')::text AS avatar_url, b.created_at
FROM im_blocks b
LEFT JOIN im_accounts a ON a.app_id = b.app_id AND a.user_id = b.blocked_id
WHERE b.app_id = @app_id AND b.user_id = @user_id AND b.blocked_id = @blocked_id;

-- name: DeleteBlock :execrows
DELETE FROM im_blocks WHERE app_id = @app_id AND user_id = @user_id AND blocked_id = @blocked_id;

-- name: IsBlocked :one
-- Whether user_id has blocked blocked_id.
SELECT EXISTS (SELECT 1 FROM im_blocks WHERE app_id = @app_id AND user_id = @user_id AND blocked_id = @blocked_id);

-- name: ListBlockersAmong :many
-- Which of user_ids have blocked blocked_id (group invitations).
SELECT user_id FROM im_blocks
WHERE app_id = @app_id AND blocked_id = @blocked_id AND user_id = ANY (@user_ids::text[])
ORDER BY user_id;

-- name: ListBlocks :many
SELECT b.blocked_id, coalesce(a.nickname, '')::text AS nickname, coalesce(a.avatar_url, '')::text AS avatar_url, b.created_at
FROM im_blocks b
LEFT JOIN im_accounts a ON a.app_id = b.app_id AND a.user_id = b.blocked_id
WHERE b.app_id = @app_id AND b.user_id = @user_id
ORDER BY b.created_at DESC, b.blocked_id
LIMIT @max_rows OFFSET @skip_rows;

-- name: CountBlocks :one
SELECT count(*) FROM im_blocks WHERE app_id = @app_id AND user_id = @user_id;

-- name: GetSinglePermission :one
-- What decides whether from_id may message to_id: whether to_id blocked him, whether the app
-- allows one-to-one messages between friends only, and whether they are friends.
SELECT EXISTS (SELECT 1 FROM im_blocks b WHERE b.app_id = @app_id AND b.user_id = @to_id AND b.blocked_id = @from_id) AS blocked,
       coalesce((SELECT s.friends_only FROM im_app_settings s WHERE s.app_id = @app_id), false)::boolean AS friends_only,
       EXISTS (SELECT 1 FROM im_friends f WHERE f.app_id = @app_id AND f.user_id = @from_id AND f.friend_id = @to_id) AS friends;
