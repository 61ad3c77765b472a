-- name: EnsureChat :one
-- The chat of a pair or group, created with no message when there is none yet.
WITH ins AS (
    INSERT INTO im_chats (app_id, chat_type, chat_key) VALUES (@app_id, @chat_type, @chat_key)
    ON CONFLICT (app_id, chat_type, chat_key) DO NOTHING
    RETURNING id, last_seq
)
SELECT id, last_seq FROM ins
UNION ALL
SELECT id, last_seq FROM im_chats WHERE app_id = @app_id AND chat_type = @chat_type AND chat_key = @chat_key
LIMIT 1;

-- name: GetChat :one
SELECT id, last_seq FROM im_chats WHERE app_id = @app_id AND chat_type = @chat_type AND chat_key = @chat_key;

-- name: LockChat :one
-- Serialises membership changes and read marks of a group with its sends.
SELECT id, last_seq FROM im_chats WHERE id = @id FOR UPDATE;
