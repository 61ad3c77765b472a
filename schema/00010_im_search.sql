-- +goose Up
-- Search off the send path: a send no longer maintains a GIN index.
-- A message's search grams live in im_message_search, which a batch indexer fills from
-- im_messages behind a durable cursor (internal/im/search_index.go explains the choice).
-- im_messages keeps search_text: it is what a search confirms its candidates against (so a
-- revoked or edited message is judged by its text now), and what a conversation's history
-- filters by keyword, within one chat, without an index.

DROP INDEX im_messages_search_idx;
ALTER TABLE im_messages DROP COLUMN search_grams;

-- One row per message with something to find: its lower-cased character bigrams and, for
-- text outside ASCII, its single characters (pg_trgm needs three characters, too many for
-- 你好). chat_id and created_at are copied so that a search filters and orders here, and
-- reads im_messages only for the page it shows.
CREATE TABLE im_message_search (
    message_id bigint PRIMARY KEY,
    app_id     bigint NOT NULL,
    chat_id    bigint NOT NULL,
    created_at timestamptz NOT NULL,
    grams      text[] NOT NULL
);
CREATE INDEX im_message_search_grams_idx ON im_message_search USING gin (grams);

-- The indexer's durable position: every message id up to indexed_to has been looked at,
-- except the ids in gaps (not visible when their neighbours were: a send still running, or
-- one rolled back), each with the time it was first missed. One row; an indexer holds it
-- FOR UPDATE while it works, so that instances take turns.
CREATE TABLE im_search_cursor (
    id         boolean PRIMARY KEY DEFAULT true CHECK (id),
    indexed_to bigint NOT NULL DEFAULT 0,
    gaps       bigint[] NOT NULL DEFAULT '{}',
    gaps_seen  timestamptz[] NOT NULL DEFAULT '{}'
);
INSERT INTO im_search_cursor DEFAULT VALUES;
