-- name: InsertFileIfAbsent :exec
-- Records new content; the same bytes uploaded at once by several callers keep the first row.
INSERT INTO files (hash, size, content_type, name)
VALUES (sqlc.arg(hash), sqlc.arg(size), sqlc.arg(content_type), sqlc.arg(name))
ON CONFLICT (hash) DO NOTHING;

-- name: GetFile :one
SELECT hash, size, content_type, name, created_at FROM files WHERE hash = sqlc.arg(hash);
