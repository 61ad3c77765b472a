-- name: InsertFileUpload :exec
INSERT INTO file_uploads (app_id, hash, name, size, uploader_kind, uploader_id)
VALUES (sqlc.arg(app_id), sqlc.arg(hash), sqlc.arg(name), sqlc.arg(size), sqlc.arg(uploader_kind), sqlc.arg(uploader_id));

-- name: CountFileUploads :one
-- An app's uploads and their bytes, for statistics and quotas.
SELECT count(*)::bigint AS uploads, coalesce(sum(size), 0)::bigint AS bytes
FROM file_uploads WHERE app_id = sqlc.arg(app_id);
