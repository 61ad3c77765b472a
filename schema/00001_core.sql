-- +goose Up
-- The platform's core: settings, tenants and their accounts, operators, apps, services,
-- IM accounts and the nonces of signed requests. Later areas add their own files.

CREATE TABLE server_settings (
    name       text PRIMARY KEY,
    value      text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tenants (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name               text NOT NULL,
    email              text NOT NULL,
    status             text NOT NULL DEFAULT 'ENABLED' CHECK (status IN ('ENABLED', 'DISABLED')),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);

-- The people who log in to a tenant: its main account (role MAIN) and its sub-accounts.
CREATE TABLE tenant_accounts (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id           bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    email               text NOT NULL,
    name                text NOT NULL,
    password_hash       text NOT NULL,
    role                text NOT NULL CHECK (role IN ('MAIN', 'ADMIN', 'DEVELOPER', 'VIEWER')),
    status              text NOT NULL DEFAULT 'ENABLED' CHECK (status IN ('ENABLED', 'DISABLED')),
    -- Tokens issued before this instant are refused (password reset, disable).
    tokens_valid_after  timestamptz NOT NULL DEFAULT 'epoch',
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX tenant_accounts_email_key ON tenant_accounts (lower(email));
CREATE INDEX tenant_accounts_tenant_idx ON tenant_accounts (tenant_id);

CREATE TABLE operators (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username           text NOT NULL UNIQUE,
    password_hash      text NOT NULL,
    status             text NOT NULL DEFAULT 'ENABLED' CHECK (status IN ('ENABLED', 'DISABLED')),
    tokens_valid_after timestamptz NOT NULL DEFAULT 'epoch',
    created_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE apps (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    app_key     text NOT NULL UNIQUE,
    app_secret  text NOT NULL,
    name        text NOT NULL,
    description text NOT NULL DEFAULT '',
    -- Set when the app is deleted: its keys and tokens stop at once; its rows stay for audit.
    deleted_at  timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX apps_tenant_idx ON apps (tenant_id) WHERE deleted_at IS NULL;

CREATE TABLE app_services (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    app_id       bigint NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    service_type text NOT NULL CHECK (service_type IN ('IM', 'PUSH', 'FILE', 'UPDATE')),
    enabled      boolean NOT NULL DEFAULT true,
    secret_key   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (app_id, service_type)
);

CREATE TABLE im_accounts (
    app_id      bigint NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    user_id     text NOT NULL,
    nickname    text NOT NULL DEFAULT '',
    avatar_url  text NOT NULL DEFAULT '',
    extra       jsonb NOT NULL DEFAULT '{}',
    -- Set when the account is deleted: its tokens stop at once, its messages stay.
    deleted_at  timestamptz,
    -- Tokens issued before this instant are refused, so that a deleted and re-imported
    -- account does not revive the old tokens.
    tokens_valid_after timestamptz NOT NULL DEFAULT 'epoch',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (app_id, user_id)
);

-- Nonces of signed requests inside the 5-minute window; a replay on any instance hits the key.
CREATE TABLE request_nonces (
    app_id     bigint NOT NULL,
    nonce      text NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (app_id, nonce)
);
CREATE INDEX request_nonces_expiry_idx ON request_nonces (expires_at);
