-- name: LockSearchCursor :one
-- The search indexer's position, held until the transaction ends; no row while another
-- instance's indexer holds it.
SELECT indexed_to, gaps, gaps_seen FROM im_search_cursor WHERE id FOR UPDATE SKIP LOCKED;

-- name: MoveSearchCursor :exec
UPDATE im_search_cursor SET indexed_to = @indexed_to, gaps = @gaps::bigint[], gaps_seen = @gaps_seen::timestamptz[] WHERE id;
