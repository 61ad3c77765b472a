-- +goose Up
-- Push notifications: the devices IM users register, and every push sent with its
-- per-device deliveries.

CREATE TABLE push_devices (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    app_id       bigint NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    user_id      text NOT NULL,
    platform     text NOT NULL CHECK (platform IN ('IOS', 'ANDROID')),
    vendor       text NOT NULL CHECK (vendor IN ('APNS', 'FCM', 'HUAWEI', 'XIAOMI', 'OPPO', 'VIVO', 'HONOR', 'MEIZU')),
    device_token text NOT NULL,
    -- A token is registered once per app; tokens may be longer than a btree entry, so the
    -- uniqueness holds on their hash (hex SHA-256).
    token_hash   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (app_id, token_hash)
);
CREATE INDEX push_devices_user_idx ON push_devices (app_id, user_id);

CREATE TABLE pushes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    app_id      bigint NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    user_ids    text[] NOT NULL,
    title       text NOT NULL,
    body        text NOT NULL,
    data        jsonb NOT NULL DEFAULT '{}',
    badge       integer,
    sound       text NOT NULL DEFAULT '',
    ttl_seconds integer,
    devices     integer NOT NULL DEFAULT 0,
    accepted    integer NOT NULL DEFAULT 0,
    failed      integer NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now()
);
-- The send rate limit counts an app's recent pushes.
CREATE INDEX pushes_app_created_idx ON pushes (app_id, created_at);

-- One row per device a push was handed to. The device may be unregistered since, so its
-- user, vendor and masked token are kept here.
CREATE TABLE push_deliveries (
    push_id      bigint NOT NULL REFERENCES pushes (id) ON DELETE CASCADE,
    device_id    bigint NOT NULL,
    user_id      text NOT NULL,
    vendor       text NOT NULL,
    device_token text NOT NULL, -- masked
    status       text NOT NULL CHECK (status IN ('ACCEPTED', 'FAILED')),
    reason       text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (push_id, device_id)
);
