-- name: MuteConversation :exec
INSERT INTO push_conversation_mutes (app_id, user_id, chat_type, target_id)
VALUES (sqlc.arg(app_id), sqlc.arg(user_id), sqlc.arg(chat_type), sqlc.arg(target_id))
ON CONFLICT DO NOTHING;

-- name: UnmuteConversation :exec
DELETE FROM push_conversation_mutes
WHERE app_id = sqlc.arg(app_id) AND user_id = sqlc.arg(user_id) AND chat_type = sqlc.arg(chat_type) AND target_id = sqlc.arg(target_id);

-- name: ListMutesOfConversations :many
-- Of the conversations (chat_types[i], target_ids[i]) as user_ids[i] of app_ids[i] sees them,
-- those he muted: for a one-to-one message its recipient's target is the sender, for a group
-- message the group.
SELECT m.app_id, m.user_id, m.chat_type, m.target_id FROM push_conversation_mutes m
WHERE (m.app_id, m.user_id, m.chat_type, m.target_id) IN
      (SELECT unnest(@app_ids::bigint[]), unnest(@user_ids::text[]), unnest(@chat_types::text[]), unnest(@target_ids::text[]));
