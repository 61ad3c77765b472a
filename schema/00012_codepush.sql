-- +goose Up
-- Hot updates for unchanged CodePush and Expo Updates clients. A module of an app (per platform)
-- has deployments (Staging, Production, …), each with a deployment key that the client sends;
-- a release puts one stored bundle into one deployment under a label (v1, v2, … per
-- deployment), for a range of binary versions. Promoting copies a release into another
-- deployment; the bundle is stored once.

CREATE TABLE rn_deployments (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    app_id         bigint NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    platform       text NOT NULL CHECK (platform IN ('ANDROID', 'IOS')),
    module_id      text NOT NULL,
    name           text NOT NULL,
    -- The key is a lookup credential shown only when made: SHA-256 (hex) finds the deployment,
    -- the hint (its last four characters) tells keys apart in lists.
    key_hash       text NOT NULL UNIQUE CHECK (key_hash ~ '^[0-9a-f]{64}$'),
    key_hint       text NOT NULL,
    -- The next label's number, taken under the row's lock.
    next_label     integer NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    key_rotated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (app_id, platform, module_id, name)
);

CREATE TABLE rn_releases (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    deployment_id       bigint NOT NULL REFERENCES rn_deployments (id) ON DELETE CASCADE,
    bundle_id           bigint NOT NULL REFERENCES rn_bundles (id) ON DELETE CASCADE,
    label               text NOT NULL,
    -- A semantic-version range of the binaries it runs on, as CodePush's target_binary_range.
    target_binary_range text NOT NULL,
    mandatory           boolean NOT NULL DEFAULT false,
    description         text NOT NULL DEFAULT '',
    rollout_percent     integer NOT NULL DEFAULT 100 CHECK (rollout_percent BETWEEN 0 AND 100),
    disabled            boolean NOT NULL DEFAULT false,
    -- Set when the crash-aware rollout stopped it.
    halted_at           timestamptz,
    promoted_from       bigint REFERENCES rn_releases (id) ON DELETE SET NULL,
    -- What clients reported of it.
    downloads           bigint NOT NULL DEFAULT 0,
    installs            bigint NOT NULL DEFAULT 0,
    successes           bigint NOT NULL DEFAULT 0,
    failures            bigint NOT NULL DEFAULT 0,
    created_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (deployment_id, label)
);
CREATE INDEX rn_releases_bundle_idx ON rn_releases (bundle_id);

-- The CodePush package hash of a zipped bundle (SHA-256 over the sorted "path:sha256" list of
-- its files), which the client checks after unzipping; the file's SHA-256 when not a zip.
ALTER TABLE rn_bundles ADD COLUMN package_hash text CHECK (package_hash ~ '^[0-9a-f]{64}$');

-- When a release's failures over at least min_reports deploy reports pass max_failure_percent,
-- its rollout stops; an app without a row uses the defaults below.
CREATE TABLE rn_halt_policies (
    app_id              bigint PRIMARY KEY REFERENCES apps (id) ON DELETE CASCADE,
    enabled             boolean NOT NULL DEFAULT true,
    min_reports         integer NOT NULL DEFAULT 50 CHECK (min_reports BETWEEN 1 AND 1000000),
    max_failure_percent integer NOT NULL DEFAULT 20 CHECK (max_failure_percent BETWEEN 1 AND 100),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
