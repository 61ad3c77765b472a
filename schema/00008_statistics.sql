-- +goose Up
-- The operators' statistics count messages by day; a BRIN index suits an append-only table
-- whose rows arrive in time order, and costs next to nothing on the send path.
CREATE INDEX im_messages_created_brin ON im_messages USING brin (created_at);
