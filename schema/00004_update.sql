-- +goose Up
-- The update service: native app versions (an APK in the blob store, or an App Store link) and
-- React Native bundles (in the blob store), each a release with a life cycle DRAFT → PUBLISHED
-- ⇄ WITHDRAWN and a rollout percentage.

CREATE TABLE app_versions (
    id                         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    app_id                     bigint NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    platform                   text NOT NULL CHECK (platform IN ('ANDROID', 'IOS')),
    version_code               integer NOT NULL CHECK (version_code BETWEEN 1 AND 2100000000),
    version_name               text NOT NULL,
    changelog                  text NOT NULL DEFAULT '',
    force_update               boolean NOT NULL DEFAULT false,
    min_supported_version_code integer CHECK (min_supported_version_code BETWEEN 1 AND version_code),
    store_url                  text,
    -- The APK (blob.ContentKey(sha256)); NULL for a version without a file (IOS).
    sha256                     text CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size                       bigint,
    status                     text NOT NULL DEFAULT 'DRAFT' CHECK (status IN ('DRAFT', 'PUBLISHED', 'WITHDRAWN')),
    rollout_percent            integer NOT NULL DEFAULT 100 CHECK (rollout_percent BETWEEN 0 AND 100),
    created_at                 timestamptz NOT NULL DEFAULT now(),
    published_at               timestamptz,
    UNIQUE (app_id, platform, version_code),
    CHECK ((sha256 IS NULL) = (size IS NULL))
);

CREATE TABLE rn_bundles (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    app_id          bigint NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    platform        text NOT NULL CHECK (platform IN ('ANDROID', 'IOS')),
    module_id       text NOT NULL,
    -- A semantic version; ordered in the service (semantic-version precedence), not in SQL.
    version         text NOT NULL,
    min_app_version text NOT NULL,
    max_app_version text,
    mandatory       boolean NOT NULL DEFAULT false,
    description     text NOT NULL DEFAULT '',
    sha256          text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size            bigint NOT NULL,
    file_name       text NOT NULL,
    status          text NOT NULL DEFAULT 'DRAFT' CHECK (status IN ('DRAFT', 'PUBLISHED', 'WITHDRAWN')),
    rollout_percent integer NOT NULL DEFAULT 100 CHECK (rollout_percent BETWEEN 0 AND 100),
    created_at      timestamptz NOT NULL DEFAULT now(),
    published_at    timestamptz,
    UNIQUE (app_id, platform, module_id, version)
);
CREATE INDEX rn_bundles_app_idx ON rn_bundles (app_id, created_at DESC);
