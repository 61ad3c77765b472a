-- +goose Up
-- IM relationships and administration: friend requests and friendships, blacklists, per-app
-- IM settings, group join requests and rules (join policy, mutes), the IM operation log, and
-- webhooks with their delivery log. Deliveries themselves are River jobs (river_job).

CREATE TABLE im_friend_requests (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    app_id     bigint NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    from_id    text NOT NULL,
    to_id      text NOT NULL,
    remark     text NOT NULL DEFAULT '',
    status     text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'ACCEPTED', 'REJECTED')),
    created_at timestamptz NOT NULL DEFAULT now(),
    handled_at timestamptz
);
-- At most one open request between two users, whichever way it goes.
CREATE UNIQUE INDEX im_friend_requests_pending_key ON im_friend_requests (app_id, least(from_id, to_id), greatest(from_id, to_id))
    WHERE status = 'PENDING';
CREATE INDEX im_friend_requests_to_idx ON im_friend_requests (app_id, to_id, id DESC);
CREATE INDEX im_friend_requests_from_idx ON im_friend_requests (app_id, from_id, id DESC);

-- A friendship is two rows, one per side, so that each side's list is one index range.
CREATE TABLE im_friends (
    app_id     bigint NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    user_id    text NOT NULL,
    friend_id  text NOT NULL,
    remark     text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (app_id, user_id, friend_id)
);
CREATE INDEX im_friends_list_idx ON im_friends (app_id, user_id, created_at DESC);

CREATE TABLE im_blocks (
    app_id     bigint NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    user_id    text NOT NULL,
    blocked_id text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (app_id, user_id, blocked_id)
);
CREATE INDEX im_blocks_list_idx ON im_blocks (app_id, user_id, created_at DESC);

-- An app without a row has the defaults.
CREATE TABLE im_app_settings (
    app_id       bigint PRIMARY KEY REFERENCES apps (id) ON DELETE CASCADE,
    friends_only boolean NOT NULL DEFAULT false,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE im_groups
    ADD COLUMN join_policy text NOT NULL DEFAULT 'APPROVAL' CHECK (join_policy IN ('FREE', 'APPROVAL', 'CLOSED')),
    ADD COLUMN muted_all boolean NOT NULL DEFAULT false;
ALTER TABLE im_group_members ADD COLUMN muted_until timestamptz;

CREATE TABLE im_group_join_requests (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    app_id     bigint NOT NULL,
    group_id   text NOT NULL,
    user_id    text NOT NULL,
    remark     text NOT NULL DEFAULT '',
    status     text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'ACCEPTED', 'REJECTED')),
    created_at timestamptz NOT NULL DEFAULT now(),
    handled_by text,
    handled_at timestamptz,
    FOREIGN KEY (app_id, group_id) REFERENCES im_groups (app_id, group_id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX im_group_join_requests_pending_key ON im_group_join_requests (app_id, group_id, user_id)
    WHERE status = 'PENDING';
CREATE INDEX im_group_join_requests_group_idx ON im_group_join_requests (app_id, group_id, id);

CREATE TABLE im_operation_logs (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    app_id      bigint NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    actor_type  text NOT NULL CHECK (actor_type IN ('TENANT', 'OPS', 'APP_SERVER', 'USER')),
    actor_id    text NOT NULL,
    action      text NOT NULL,
    target_type text NOT NULL,
    target_id   text NOT NULL,
    detail      jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX im_operation_logs_app_idx ON im_operation_logs (app_id, id DESC);

-- The signing secret is sealed with internal/secret, its associated data naming the row
-- ("im_webhooks:<id>"); secret_hint is its last four characters, what the API shows.
CREATE TABLE im_webhooks (
    id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    app_id                 bigint NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    url                    text NOT NULL,
    events                 text[] NOT NULL,
    enabled                boolean NOT NULL DEFAULT true,
    secret_sealed          text NOT NULL DEFAULT '',
    secret_hint            text NOT NULL DEFAULT '',
    before_send            boolean NOT NULL DEFAULT false,
    before_send_timeout_ms integer NOT NULL DEFAULT 2000,
    on_timeout             text NOT NULL DEFAULT 'PASS' CHECK (on_timeout IN ('PASS', 'REJECT')),
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    UNIQUE (app_id, url)
);

-- One row per attempt.
CREATE TABLE im_webhook_attempts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook_id  bigint NOT NULL REFERENCES im_webhooks (id) ON DELETE CASCADE,
    delivery_id text NOT NULL,
    event       text NOT NULL,
    attempt     integer NOT NULL,
    success     boolean NOT NULL,
    http_status integer,
    error       text NOT NULL DEFAULT '',
    duration_ms bigint NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX im_webhook_attempts_webhook_idx ON im_webhook_attempts (webhook_id, id DESC);
