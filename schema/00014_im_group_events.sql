-- +goose Up
-- Read-diffused groups: a group message, its edit and its revoke,
-- and the group-wide notices, are stored once, as events on the group's own sequence, never
-- as one event per member; members read them from there (WebSocket sync, group history).

-- The group's event counter lives on its chat row, which a group send updates anyway:
-- event_seq is the latest group event's seq, members_seq the seq of the latest change of
-- its members, which tells the instances' cached member sets when to reload.
ALTER TABLE im_chats
    ADD COLUMN event_seq   bigint NOT NULL DEFAULT 0,
    ADD COLUMN members_seq bigint NOT NULL DEFAULT 0;

-- The group event seq at which the member joined: what he is given of the group starts
-- after it.
ALTER TABLE im_group_members ADD COLUMN joined_seq bigint NOT NULL DEFAULT 0;

-- A group message's latest change (send, edit, revoke) as a group event seq, for the gap
-- fill of group history (?afterSeq=).
ALTER TABLE im_messages ADD COLUMN group_seq bigint;
CREATE INDEX im_messages_group_seq_idx ON im_messages (chat_id, group_seq) WHERE group_seq IS NOT NULL;

-- Like im_user_events, without foreign keys: a send writes here in its one statement.
CREATE TABLE im_group_events (
    app_id     bigint NOT NULL,
    group_id   text NOT NULL,
    seq        bigint NOT NULL,
    type       text NOT NULL,
    message_id bigint,
    data       jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (app_id, group_id, seq)
);
