-- A conversation is listed when it has a message after the user deleted it (or he never
-- did), or, not deleted, when it is pinned or has a draft.

-- name: ListConversations :many
SELECT uc.chat_type, uc.target_id, uc.read_seq, uc.pinned, uc.draft,
       greatest(uc.updated_at, c.last_at)::timestamptz AS updated_at,
       (SELECT count(*) FROM im_messages u
        WHERE u.chat_id = uc.chat_id AND u.seq > uc.read_seq AND u.from_id <> uc.user_id) AS unread_count,
       lm.id AS last_id, lm.seq AS last_seq, lm.from_id AS last_from_id, lm.to_id AS last_to_id,
       lm.msg_type AS last_msg_type, lm.content AS last_content, lm.client_msg_id AS last_client_msg_id,
       lm.created_at AS last_created_at, lm.edited_at AS last_edited_at, lm.revoked_at AS last_revoked_at,
       (CASE WHEN uc.chat_type = 'GROUP' AND lm.id IS NOT NULL THEN
           (SELECT count(*) FROM im_user_conversations r
            WHERE r.chat_id = uc.chat_id AND r.read_seq >= lm.seq AND r.user_id <> lm.from_id)
        ELSE 0 END)::integer AS last_group_read_count
FROM im_user_conversations uc
JOIN im_chats c ON c.id = uc.chat_id
LEFT JOIN im_messages lm ON lm.chat_id = c.id AND lm.seq = c.last_seq
WHERE uc.app_id = @app_id AND uc.user_id = @user_id
  AND (c.last_seq > coalesce(uc.deleted_seq, 0) OR (uc.deleted_seq IS NULL AND (uc.pinned OR uc.draft <> '')))
ORDER BY uc.pinned DESC, greatest(uc.updated_at, c.last_at) DESC, uc.chat_id DESC
LIMIT @max_rows OFFSET @skip_rows;

-- name: CountConversations :one
SELECT count(*)
FROM im_user_conversations uc
JOIN im_chats c ON c.id = uc.chat_id
WHERE uc.app_id = @app_id AND uc.user_id = @user_id
  AND (c.last_seq > coalesce(uc.deleted_seq, 0) OR (uc.deleted_seq IS NULL AND (uc.pinned OR uc.draft <> '')));

-- name: GetConversation :one
SELECT uc.chat_type, uc.target_id, uc.chat_id, uc.read_seq, uc.pinned, uc.draft,
       greatest(uc.updated_at, c.last_at)::timestamptz AS updated_at, c.last_seq,
       (c.last_seq > coalesce(uc.deleted_seq, 0) OR (uc.deleted_seq IS NULL AND (uc.pinned OR uc.draft <> '')))::boolean AS listed,
       (SELECT count(*) FROM im_messages u
        WHERE u.chat_id = uc.chat_id AND u.seq > uc.read_seq AND u.from_id <> uc.user_id) AS unread_count
FROM im_user_conversations uc
JOIN im_chats c ON c.id = uc.chat_id
WHERE uc.app_id = @app_id AND uc.user_id = @user_id AND uc.chat_type = @chat_type AND uc.target_id = @target_id;

-- name: GetConversationForUpdate :one
SELECT chat_id, read_seq FROM im_user_conversations
WHERE app_id = @app_id AND user_id = @user_id AND chat_type = @chat_type AND target_id = @target_id
FOR UPDATE;

-- name: InsertConversations :exec
-- Conversation rows for users (of a group joined, or of a pair pinned before any message),
-- their read mark at read_seq; existing rows stay as they are.
INSERT INTO im_user_conversations (app_id, user_id, chat_type, target_id, chat_id, read_seq)
SELECT @app_id::bigint, u, @chat_type::text, @target_id::text, @chat_id::bigint, @read_seq::bigint
FROM unnest(@user_ids::text[]) AS u
ON CONFLICT DO NOTHING;

-- name: InsertPairConversation :exec
INSERT INTO im_user_conversations (app_id, user_id, chat_type, target_id, chat_id)
VALUES (@app_id, @user_id, 'SINGLE', @target_id, @chat_id)
ON CONFLICT DO NOTHING;

-- name: DeleteGroupConversations :exec
DELETE FROM im_user_conversations
WHERE app_id = @app_id AND chat_type = 'GROUP' AND target_id = @group_id AND user_id = ANY(@user_ids::text[]);

-- name: DeleteAllGroupConversations :exec
DELETE FROM im_user_conversations WHERE app_id = @app_id AND chat_type = 'GROUP' AND target_id = @group_id;

-- name: SetConversationPinned :exec
UPDATE im_user_conversations
SET pinned = @pinned, deleted_seq = CASE WHEN @pinned::boolean THEN NULL ELSE deleted_seq END, updated_at = now()
WHERE app_id = @app_id AND user_id = @user_id AND chat_type = @chat_type AND target_id = @target_id;

-- name: SetConversationDraft :exec
UPDATE im_user_conversations
SET draft = @draft, deleted_seq = CASE WHEN @draft::text <> '' THEN NULL ELSE deleted_seq END, updated_at = now()
WHERE app_id = @app_id AND user_id = @user_id AND chat_type = @chat_type AND target_id = @target_id;

-- name: DeleteConversation :execrows
-- Hides a listed conversation until its next message, and marks it read.
UPDATE im_user_conversations uc
SET deleted_seq = c.last_seq, read_seq = greatest(uc.read_seq, c.last_seq), pinned = false, draft = '', updated_at = now()
FROM im_chats c
WHERE c.id = uc.chat_id
  AND uc.app_id = @app_id AND uc.user_id = @user_id AND uc.chat_type = @chat_type AND uc.target_id = @target_id
  AND (c.last_seq > coalesce(uc.deleted_seq, 0) OR (uc.deleted_seq IS NULL AND (uc.pinned OR uc.draft <> '')));

-- name: SetReadSeq :exec
UPDATE im_user_conversations SET read_seq = @read_seq
WHERE app_id = @app_id AND user_id = @user_id AND chat_type = @chat_type AND target_id = @target_id;

-- name: CountUnread :one
SELECT count(*) FROM im_messages WHERE chat_id = @chat_id AND seq > @read_seq AND from_id <> @user_id::text;
