-- name: AddGroupEvent :one
-- Stores an event on the group's own sequence: the group's next event seq, taken on its
-- chat row (which orders it with the group's sends), and the event under it.
-- members_changed marks a change of the members, so that cached member sets reload.
WITH chat AS (
    UPDATE im_chats c
    SET event_seq = c.event_seq + 1,
        members_seq = CASE WHEN @members_changed::boolean THEN c.event_seq + 1 ELSE c.members_seq END
    WHERE c.app_id = @app_id::bigint AND c.chat_type = 'GROUP' AND c.chat_key = @group_id::text
    RETURNING c.event_seq, c.members_seq
), event AS (
    INSERT INTO im_group_events (app_id, group_id, seq, type, message_id, data)
    SELECT @app_id, @group_id, chat.event_seq, @type::text, sqlc.narg(message_id)::bigint, sqlc.narg(data)::jsonb
    FROM chat
)
SELECT chat.event_seq AS seq, chat.members_seq FROM chat;

-- name: ListGroupEventsAfter :many
-- The group's events after a seq, in order, while user_id is a member, and none from
-- before he joined; message events with the message as it is now. A page holds at most
-- max_events, and no more than fit in max_bytes of payload, but always the first (as
-- ListUserEventsAfter).
SELECT e.seq, e.type, e.data,
       m.id AS message_id, m.seq AS message_seq, m.from_id, m.to_id, m.msg_type, m.content,
       m.client_msg_id, m.created_at AS message_created_at, m.edited_at, m.revoked_at, m.revoked_by, m.group_seq,
       (CASE WHEN m.id IS NOT NULL THEN
           (SELECT count(*) FROM im_user_conversations r
            WHERE r.chat_id = m.chat_id AND r.read_seq >= m.seq AND r.user_id <> m.from_id)
        ELSE 0 END)::integer AS group_read_count
FROM im_group_members gm
JOIN im_group_events e ON e.app_id = gm.app_id AND e.group_id = gm.group_id
                      AND e.seq > greatest(@after_seq::bigint, gm.joined_seq)
LEFT JOIN im_messages m ON m.id = e.message_id
WHERE gm.app_id = @app_id AND gm.group_id = @group_id AND gm.user_id = @user_id::text
  AND e.seq <= (
    SELECT coalesce(max(w.seq) FILTER (WHERE w.running <= @max_bytes::bigint), min(w.seq))
    FROM (
        SELECT p.seq, sum(octet_length(coalesce(pm.content, p.data::text, ''))) OVER (ORDER BY p.seq) AS running
        FROM (
            SELECT pe.seq, pe.message_id, pe.data FROM im_group_events pe
            WHERE pe.app_id = @app_id AND pe.group_id = @group_id
              AND pe.seq > greatest(@after_seq::bigint, (
                  SELECT jm.joined_seq FROM im_group_members jm
                  WHERE jm.app_id = @app_id AND jm.group_id = @group_id AND jm.user_id = @user_id::text))
            ORDER BY pe.seq
            LIMIT @max_events
        ) p
        LEFT JOIN im_messages pm ON pm.id = p.message_id
    ) w
  )
ORDER BY e.seq
LIMIT @max_events;

-- name: AddGroupNotifyMessage :one
-- Stores a NOTIFY message of the server about a change of the group (a member joined, a
-- rename, a mute, …) as SendGroupMessage stores a member's message: the group's next
-- message seq and event seq, the message, and its one `message` event, without the
-- sender's membership check (the member who made the change may have just left).
WITH chat AS (
    UPDATE im_chats c SET last_seq = c.last_seq + 1, event_seq = c.event_seq + 1, last_at = now()
    WHERE c.app_id = @app_id::bigint AND c.chat_type = 'GROUP' AND c.chat_key = @group_id::text
    RETURNING c.id, c.last_seq, c.event_seq, c.members_seq, c.last_at
), msg AS (
    INSERT INTO im_messages (app_id, chat_id, seq, chat_type, from_id, to_id, msg_type, content, search_text, group_seq, created_at)
    SELECT @app_id, chat.id, chat.last_seq, 'GROUP', @from_id::text, @group_id, 'NOTIFY', @content::text, @search_text::text,
           chat.event_seq, chat.last_at
    FROM chat
    RETURNING id, seq, created_at
), event AS (
    INSERT INTO im_group_events (app_id, group_id, seq, type, message_id, created_at)
    SELECT @app_id, @group_id, chat.event_seq, 'message', msg.id, chat.last_at FROM chat, msg
)
SELECT msg.id, msg.seq, msg.created_at, chat.event_seq AS group_seq, chat.members_seq
FROM msg, chat;
