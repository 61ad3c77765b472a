-- name: GetOperatorForAuth :one
SELECT id, username, status, tokens_valid_after FROM operators WHERE id = $1;
