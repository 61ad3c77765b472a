-- name: EnsureChat :one
-- The chat of a pair or group, created with no message when there is none yet, and
-- locked: a transaction that then creates the caller's conversation row or changes the
-- chat is ordered with the sends to it, which lock it first too (taking it second, after
-- a conversation row a send waits for, could deadlock). Unlike DO NOTHING, DO UPDATE
-- returns the row that a concurrent transaction has just inserted.
INSERT INTO im_chats (app_id, chat_type, chat_key) VALUES (@app_id, @chat_type, @chat_key)
ON CONFLICT (app_id, chat_type, chat_key) DO UPDATE SET chat_key = excluded.chat_key
RETURNING id, last_seq;

-- name: GetChat :one
SELECT id, last_seq FROM im_chats WHERE app_id = @app_id AND chat_type = @chat_type AND chat_key = @chat_key;

-- name: LockChat :one
-- Serialises membership changes and read marks of a group with its sends.
SELECT id, last_seq, event_seq FROM im_chats WHERE id = @id FOR UPDATE;
