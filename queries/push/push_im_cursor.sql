-- name: LockPushIMCursor :one
-- The offline push worker's position, held until the transaction ends; no row while another
-- instance's worker holds it.
SELECT pushed_to, gaps, gaps_seen FROM push_im_cursor WHERE id FOR UPDATE SKIP LOCKED;

-- name: MovePushIMCursor :exec
UPDATE push_im_cursor SET pushed_to = @pushed_to, gaps = @gaps::bigint[], gaps_seen = @gaps_seen::timestamptz[] WHERE id;
