-- +goose Up
-- Push delivery through the vendors' gateways: devices a vendor reported gone are kept but
-- inactive; a push is answered at once and delivered by workers (River jobs), its deliveries
-- queued until a worker is done with them; each app's vendor credentials, sealed; conversation
-- mutes of offline push; and the presence of IM connections shared by every instance.

ALTER TABLE push_devices ADD COLUMN active boolean NOT NULL DEFAULT true;

ALTER TABLE pushes ADD COLUMN requested integer NOT NULL DEFAULT 0;
ALTER TABLE pushes ADD COLUMN collapse_id text NOT NULL DEFAULT '';
-- API: POST /api/push/send, counted by its rate limit; IM: offline push of a message.
ALTER TABLE pushes ADD COLUMN source text NOT NULL DEFAULT 'API' CHECK (source IN ('API', 'IM'));
UPDATE pushes SET requested = cardinality(user_ids);

ALTER TABLE push_deliveries DROP CONSTRAINT push_deliveries_status_check;
ALTER TABLE push_deliveries ADD CONSTRAINT push_deliveries_status_check CHECK (status IN ('QUEUED', 'ACCEPTED', 'FAILED'));
ALTER TABLE push_deliveries ADD COLUMN attempts integer NOT NULL DEFAULT 0;
ALTER TABLE push_deliveries ADD COLUMN provider_id text NOT NULL DEFAULT '';
ALTER TABLE push_deliveries ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

-- One row per app and vendor. sealed is secret.Box's sealing of the vendor's secret settings
-- (associated data "push_credentials:<appId>:<vendor>"); settings holds what may be shown.
CREATE TABLE push_credentials (
    app_id      bigint NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    vendor      text NOT NULL,
    sealed      text NOT NULL,
    fingerprint text NOT NULL,
    settings    jsonb NOT NULL DEFAULT '{}',
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (app_id, vendor)
);

-- Conversations whose messages send no push to the user's devices.
CREATE TABLE push_conversation_mutes (
    app_id     bigint NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    user_id    text NOT NULL,
    chat_type  text NOT NULL CHECK (chat_type IN ('SINGLE', 'GROUP')),
    target_id  text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (app_id, user_id, chat_type, target_id)
);

-- Presence: each server instance keeps a row it refreshes (seen_at) while it lives, and a row
-- per user with a live WebSocket on it. A user is online while some live instance holds a row
-- of his; a crashed instance's rows stop counting once its seen_at is older than the expiry.
CREATE TABLE presence_instances (
    id      uuid PRIMARY KEY,
    seen_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE presence_connections (
    app_id      bigint NOT NULL,
    user_id     text NOT NULL,
    instance_id uuid NOT NULL REFERENCES presence_instances (id) ON DELETE CASCADE,
    PRIMARY KEY (app_id, user_id, instance_id)
);
CREATE INDEX presence_connections_instance_idx ON presence_connections (instance_id);
