-- name: SendSingleMessages :many
-- Stores a batch of one-to-one messages in one statement (a single send is a batch of one,
-- so that the rules of a one-to-one send live here only): each pair's next seqs, the messages, each user's next event seqs with his `message`
-- events, and conversation rows when new. The arrays hold the sends, the n-th send at
-- index n (chat_keys are the pairs' keys; client_msg_ids holds an empty string for none);
-- each row answers send n. A send with no row stored nothing: the receiver is not a live
-- account of the app, has blocked the sender, or the app allows messages between friends
-- only and they are not; or the sender has used client_msg_id already. Two sends of one
-- client_msg_id fail the statement.
--
-- Chats, then users, are locked in sorted order, as every statement that bumps their
-- counters does, so that none deadlock. The sends' columns are read from the arrays where
-- they are stored rather than carried along, and the CTEs' outputs are matched by rank
-- (the k-th chat in sorted order is the k-th element of an array) rather than joined by
-- key: the planner, blind to their sizes, would join them by nested loops, quadratic in
-- the batch. For the same reason the rules are correlated scalar subqueries, not EXISTS:
-- the planner, taking the arrays for a thousand rows, turned an EXISTS into a hash join
-- over every account of every app, a cost that grew with the accounts stored (issue 9);
-- a scalar subquery is one index probe per send, whatever is stored (convs' test for a
-- missing conversation too: as a NOT EXISTS, a generic plan made while im_user_conversations
-- was small read the whole table by a merge anti join, every send, until the next ANALYZE).
-- chats and states are
-- MATERIALIZED: inlined, their aggregate was computed again for every send of the batch.
WITH input AS (
    SELECT n, (@app_ids::bigint[])[n] AS app_id, (@chat_keys::text[])[n] AS chat_key,
           (@from_ids::text[])[n] AS from_id, (@to_ids::text[])[n] AS to_id,
           nullif((@client_msg_ids::text[])[n], '') AS client_msg_id
    FROM generate_subscripts(@app_ids::bigint[], 1) AS n
), accepted AS (
    SELECT i.*,
           dense_rank() OVER (ORDER BY i.app_id, i.chat_key) AS chat_rank,
           count(*) OVER (PARTITION BY i.app_id, i.chat_key) AS chat_count,
           row_number() OVER (PARTITION BY i.app_id, i.chat_key ORDER BY i.n) AS chat_pos
    FROM input i
    WHERE (SELECT a.deleted_at IS NULL FROM im_accounts a WHERE a.app_id = i.app_id AND a.user_id = i.to_id)
      AND (SELECT d.id FROM im_messages d
           WHERE d.app_id = i.app_id AND d.from_id = i.from_id AND d.client_msg_id = i.client_msg_id) IS NULL
      AND (SELECT b.app_id FROM im_blocks b
           WHERE b.app_id = i.app_id AND b.user_id = i.to_id AND b.blocked_id = i.from_id) IS NULL
      AND (NOT coalesce((SELECT st.friends_only FROM im_app_settings st WHERE st.app_id = i.app_id), false)
           OR (SELECT f.app_id FROM im_friends f
               WHERE f.app_id = i.app_id AND f.user_id = i.from_id AND f.friend_id = i.to_id) IS NOT NULL)
), chat AS (
    INSERT INTO im_chats AS c (app_id, chat_type, chat_key, last_seq, last_at)
    SELECT app_id, 'SINGLE', chat_key, count(*), now() FROM accepted
    GROUP BY app_id, chat_key ORDER BY app_id, chat_key
    ON CONFLICT (app_id, chat_type, chat_key) DO UPDATE SET last_seq = c.last_seq + excluded.last_seq, last_at = excluded.last_at
    RETURNING c.id, c.app_id, c.chat_key, c.last_seq
), chats AS MATERIALIZED (
    SELECT array_agg(id ORDER BY app_id, chat_key) AS ids, array_agg(last_seq ORDER BY app_id, chat_key) AS last_seqs FROM chat
), msg AS (
    -- The ids are drawn here, in batch order, so that nothing needs the insert's RETURNING.
    SELECT nextval('im_messages_id_seq') AS id, o.*
    FROM (SELECT a.n, a.app_id, a.from_id, a.to_id, a.client_msg_id, chats.ids[a.chat_rank] AS chat_id,
                 chats.last_seqs[a.chat_rank] - a.chat_count + a.chat_pos AS seq
          FROM accepted a, chats ORDER BY a.n) AS o
), stored AS (
    INSERT INTO im_messages (id, app_id, chat_id, seq, chat_type, from_id, to_id, msg_type, content, client_msg_id,
                             search_text, created_at)
    OVERRIDING SYSTEM VALUE
    SELECT m.id, m.app_id, m.chat_id, m.seq, 'SINGLE', m.from_id, m.to_id, (@msg_types::text[])[m.n],
           (@contents::text[])[m.n], m.client_msg_id, (@search_texts::text[])[m.n], now()
    FROM msg m
), recipients AS (
    SELECT r.n, r.id, r.seq, r.app_id, r.user_id,
           dense_rank() OVER (ORDER BY r.app_id, r.user_id) AS user_rank,
           count(*) OVER (PARTITION BY r.app_id, r.user_id) AS user_count,
           row_number() OVER (PARTITION BY r.app_id, r.user_id ORDER BY r.n) AS user_pos
    FROM (SELECT n, id, seq, app_id, from_id AS user_id FROM msg
          UNION ALL
          SELECT n, id, seq, app_id, to_id FROM msg) AS r
), state AS (
    INSERT INTO im_user_states AS s (app_id, user_id, event_seq)
    SELECT app_id, user_id, count(*) FROM recipients
    GROUP BY app_id, user_id ORDER BY app_id, user_id
    ON CONFLICT (app_id, user_id) DO UPDATE SET event_seq = s.event_seq + excluded.event_seq
    RETURNING s.app_id, s.user_id, s.event_seq
), states AS MATERIALIZED (
    SELECT array_agg(event_seq ORDER BY app_id, user_id) AS event_seqs FROM state
), events AS (
    SELECT r.n, r.id, r.seq, r.app_id, r.user_id, states.event_seqs[r.user_rank] - r.user_count + r.user_pos AS event_seq
    FROM recipients r, states
), stored_events AS (
    INSERT INTO im_user_events (app_id, user_id, seq, type, message_id)
    SELECT app_id, user_id, event_seq, 'message', id FROM events
), convs AS (
    -- Only the missing rows: inserting over an existing one would wait for whoever is
    -- changing it, who may be waiting for a user this statement has locked.
    INSERT INTO im_user_conversations (app_id, user_id, chat_type, target_id, chat_id)
    SELECT DISTINCT p.app_id, p.user_id, 'SINGLE', p.target_id, p.chat_id
    FROM (SELECT app_id, from_id AS user_id, to_id AS target_id, chat_id FROM msg
          UNION ALL
          SELECT app_id, to_id, from_id, chat_id FROM msg) AS p
    WHERE (SELECT uc.chat_id FROM im_user_conversations uc
           WHERE uc.app_id = p.app_id AND uc.user_id = p.user_id AND uc.chat_type = 'SINGLE' AND uc.target_id = p.target_id) IS NULL
    ORDER BY p.app_id, p.user_id, p.target_id
    ON CONFLICT DO NOTHING
)
SELECT e.n::bigint AS n, e.id::bigint AS id, e.seq::bigint AS seq, now()::timestamptz AS created_at,
       array_agg(e.user_id ORDER BY e.user_id)::text[] AS user_ids,
       array_agg(e.event_seq ORDER BY e.user_id)::bigint[] AS event_seqs
FROM events e
GROUP BY e.n, e.id, e.seq
ORDER BY e.n;

-- name: SendGroupMessage :one
-- Stores a group message in one statement: the group's next message seq and next event
-- seq, the message, and its one `message` event on the group's sequence, whatever the
-- group's size (read-diffused). No row: the group does not exist, the sender is not a
-- member, or he has used client_msg_id already.
WITH chat AS (
    UPDATE im_chats c SET last_seq = c.last_seq + 1, event_seq = c.event_seq + 1, last_at = now()
    WHERE c.app_id = @app_id::bigint AND c.chat_type = 'GROUP' AND c.chat_key = @to_id::text
      AND EXISTS (SELECT 1 FROM im_group_members gm
                  WHERE gm.app_id = @app_id AND gm.group_id = @to_id AND gm.user_id = @from_id::text)
      AND NOT EXISTS (SELECT 1 FROM im_messages d
                      WHERE d.app_id = @app_id AND d.from_id = @from_id AND d.client_msg_id = sqlc.narg(client_msg_id)::text)
    RETURNING c.id, c.last_seq, c.event_seq, c.members_seq, c.last_at
), msg AS (
    INSERT INTO im_messages (app_id, chat_id, seq, chat_type, from_id, to_id, msg_type, content, client_msg_id,
                             search_text, group_seq, created_at)
    SELECT @app_id, chat.id, chat.last_seq, 'GROUP', @from_id, @to_id, @msg_type::text, @content::text,
           sqlc.narg(client_msg_id), @search_text::text, chat.event_seq, chat.last_at
    FROM chat
    RETURNING id, seq, created_at
), event AS (
    INSERT INTO im_group_events (app_id, group_id, seq, type, message_id, created_at)
    SELECT @app_id, @to_id, chat.event_seq, 'message', msg.id, chat.last_at FROM chat, msg
)
SELECT msg.id, msg.seq, msg.created_at, chat.event_seq AS group_seq, chat.members_seq
FROM msg, chat;

-- name: SetMessageGroupSeq :exec
UPDATE im_messages SET group_seq = @group_seq WHERE id = @id;

-- name: GetMessage :one
SELECT id, chat_id, seq, chat_type, from_id, to_id, msg_type, content, client_msg_id, created_at,
       edited_at, revoked_at, revoked_by, group_seq
FROM im_messages WHERE app_id = @app_id AND id = @id;

-- name: GetMessageForUpdate :one
SELECT id, chat_id, seq, chat_type, from_id, to_id, msg_type, content, client_msg_id, created_at,
       edited_at, revoked_at, revoked_by, group_seq
FROM im_messages WHERE app_id = @app_id AND id = @id FOR UPDATE;

-- name: GetMessageByClientMsgID :one
SELECT id, chat_id, seq, chat_type, from_id, to_id, msg_type, content, client_msg_id, created_at,
       edited_at, revoked_at, revoked_by, group_seq
FROM im_messages WHERE app_id = @app_id AND from_id = @from_id AND client_msg_id = @client_msg_id;

-- name: ListVisibleMessages :many
-- The messages among ids that user_id can see: those of his one-to-one conversations and of
-- the groups he is in.
SELECT m.id, m.chat_id, m.seq, m.chat_type, m.from_id, m.to_id, m.msg_type, m.content, m.client_msg_id,
       m.created_at, m.edited_at, m.revoked_at, m.revoked_by, m.group_seq
FROM im_messages m
WHERE m.app_id = @app_id AND m.id = ANY(@ids::bigint[])
  AND EXISTS (SELECT 1 FROM im_user_conversations uc
              WHERE uc.app_id = @app_id AND uc.user_id = @user_id AND uc.chat_id = m.chat_id);

-- name: EditMessage :one
UPDATE im_messages SET content = @content, search_text = @search_text, edited_at = now()
WHERE app_id = @app_id AND id = @id
RETURNING edited_at;

-- name: RevokeMessage :one
UPDATE im_messages SET content = '', search_text = '', revoked_at = now(), revoked_by = @revoked_by
WHERE app_id = @app_id AND id = @id
RETURNING revoked_at;

-- name: ListChatMessages :many
-- A page of a chat's messages, newest first, with the history filters; group messages with
-- their groupReadCount.
SELECT m.id, m.seq, m.chat_type, m.from_id, m.to_id, m.msg_type, m.content, m.client_msg_id,
       m.created_at, m.edited_at, m.revoked_at, m.revoked_by, m.group_seq,
       (CASE WHEN m.chat_type = 'GROUP' THEN
           (SELECT count(*) FROM im_user_conversations r
            WHERE r.chat_id = m.chat_id AND r.read_seq >= m.seq AND r.user_id <> m.from_id)
        ELSE 0 END)::integer AS group_read_count
FROM im_messages m
WHERE m.chat_id = @chat_id
  AND (sqlc.narg(msg_type)::text IS NULL OR m.msg_type = sqlc.narg(msg_type))
  AND (sqlc.narg(start_time)::timestamptz IS NULL OR m.created_at >= sqlc.narg(start_time))
  AND (sqlc.narg(end_time)::timestamptz IS NULL OR m.created_at <= sqlc.narg(end_time))
  AND (sqlc.narg(keyword)::text IS NULL
       OR strpos(lower(m.search_text), sqlc.narg(keyword)) > 0
       OR strpos(lower(m.from_id), sqlc.narg(keyword)) > 0)
ORDER BY m.seq DESC
LIMIT @max_rows OFFSET @skip_rows;

-- name: CountChatMessages :one
SELECT count(*) FROM im_messages m
WHERE m.chat_id = @chat_id
  AND (sqlc.narg(msg_type)::text IS NULL OR m.msg_type = sqlc.narg(msg_type))
  AND (sqlc.narg(start_time)::timestamptz IS NULL OR m.created_at >= sqlc.narg(start_time))
  AND (sqlc.narg(end_time)::timestamptz IS NULL OR m.created_at <= sqlc.narg(end_time))
  AND (sqlc.narg(keyword)::text IS NULL
       OR strpos(lower(m.search_text), sqlc.narg(keyword)) > 0
       OR strpos(lower(m.from_id), sqlc.narg(keyword)) > 0);

-- name: ListGroupMessagesChanged :many
-- The gap fill of a group's history: its messages whose latest change (send, edit, revoke)
-- has a group event seq after after_seq, oldest change first, with the history filters.
SELECT m.id, m.seq, m.chat_type, m.from_id, m.to_id, m.msg_type, m.content, m.client_msg_id,
       m.created_at, m.edited_at, m.revoked_at, m.revoked_by, m.group_seq,
       (SELECT count(*) FROM im_user_conversations r
        WHERE r.chat_id = m.chat_id AND r.read_seq >= m.seq AND r.user_id <> m.from_id)::integer AS group_read_count
FROM im_messages m
WHERE m.chat_id = @chat_id AND m.group_seq > @after_seq::bigint
  AND (sqlc.narg(msg_type)::text IS NULL OR m.msg_type = sqlc.narg(msg_type))
  AND (sqlc.narg(start_time)::timestamptz IS NULL OR m.created_at >= sqlc.narg(start_time))
  AND (sqlc.narg(end_time)::timestamptz IS NULL OR m.created_at <= sqlc.narg(end_time))
  AND (sqlc.narg(keyword)::text IS NULL
       OR strpos(lower(m.search_text), sqlc.narg(keyword)) > 0
       OR strpos(lower(m.from_id), sqlc.narg(keyword)) > 0)
ORDER BY m.group_seq
LIMIT @max_rows OFFSET @skip_rows;

-- name: CountGroupMessagesChanged :one
SELECT count(*) FROM im_messages m
WHERE m.chat_id = @chat_id AND m.group_seq > @after_seq::bigint
  AND (sqlc.narg(msg_type)::text IS NULL OR m.msg_type = sqlc.narg(msg_type))
  AND (sqlc.narg(start_time)::timestamptz IS NULL OR m.created_at >= sqlc.narg(start_time))
  AND (sqlc.narg(end_time)::timestamptz IS NULL OR m.created_at <= sqlc.narg(end_time))
  AND (sqlc.narg(keyword)::text IS NULL
       OR strpos(lower(m.search_text), sqlc.narg(keyword)) > 0
       OR strpos(lower(m.from_id), sqlc.narg(keyword)) > 0);

-- name: SearchMessages :many
-- Cloud search: the messages of the user's conversations (his groups: those he is in) whose
-- text contains keyword (lower-cased). grams, the keyword's grams, let the GIN index of
-- im_message_search choose the candidates; each is confirmed against the message's text
-- now, so that an edit or a revoke the index has not seen yet cannot be found by old text.
SELECT m.id, m.seq, m.chat_type, m.from_id, m.to_id, m.msg_type, m.content, m.client_msg_id,
       m.created_at, m.edited_at, m.revoked_at, m.revoked_by, m.group_seq,
       (CASE WHEN m.chat_type = 'GROUP' THEN
           (SELECT count(*) FROM im_user_conversations r
            WHERE r.chat_id = m.chat_id AND r.read_seq >= m.seq AND r.user_id <> m.from_id)
        ELSE 0 END)::integer AS group_read_count
FROM im_message_search s
JOIN im_messages m ON m.id = s.message_id
WHERE s.app_id = @app_id
  AND s.grams @> @grams::text[]
  AND strpos(lower(m.search_text), @keyword::text) > 0
  AND s.chat_id IN (SELECT uc.chat_id FROM im_user_conversations uc WHERE uc.app_id = @app_id AND uc.user_id = @user_id)
ORDER BY s.created_at DESC, s.message_id DESC
LIMIT @max_rows OFFSET @skip_rows;

-- name: CountSearchMessages :one
SELECT count(*) FROM im_message_search s
JOIN im_messages m ON m.id = s.message_id
WHERE s.app_id = @app_id
  AND s.grams @> @grams::text[]
  AND strpos(lower(m.search_text), @keyword::text) > 0
  AND s.chat_id IN (SELECT uc.chat_id FROM im_user_conversations uc WHERE uc.app_id = @app_id AND uc.user_id = @user_id);

-- name: ListSendersBetween :many
-- For read receipts: each sender other than the reader of the chat's messages in
-- (after_seq, upto_seq], with his newest such message.
SELECT DISTINCT ON (from_id) from_id, id, seq
FROM im_messages
WHERE chat_id = @chat_id AND seq > @after_seq AND seq <= @upto_seq AND from_id <> @reader_id::text
ORDER BY from_id, seq DESC;

-- name: CountGroupReaders :one
-- groupReadCount of a message: members other than its sender whose read mark is at or past it.
SELECT count(*)::integer FROM im_user_conversations
WHERE chat_id = @chat_id AND read_seq >= @seq AND user_id <> @sender_id::text;

-- name: GetMessageBySeq :one
SELECT id, chat_id, seq, chat_type, from_id, to_id, msg_type, content, client_msg_id, created_at,
       edited_at, revoked_at, revoked_by, group_seq
FROM im_messages WHERE chat_id = @chat_id AND seq = @seq;

-- name: ListMessagesToPush :many
-- The messages the offline push worker has not looked at: the first max_rows after its
-- cursor and those it missed before (gap_ids, all below the cursor), in id order; one
-- lookup of the primary key for all of them.
SELECT m.id, m.app_id, m.chat_type, m.from_id, m.to_id, m.msg_type, m.content, m.seq, m.created_at, m.revoked_at
FROM im_messages m
WHERE m.id = ANY (ARRAY(SELECT n.id FROM im_messages n WHERE n.id > @after_id ORDER BY n.id LIMIT @max_rows) || @gap_ids::bigint[])
ORDER BY m.id;
