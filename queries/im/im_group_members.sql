-- name: AddGroupMembers :many
-- The users who were not members yet, now members with role.
INSERT INTO im_group_members (app_id, group_id, user_id, role)
SELECT @app_id::bigint, @group_id::text, u, @role::text FROM unnest(@user_ids::text[]) AS u
ON CONFLICT DO NOTHING
RETURNING user_id;

-- name: RemoveGroupMember :execrows
DELETE FROM im_group_members WHERE app_id = @app_id AND group_id = @group_id AND user_id = @user_id;

-- name: RemoveAllGroupMembers :exec
DELETE FROM im_group_members WHERE app_id = @app_id AND group_id = @group_id;

-- name: GetGroupMemberRole :one
SELECT role FROM im_group_members WHERE app_id = @app_id AND group_id = @group_id AND user_id = @user_id;

-- name: ListGroupMemberIDs :many
SELECT user_id FROM im_group_members WHERE app_id = @app_id AND group_id = @group_id ORDER BY user_id;

-- name: ListGroupMembers :many
-- Owner first, then admins, then by the time they joined; keyword (lower-cased, NULL: all)
-- filters on the user id and nickname.
SELECT m.user_id, coalesce(a.nickname, '')::text AS nickname, coalesce(a.avatar_url, '')::text AS avatar_url,
       m.role, m.joined_at
FROM im_group_members m
LEFT JOIN im_accounts a ON a.app_id = m.app_id AND a.user_id = m.user_id
WHERE m.app_id = @app_id AND m.group_id = @group_id
  AND (sqlc.narg(keyword)::text IS NULL
       OR lower(m.user_id || ' ' || coalesce(a.nickname, '')) LIKE '%' || sqlc.narg(keyword) || '%')
ORDER BY CASE m.role WHEN 'OWNER' THEN 0 WHEN 'ADMIN' THEN 1 ELSE 2 END, m.joined_at, m.user_id
LIMIT @max_rows OFFSET @skip_rows;

-- name: CountGroupMembers :one
SELECT count(*)
FROM im_group_members m
LEFT JOIN im_accounts a ON a.app_id = m.app_id AND a.user_id = m.user_id
WHERE m.app_id = @app_id AND m.group_id = @group_id
  AND (sqlc.narg(keyword)::text IS NULL
       OR lower(m.user_id || ' ' || coalesce(a.nickname, '')) LIKE '%' || sqlc.narg(keyword) || '%');
