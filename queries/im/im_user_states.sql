-- name: GetUserEventSeq :one
-- The user's latest event seq; 0 when he has none yet.
SELECT coalesce((SELECT event_seq FROM im_user_states WHERE app_id = @app_id AND user_id = @user_id), 0)::bigint;
