-- +goose Up
-- IM accounts: trigram indexes for account search (userId or nickname containing a keyword,
-- Chinese or Latin, case-insensitive), and the failed demo logins that its rate limit counts.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX im_accounts_user_id_trgm_idx ON im_accounts USING gin (user_id gin_trgm_ops) WHERE deleted_at IS NULL;
CREATE INDEX im_accounts_nickname_trgm_idx ON im_accounts USING gin (nickname gin_trgm_ops) WHERE deleted_at IS NULL;

-- One row per failed demo login, kept for the 15-minute window of the rate limit; in the
-- database so that the limit holds across instances.
CREATE TABLE demo_login_failures (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username    text NOT NULL,
    client_addr text NOT NULL,
    failed_at   timestamptz NOT NULL
);
CREATE INDEX demo_login_failures_username_idx ON demo_login_failures (username, failed_at);
CREATE INDEX demo_login_failures_client_idx ON demo_login_failures (client_addr, failed_at);
CREATE INDEX demo_login_failures_expiry_idx ON demo_login_failures (failed_at);
