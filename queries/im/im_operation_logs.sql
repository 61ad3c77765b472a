-- name: InsertOperationLog :exec
INSERT INTO im_operation_logs (app_id, actor_type, actor_id, action, target_type, target_id, detail)
VALUES (@app_id, @actor_type, @actor_id, @action, @target_type, @target_id, @detail);

-- name: ListOperationLogs :many
SELECT * FROM im_operation_logs WHERE app_id = @app_id
ORDER BY id DESC
LIMIT @max_rows OFFSET @skip_rows;

-- name: CountOperationLogs :one
SELECT count(*) FROM im_operation_logs WHERE app_id = @app_id;
