-- name: ListMessagesToIndex :many
-- The messages the search indexer has not looked at: those after its cursor, in id order,
-- and those it missed before (gap_ids), with what search finds in them.
SELECT id, app_id, chat_id, created_at, search_text FROM (
    (SELECT m.id, m.app_id, m.chat_id, m.created_at, m.search_text FROM im_messages m
     WHERE m.id > @after_id ORDER BY m.id LIMIT @max_rows)
    UNION ALL
    SELECT m.id, m.app_id, m.chat_id, m.created_at, m.search_text FROM im_messages m
    WHERE m.id = ANY (@gap_ids::bigint[]) AND m.id <= @after_id
) AS t
ORDER BY id;

-- name: InsertMessageSearch :exec
-- Index entries of a batch of messages (grams of message n joined by spaces: grams hold
-- none). An entry there already was written by an edit, which knows better.
INSERT INTO im_message_search (message_id, app_id, chat_id, created_at, grams)
SELECT unnest(@message_ids::bigint[]), unnest(@app_ids::bigint[]), unnest(@chat_ids::bigint[]),
       unnest(@created_ats::timestamptz[]), string_to_array(unnest(@grams::text[]), ' ')
ON CONFLICT (message_id) DO NOTHING;

-- name: UpsertMessageSearch :exec
-- The index entry of an edited message, whether or not the indexer has reached it.
INSERT INTO im_message_search (message_id, app_id, chat_id, created_at, grams)
VALUES (@message_id, @app_id, @chat_id, @created_at, @grams::text[])
ON CONFLICT (message_id) DO UPDATE SET grams = excluded.grams;

-- name: DeleteMessageSearch :exec
DELETE FROM im_message_search WHERE message_id = @message_id;
