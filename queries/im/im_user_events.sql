-- name: AddUserEvents :many
-- Gives each user his next event seq and stores the event under it. The users are locked in
-- sorted order, as every statement that bumps event seqs does, so that none deadlock.
WITH states AS (
    INSERT INTO im_user_states AS s (app_id, user_id, event_seq)
    SELECT @app_id::bigint, u, 1 FROM unnest(@user_ids::text[]) AS u ORDER BY u
    ON CONFLICT (app_id, user_id) DO UPDATE SET event_seq = s.event_seq + 1
    RETURNING s.user_id, s.event_seq
)
INSERT INTO im_user_events (app_id, user_id, seq, type, message_id, data)
SELECT @app_id::bigint, states.user_id, states.event_seq, @type::text, sqlc.narg(message_id)::bigint, sqlc.narg(data)::jsonb
FROM states
RETURNING user_id, seq;

-- name: ListUserEventsAfter :many
-- The user's events after a seq, in order; message events with the message as it is now.
-- A page holds at most max_events, and no more than fit in max_bytes of payload (the
-- message's content, or the event's data), but always the first: the running sum of the
-- payloads over the first max_events ends the page.
SELECT e.seq, e.type, e.data,
       m.id AS message_id, m.seq AS message_seq, m.chat_type, m.from_id, m.to_id, m.msg_type, m.content,
       m.client_msg_id, m.created_at AS message_created_at, m.edited_at, m.revoked_at, m.revoked_by,
       (CASE WHEN m.chat_type = 'GROUP' THEN
           (SELECT count(*) FROM im_user_conversations r
            WHERE r.chat_id = m.chat_id AND r.read_seq >= m.seq AND r.user_id <> m.from_id)
        ELSE 0 END)::integer AS group_read_count
FROM im_user_events e
LEFT JOIN im_messages m ON m.id = e.message_id
WHERE e.app_id = @app_id AND e.user_id = @user_id AND e.seq > @after_seq
  AND e.seq <= (
    SELECT coalesce(max(w.seq) FILTER (WHERE w.running <= @max_bytes::bigint), min(w.seq))
    FROM (
        SELECT p.seq, sum(octet_length(coalesce(pm.content, p.data::text, ''))) OVER (ORDER BY p.seq) AS running
        FROM (
            SELECT pe.seq, pe.message_id, pe.data FROM im_user_events pe
            WHERE pe.app_id = @app_id AND pe.user_id = @user_id AND pe.seq > @after_seq
            ORDER BY pe.seq
            LIMIT @max_events
        ) p
        LEFT JOIN im_messages pm ON pm.id = p.message_id
    ) w
  )
ORDER BY e.seq
LIMIT @max_events;
