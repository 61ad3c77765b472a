-- +goose Up
-- Offline push of IM messages off the send path, and durable: a background worker reads the
-- stored messages behind this cursor (internal/push/offline.go explains the choice), like the
-- search indexer behind im_search_cursor, and queues their pushes in the transaction that
-- moves it, so that a crash neither loses a message's push nor sends it twice.
-- One row; a worker holds it FOR UPDATE while it works, so that instances take turns. It
-- starts after the messages already stored: their time to be pushed has passed.
CREATE TABLE push_im_cursor (
    id        boolean PRIMARY KEY DEFAULT true CHECK (id),
    pushed_to bigint NOT NULL DEFAULT 0,
    gaps      bigint[] NOT NULL DEFAULT '{}',
    gaps_seen timestamptz[] NOT NULL DEFAULT '{}'
);
INSERT INTO push_im_cursor (pushed_to) SELECT coalesce(max(id), 0) FROM im_messages;
