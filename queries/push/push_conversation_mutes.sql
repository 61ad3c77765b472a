-- name: MuteConversation :exec
INSERT INTO push_conversation_mutes (app_id, user_id, chat_type, target_id)
VALUES (sqlc.arg(app_id), sqlc.arg(user_id), sqlc.arg(chat_type), sqlc.arg(target_id))
ON CONFLICT DO NOTHING;

-- name: UnmuteConversation :exec
DELETE FROM push_conversation_mutes
WHERE app_id = sqlc.arg(app_id) AND user_id = sqlc.arg(user_id) AND chat_type = sqlc.arg(chat_type) AND target_id = sqlc.arg(target_id);

-- name: UsersMutingConversation :many
-- Of user_ids, those who muted the conversation (chat_type, target_id): for a one-to-one
-- message its recipient's target is the sender, for a group message the group.
SELECT user_id FROM push_conversation_mutes
WHERE app_id = sqlc.arg(app_id) AND chat_type = sqlc.arg(chat_type) AND target_id = sqlc.arg(target_id)
  AND user_id = ANY (sqlc.arg(user_ids)::text[]);
