-- name: AddGroupMembers :many
-- The users who were not members yet, now members with role, joined at the group event
-- seq joined_seq (the event that adds them).
INSERT INTO im_group_members (app_id, group_id, user_id, role, joined_seq)
SELECT @app_id::bigint, @group_id::text, u, @role::text, @joined_seq::bigint FROM unnest(@user_ids::text[]) AS u
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
       m.role, m.joined_at, m.muted_until
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

-- name: GetGroupMemberSet :one
-- A group's members and the group event seq of their latest change, read together, for the
-- instances' cached member sets.
SELECT c.members_seq,
       coalesce((SELECT array_agg(m.user_id ORDER BY m.user_id) FROM im_group_members m
                 WHERE m.app_id = c.app_id AND m.group_id = c.chat_key), '{}')::text[] AS user_ids
FROM im_chats c
WHERE c.app_id = @app_id AND c.chat_type = 'GROUP' AND c.chat_key = @group_id;

-- name: ListUserGroupSeqs :many
-- Every group of the user: the group event seq he joined at, and the group's latest.
SELECT m.group_id, m.joined_seq, c.event_seq
FROM im_group_members m
JOIN im_chats c ON c.app_id = m.app_id AND c.chat_type = 'GROUP' AND c.chat_key = m.group_id
WHERE m.app_id = @app_id AND m.user_id = @user_id
ORDER BY m.group_id;

-- name: ListGroupManagerIDs :many
-- The owner and admins of a group: who handles its join requests.
SELECT user_id FROM im_group_members
WHERE app_id = @app_id AND group_id = @group_id AND role IN ('OWNER', 'ADMIN')
ORDER BY user_id;

-- name: SetGroupMemberRole :execrows
UPDATE im_group_members SET role = @role WHERE app_id = @app_id AND group_id = @group_id AND user_id = @user_id;

-- name: SetGroupMemberMute :execrows
UPDATE im_group_members SET muted_until = sqlc.narg(muted_until)
WHERE app_id = @app_id AND group_id = @group_id AND user_id = @user_id;

-- name: GetGroupSpeaker :one
-- What decides whether a member may post now: his role, his mute and the group's.
SELECT m.role, m.muted_until, g.muted_all
FROM im_group_members m JOIN im_groups g ON g.app_id = m.app_id AND g.group_id = m.group_id
WHERE m.app_id = @app_id AND m.group_id = @group_id AND m.user_id = @user_id;

-- name: GetGroupMember :one
-- One member as the member list shows him.
SELECT m.user_id, coalesce(a.nickname, '')::text AS nickname, coalesce(a.avatar_url, '')::text AS avatar_url,
       m.role, m.joined_at, m.muted_until
FROM im_group_members m
LEFT JOIN im_accounts a ON a.app_id = m.app_id AND a.user_id = m.user_id
WHERE m.app_id = @app_id AND m.group_id = @group_id AND m.user_id = @user_id;

-- name: ListMembersOfGroups :many
-- The members of several groups at once: group i is (app_ids[i], group_ids[i]).
SELECT gm.app_id, gm.group_id, gm.user_id
FROM im_group_members gm
WHERE (gm.app_id, gm.group_id) IN (SELECT unnest(@app_ids::bigint[]), unnest(@group_ids::text[]));
