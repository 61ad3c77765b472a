-- name: InsertOperatorIfAbsent :execrows
INSERT INTO operators (username, password_hash) VALUES ($1, $2)
ON CONFLICT (username) DO NOTHING;

-- name: GetOperatorByUsername :one
SELECT id, username, password_hash, status FROM operators WHERE username = $1;
