-- name: InsertGroup :execrows
-- 0 rows: the app has a group with this id already (dissolved ones included).
INSERT INTO im_groups (app_id, group_id, name, avatar_url, notice, owner_id, public, join_policy, member_count)
VALUES (@app_id, @group_id, @name, @avatar_url, @notice, @owner_id, @public, @join_policy, @member_count)
ON CONFLICT DO NOTHING;

-- name: GetGroup :one
SELECT g.group_id, g.name, g.avatar_url, g.notice, g.owner_id, g.public, g.join_policy, g.muted_all, g.member_count,
       g.dissolved_at, g.created_at,
       coalesce((SELECT m.role FROM im_group_members m
                 WHERE m.app_id = g.app_id AND m.group_id = g.group_id AND m.user_id = @user_id::text), '')::text AS caller_role
FROM im_groups g WHERE g.app_id = @app_id AND g.group_id = @group_id;

-- name: UpdateGroup :exec
UPDATE im_groups SET
    name = coalesce(sqlc.narg(name), name),
    avatar_url = coalesce(sqlc.narg(avatar_url), avatar_url),
    notice = coalesce(sqlc.narg(notice), notice),
    public = coalesce(sqlc.narg(public), public),
    join_policy = coalesce(sqlc.narg(join_policy), join_policy),
    updated_at = now()
WHERE app_id = @app_id AND group_id = @group_id;

-- name: DissolveGroup :exec
UPDATE im_groups SET dissolved_at = now(), member_count = 0, updated_at = now()
WHERE app_id = @app_id AND group_id = @group_id;

-- name: RecountGroupMembers :exec
UPDATE im_groups g SET member_count = (SELECT count(*) FROM im_group_members m
                                       WHERE m.app_id = g.app_id AND m.group_id = g.group_id), updated_at = now()
WHERE g.app_id = @app_id AND g.group_id = @group_id;

-- name: ListMyGroups :many
SELECT g.group_id, g.name, g.avatar_url, g.notice, g.owner_id, g.public, g.join_policy, g.muted_all, g.member_count, g.created_at
FROM im_groups g
JOIN im_group_members m ON m.app_id = g.app_id AND m.group_id = g.group_id AND m.user_id = @user_id
WHERE g.app_id = @app_id AND g.dissolved_at IS NULL
ORDER BY g.created_at DESC, g.group_id
LIMIT @max_rows OFFSET @skip_rows;

-- name: CountMyGroups :one
SELECT count(*) FROM im_group_members m
JOIN im_groups g ON g.app_id = m.app_id AND g.group_id = m.group_id AND g.dissolved_at IS NULL
WHERE m.app_id = @app_id AND m.user_id = @user_id;

-- name: ListPublicGroups :many
-- keyword is lower-cased; NULL lists them all.
SELECT g.group_id, g.name, g.avatar_url, g.notice, g.owner_id, g.public, g.join_policy, g.muted_all, g.member_count, g.created_at,
       EXISTS (SELECT 1 FROM im_group_members m
               WHERE m.app_id = g.app_id AND m.group_id = g.group_id AND m.user_id = @user_id::text) AS is_member
FROM im_groups g
WHERE g.app_id = @app_id AND g.dissolved_at IS NULL AND g.public
  AND (sqlc.narg(keyword)::text IS NULL OR lower(g.group_id || ' ' || g.name) LIKE '%' || sqlc.narg(keyword) || '%')
ORDER BY g.member_count DESC, g.created_at DESC, g.group_id
LIMIT @max_rows OFFSET @skip_rows;

-- name: CountPublicGroups :one
SELECT count(*) FROM im_groups g
WHERE g.app_id = @app_id AND g.dissolved_at IS NULL AND g.public
  AND (sqlc.narg(keyword)::text IS NULL OR lower(g.group_id || ' ' || g.name) LIKE '%' || sqlc.narg(keyword) || '%');

-- name: SearchGroups :many
-- Public groups and the user's own whose id or name contains keyword (lower-cased, LIKE
-- wildcards escaped), his own first.
SELECT g.group_id, g.name, g.avatar_url, g.notice, g.owner_id, g.public, g.join_policy, g.muted_all, g.member_count, g.created_at,
       EXISTS (SELECT 1 FROM im_group_members m
               WHERE m.app_id = g.app_id AND m.group_id = g.group_id AND m.user_id = @user_id::text)::boolean AS is_member
FROM im_groups g
WHERE g.app_id = @app_id AND g.dissolved_at IS NULL
  AND lower(g.group_id || ' ' || g.name) LIKE '%' || @keyword::text || '%'
  AND (g.public OR EXISTS (SELECT 1 FROM im_group_members m
                           WHERE m.app_id = g.app_id AND m.group_id = g.group_id AND m.user_id = @user_id))
ORDER BY is_member DESC, g.member_count DESC, g.group_id
LIMIT @max_rows OFFSET @skip_rows;

-- name: CountSearchGroups :one
SELECT count(*) FROM im_groups g
WHERE g.app_id = @app_id AND g.dissolved_at IS NULL
  AND lower(g.group_id || ' ' || g.name) LIKE '%' || @keyword::text || '%'
  AND (g.public OR EXISTS (SELECT 1 FROM im_group_members m
                           WHERE m.app_id = g.app_id AND m.group_id = g.group_id AND m.user_id = @user_id::text));

-- name: AdminListGroups :many
-- The app's groups, newest first; pattern (an ILIKE pattern, NULL: all) on groupId or name.
SELECT group_id, name, owner_id, member_count, created_at, dissolved_at
FROM im_groups
WHERE app_id = @app_id AND (@include_dissolved::boolean OR dissolved_at IS NULL)
  AND (sqlc.narg(pattern)::text IS NULL OR group_id ILIKE sqlc.narg(pattern) OR name ILIKE sqlc.narg(pattern))
ORDER BY created_at DESC, group_id
LIMIT @max_rows OFFSET @skip_rows;

-- name: AdminCountGroups :one
SELECT count(*) FROM im_groups
WHERE app_id = @app_id AND (@include_dissolved::boolean OR dissolved_at IS NULL)
  AND (sqlc.narg(pattern)::text IS NULL OR group_id ILIKE sqlc.narg(pattern) OR name ILIKE sqlc.narg(pattern));

-- name: GetGroupRules :one
SELECT join_policy, muted_all, member_count FROM im_groups WHERE app_id = @app_id AND group_id = @group_id;

-- name: SetGroupRules :exec
UPDATE im_groups SET
    join_policy = coalesce(sqlc.narg(join_policy), join_policy),
    muted_all = coalesce(sqlc.narg(muted_all), muted_all),
    updated_at = now()
WHERE app_id = @app_id AND group_id = @group_id;

-- name: SetGroupOwner :exec
UPDATE im_groups SET owner_id = @owner_id, updated_at = now() WHERE app_id = @app_id AND group_id = @group_id;
