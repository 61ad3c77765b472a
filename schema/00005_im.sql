-- +goose Up
-- IM core: groups and their members, conversations (the shared message counter of each
-- one-to-one pair or group, and each user's view of it), messages, and every user's event
-- log with its own sequence, which WebSocket sync replays.
--
-- The hot tables (im_messages, im_user_events, im_user_states) carry no foreign keys: a send
-- writes to all three in one statement, and apps are soft-deleted, so nothing cascades there.

-- For the name searches of groups and members (Chinese and Latin alike).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE im_groups (
    app_id       bigint NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    group_id     text NOT NULL,
    name         text NOT NULL,
    avatar_url   text NOT NULL DEFAULT '',
    notice       text NOT NULL DEFAULT '',
    owner_id     text NOT NULL,
    public       boolean NOT NULL DEFAULT false,
    member_count integer NOT NULL DEFAULT 0,
    -- A dissolved group keeps its row, so that its id is never given to a new group that
    -- would inherit the old history.
    dissolved_at timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (app_id, group_id)
);
CREATE INDEX im_groups_name_trgm_idx ON im_groups USING gin (lower(group_id || ' ' || name) gin_trgm_ops)
    WHERE dissolved_at IS NULL;

CREATE TABLE im_group_members (
    app_id    bigint NOT NULL,
    group_id  text NOT NULL,
    user_id   text NOT NULL,
    role      text NOT NULL DEFAULT 'MEMBER' CHECK (role IN ('OWNER', 'ADMIN', 'MEMBER')),
    joined_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (app_id, group_id, user_id),
    FOREIGN KEY (app_id, group_id) REFERENCES im_groups (app_id, group_id) ON DELETE CASCADE
);
CREATE INDEX im_group_members_user_idx ON im_group_members (app_id, user_id);

-- One row per one-to-one pair or group: the message counter. chat_key is the group id, or
-- the two user ids sorted and joined by a space (user ids have none).
CREATE TABLE im_chats (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    app_id    bigint NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    chat_type text NOT NULL CHECK (chat_type IN ('SINGLE', 'GROUP')),
    chat_key  text NOT NULL,
    last_seq  bigint NOT NULL DEFAULT 0,
    last_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (app_id, chat_type, chat_key)
);

-- A user's view of a chat. For groups the row exists exactly while he is a member.
CREATE TABLE im_user_conversations (
    app_id      bigint NOT NULL,
    user_id     text NOT NULL,
    chat_type   text NOT NULL,
    target_id   text NOT NULL,
    chat_id     bigint NOT NULL REFERENCES im_chats (id) ON DELETE CASCADE,
    read_seq    bigint NOT NULL DEFAULT 0,
    pinned      boolean NOT NULL DEFAULT false,
    draft       text NOT NULL DEFAULT '',
    -- Set when the user deletes the conversation: hidden until a message after this seq.
    deleted_seq bigint,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (app_id, user_id, chat_type, target_id)
);
CREATE INDEX im_user_conversations_chat_idx ON im_user_conversations (chat_id, read_seq);

CREATE TABLE im_messages (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    app_id        bigint NOT NULL,
    chat_id       bigint NOT NULL,
    seq           bigint NOT NULL,
    chat_type     text NOT NULL,
    from_id       text NOT NULL,
    to_id         text NOT NULL,
    msg_type      text NOT NULL,
    content       text NOT NULL,
    client_msg_id text,
    -- What search finds (the text of TEXT, QUOTE, NOTIFY, a file's name, …), and its
    -- lower-cased character bigrams (unigrams for CJK), so that a GIN index serves keywords
    -- of any script and length; pg_trgm needs three characters, too many for 你好.
    search_text   text NOT NULL DEFAULT '',
    search_grams  text[] NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT now(),
    edited_at     timestamptz,
    revoked_at    timestamptz,
    revoked_by    text,
    UNIQUE (chat_id, seq)
);
CREATE UNIQUE INDEX im_messages_client_msg_id_key ON im_messages (app_id, from_id, client_msg_id)
    WHERE client_msg_id IS NOT NULL;
CREATE INDEX im_messages_search_idx ON im_messages USING gin (search_grams);

-- Every user's event counter.
CREATE TABLE im_user_states (
    app_id    bigint NOT NULL,
    user_id   text NOT NULL,
    event_seq bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (app_id, user_id)
);

-- Every event a user must see, under his own sequence. Message events point at the message
-- (sync shows it as it is now: edited, revoked); the others carry their data.
CREATE TABLE im_user_events (
    app_id     bigint NOT NULL,
    user_id    text NOT NULL,
    seq        bigint NOT NULL,
    type       text NOT NULL,
    message_id bigint,
    data       jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (app_id, user_id, seq)
);
