-- Pre-fills an app's IM tables with one-to-one history, so that a load run can measure the
-- send path over a database that already holds a lot (issue 9: 1,000,000 messages in
-- 100,000 conversations). This is the only file that knows the IM schema's shape; when
-- schema/*.sql changes, change it here.
--
-- Parameters, substituted as integers or quoted literals before it runs:
--   :app      the app's numeric id
--   :prefix   the user id prefix ('pf'): users :prefix0 … :prefix{:users - 1}
--   :users    how many users
--   :chats    how many one-to-one conversations
--   :per_chat messages in each
-- Conversation i is between user a = i mod :users and user (a + 1 + i / :users) mod :users,
-- so that every pair is distinct while :chats / :users < :users / 2; every user is in
-- 2·:chats/:users conversations (:users must divide :chats). The messages alternate
-- sides; their texts repeat 1,000 variants, so that their search grams are computed 1,000
-- times, not once a message.
-- The whole script runs in one transaction; the Go side drops the tables' secondary indexes
-- at the marker below and rebuilds them after the last statement, as a bulk load should.

-- Locks first, in the order the search indexer and the offline push take them (their
-- cursors, then the messages), so that they never deadlock: while the load holds a cursor
-- its worker skips its turn; sends wait until the load commits, so that the loaded messages' ids are one block.
SELECT indexed_to FROM im_search_cursor WHERE id FOR UPDATE;
SELECT pushed_to FROM push_im_cursor WHERE id FOR UPDATE;
LOCK TABLE im_messages IN EXCLUSIVE MODE;

-- @@ secondary indexes dropped here @@

CREATE TEMP TABLE prefill_pairs ON COMMIT DROP AS
SELECT i,
       :prefix || (i % :users) AS ua,
       :prefix || ((i % :users + 1 + i / :users) % :users) AS ub
FROM generate_series(0, :chats - 1) AS i;

INSERT INTO im_accounts (app_id, user_id, nickname)
SELECT :app, :prefix || u, 'Prefill ' || u FROM generate_series(0, :users - 1) AS u;

CREATE TEMP TABLE prefill_chats ON COMMIT DROP AS
WITH ins AS (
    INSERT INTO im_chats (app_id, chat_type, chat_key, last_seq, last_at)
    SELECT :app, 'SINGLE',
           least(ua COLLATE "C", ub COLLATE "C") || ' ' || greatest(ua COLLATE "C", ub COLLATE "C"),
           :per_chat, now() - (:chats - i) * interval '1 second'
    FROM prefill_pairs
    RETURNING id, chat_key
)
SELECT ins.id AS chat_id, p.i, p.ua, p.ub
FROM ins JOIN prefill_pairs p
  ON ins.chat_key = least(p.ua COLLATE "C", p.ub COLLATE "C") || ' ' || greatest(p.ua COLLATE "C", p.ub COLLATE "C");

CREATE TEMP TABLE prefill_texts ON COMMIT DROP AS
SELECT v, t AS text,
       ARRAY(SELECT DISTINCT substr(t, g, 2) FROM generate_series(1, length(t) - 1) AS g
             WHERE substr(t, g, 2) !~ '\s' ORDER BY 1) AS grams
FROM (SELECT v, 'prefill message ' || v || ' ' || substr(md5(v::text), 1, 12) AS t
      FROM generate_series(0, 999) AS v) AS x;

ANALYZE prefill_chats;
ANALYZE prefill_texts;

INSERT INTO im_messages (app_id, chat_id, seq, chat_type, from_id, to_id, msg_type, content,
                         search_text, created_at)
SELECT :app, c.chat_id, s, 'SINGLE',
       CASE WHEN s % 2 = 1 THEN c.ua ELSE c.ub END,
       CASE WHEN s % 2 = 1 THEN c.ub ELSE c.ua END,
       'TEXT', t.text, t.text,
       now() - ((:chats - c.i) * :per_chat - s) * interval '100 milliseconds'
FROM prefill_chats c
CROSS JOIN generate_series(1, :per_chat) AS s
JOIN prefill_texts t ON t.v = (c.i * :per_chat + s) % 1000;

-- The messages indexed for search, as the batch indexer (internal/im/search_index.go)
-- would have done by now; its cursor moves past them when it had looked at everything
-- before them (the table is locked against other writers, so the new ids are contiguous),
-- else it goes over them itself and keeps these entries (ON CONFLICT DO NOTHING there).
INSERT INTO im_message_search (message_id, app_id, chat_id, created_at, grams)
SELECT m.id, m.app_id, m.chat_id, m.created_at, t.grams
FROM im_messages m
JOIN prefill_chats c ON c.chat_id = m.chat_id
JOIN prefill_texts t ON t.text = m.search_text
WHERE m.app_id = :app;

UPDATE im_search_cursor
SET indexed_to = b.last
FROM (SELECT min(m.id) AS first, max(m.id) AS last
      FROM im_messages m JOIN prefill_chats c ON c.chat_id = m.chat_id WHERE m.app_id = :app) AS b
WHERE im_search_cursor.indexed_to >= b.first - 1;

-- The offline push (internal/push/offline.go) starts after the loaded messages: history is
-- not pushed. Moved the same way, when it had looked at everything before them.
UPDATE push_im_cursor
SET pushed_to = b.last
FROM (SELECT min(m.id) AS first, max(m.id) AS last
      FROM im_messages m JOIN prefill_chats c ON c.chat_id = m.chat_id WHERE m.app_id = :app) AS b
WHERE push_im_cursor.pushed_to >= b.first - 1;

-- Both sides' `message` events. User u is side a of the conversations i = u + j·:users and
-- side b of those whose a is u - 1 - j (j = 0 … :chats/:users - 1), so his events are
-- numbered by (side, j, seq) without sorting two million rows: contiguous from 1 when
-- :users divides :chats, which Go checks.
INSERT INTO im_user_events (app_id, user_id, seq, type, message_id, created_at)
SELECT :app, CASE WHEN e.side = 0 THEN c.ua ELSE c.ub END,
       (e.side * (:chats / :users) + c.i / :users) * :per_chat + m.seq, 'message', m.id, m.created_at
FROM im_messages m
JOIN prefill_chats c ON c.chat_id = m.chat_id
CROSS JOIN (VALUES (0), (1)) AS e (side)
WHERE m.app_id = :app;

INSERT INTO im_user_states (app_id, user_id, event_seq)
SELECT :app, :prefix || u, 2 * (:chats / :users) * :per_chat FROM generate_series(0, :users - 1) AS u;

-- Each side's view; the older half read to the end, the rest with the last message unread.
INSERT INTO im_user_conversations (app_id, user_id, chat_type, target_id, chat_id, read_seq, updated_at)
SELECT :app, v.u, 'SINGLE', v.t, c.chat_id, CASE WHEN c.i < :chats / 2 THEN :per_chat ELSE :per_chat - 1 END, now()
FROM prefill_chats c, LATERAL (VALUES (c.ua, c.ub), (c.ub, c.ua)) AS v (u, t);
