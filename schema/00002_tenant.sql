-- +goose Up
-- The tenant and operations platform: captchas, mailed codes and reset tokens, the mail outbox,
-- the events that rate limits count, and the audit trail.

-- Image captchas, answered once: the first attempt deletes the row, right or wrong.
CREATE TABLE captchas (
    id         text PRIMARY KEY,
    answer     text NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX captchas_expiry_idx ON captchas (expires_at);

-- The one valid code of an address and purpose; sending a new one replaces it.
CREATE TABLE email_codes (
    email      text NOT NULL, -- lower-cased
    purpose    text NOT NULL CHECK (purpose IN ('REGISTER', 'RESET_PASSWORD', 'SUB_ACCOUNT')),
    code_hash  text NOT NULL, -- hex SHA-256 of the code
    attempts   integer NOT NULL DEFAULT 0, -- wrong answers so far; 5 invalidate the code
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (email, purpose)
);
CREATE INDEX email_codes_expiry_idx ON email_codes (expires_at);

-- Mailed password-reset tokens; only their hash is kept. One per account: asking again
-- replaces it.
CREATE TABLE password_resets (
    token_hash text PRIMARY KEY, -- hex SHA-256 of the token
    account_id bigint NOT NULL UNIQUE REFERENCES tenant_accounts (id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX password_resets_expiry_idx ON password_resets (expires_at);

-- Mail that was not sent over SMTP because none is configured: a developer reads it here or
-- in the log.
CREATE TABLE mail_outbox (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recipient  text NOT NULL,
    subject    text NOT NULL,
    body       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- What rate limits count (failed logins, mails sent), per bucket such as "login-ip:1.2.3.4".
-- Rows older than the longest window are purged.
CREATE TABLE rate_events (
    id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    bucket text NOT NULL,
    at     timestamptz NOT NULL
);
CREATE INDEX rate_events_bucket_idx ON rate_events (bucket, at);
CREATE INDEX rate_events_at_idx ON rate_events (at);

-- Who did what on the tenant and operations platforms.
CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    actor_kind  text NOT NULL CHECK (actor_kind IN ('tenant', 'ops', 'system', 'anonymous')),
    actor_id    bigint, -- tenant account or operator
    tenant_id   bigint, -- the tenant acted on or for
    action      text NOT NULL, -- such as app.create, tenant.disable
    target_type text NOT NULL DEFAULT '',
    target_id   text NOT NULL DEFAULT '',
    detail      jsonb NOT NULL DEFAULT '{}',
    client_ip   text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_tenant_idx ON audit_log (tenant_id, created_at);
CREATE INDEX audit_log_created_idx ON audit_log (created_at);
