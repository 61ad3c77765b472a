-- name: GetUserEventSeq :one
-- The user's latest event seq; 0 when he has none yet.
SELECT coalesce((SELECT event_seq FROM im_user_states WHERE app_id = @app_id AND user_id = @user_id), 0)::bigint;

-- name: LockUserStates :exec
-- Locks the users' event counters (creating those missing) in sorted order, as every
-- statement that bumps them does.
INSERT INTO im_user_states AS s (app_id, user_id, event_seq)
SELECT DISTINCT @app_id::bigint, u, 0::bigint FROM unnest(@user_ids::text[]) AS u ORDER BY u
ON CONFLICT (app_id, user_id) DO UPDATE SET event_seq = s.event_seq;
