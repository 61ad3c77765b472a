-- +goose Up
-- Patches of a release against the live releases before it in its deployment, so that a
-- client running one of them downloads only what changed. They are built once, in the
-- background, after the release is made (River job rn_patches on the update queue), and kept
-- in the blob store under their SHA-256.
--   CODEPUSH_ZIP: the changed and added files of the target's zip plus hotcodepush.json, which
--                 lists the deleted ones; base_hash is the base's CodePush package hash and
--                 target_hash the target's, which the client checks after applying it.
--   BSDIFF:       a BSDIFF40 patch of the base's launch asset (the Expo bundle) into the
--                 target's; base_hash and target_hash are the SHA-256 of those two files.
CREATE TABLE rn_patches (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    release_id      bigint NOT NULL REFERENCES rn_releases (id) ON DELETE CASCADE,
    base_release_id bigint REFERENCES rn_releases (id) ON DELETE SET NULL,
    kind            text NOT NULL CHECK (kind IN ('CODEPUSH_ZIP', 'BSDIFF')),
    base_hash       text NOT NULL CHECK (base_hash ~ '^[0-9a-f]{64}$'),
    target_hash     text NOT NULL CHECK (target_hash ~ '^[0-9a-f]{64}$'),
    sha256          text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size            bigint NOT NULL CHECK (size > 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (release_id, kind, base_hash)
);
CREATE INDEX rn_patches_sha256_idx ON rn_patches (sha256);
