-- +goose Up
-- The file service: a content-addressed store. One row per distinct content (its bytes are in the
-- blob store under blob.ContentKey(hash)), and one row per upload, for each app's statistics and
-- quotas.

CREATE TABLE files (
    hash         text PRIMARY KEY CHECK (hash ~ '^[0-9a-f]{64}$'),
    size         bigint NOT NULL CHECK (size >= 0),
    -- Sniffed from the bytes at the first upload, never taken from the client.
    content_type text NOT NULL,
    -- The first upload's file name, for Content-Disposition.
    name         text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE file_uploads (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    app_id        bigint NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    hash          text NOT NULL REFERENCES files (hash),
    name          text NOT NULL,
    size          bigint NOT NULL,
    -- Who uploaded: an IM user (kind im, id the userId) or a tenant account (kind tenant, id
    -- the account id).
    uploader_kind text NOT NULL CHECK (uploader_kind IN ('im', 'tenant')),
    uploader_id   text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX file_uploads_app_idx ON file_uploads (app_id, created_at);
CREATE INDEX file_uploads_hash_idx ON file_uploads (hash);
