-- name: InsertImAccount :one
-- Creates an account; no row when the userId is taken, by a live or a deleted account (a
-- deleted account keeps its row so that its messages still name it).
INSERT INTO im_accounts (app_id, user_id, nickname, avatar_url, extra)
VALUES (sqlc.arg(app_id), sqlc.arg(user_id), sqlc.arg(nickname), sqlc.arg(avatar_url), sqlc.arg(extra))
ON CONFLICT (app_id, user_id) DO NOTHING
RETURNING *;

-- name: LockImAccount :one
-- The account whatever its state, locked until the transaction ends.
SELECT * FROM im_accounts
WHERE app_id = sqlc.arg(app_id) AND user_id = sqlc.arg(user_id)
FOR UPDATE;

-- name: GetImAccountState :one
-- Whether the account is deleted, for login.
SELECT deleted_at FROM im_accounts
WHERE app_id = sqlc.arg(app_id) AND user_id = sqlc.arg(user_id);

-- name: GetImAccount :one
SELECT * FROM im_accounts
WHERE app_id = sqlc.arg(app_id) AND user_id = sqlc.arg(user_id) AND deleted_at IS NULL;

-- name: ImAccountExists :one
SELECT EXISTS (
    SELECT 1 FROM im_accounts
    WHERE app_id = sqlc.arg(app_id) AND user_id = sqlc.arg(user_id) AND deleted_at IS NULL
);

-- name: ListLiveImAccountIDs :many
-- Which of user_ids are live accounts of the app, for callers that check many at once
-- (group members, push targets).
SELECT user_id FROM im_accounts
WHERE app_id = sqlc.arg(app_id) AND user_id = ANY (sqlc.arg(user_ids)::text[]) AND deleted_at IS NULL
ORDER BY user_id;

-- name: UpdateImAccountProfile :one
-- Changes the fields given (NULL keeps the value) of a live account.
UPDATE im_accounts
SET nickname   = coalesce(sqlc.narg(nickname), nickname),
    avatar_url = coalesce(sqlc.narg(avatar_url), avatar_url),
    extra      = coalesce(sqlc.narg(extra), extra),
    updated_at = now()
WHERE app_id = sqlc.arg(app_id) AND user_id = sqlc.arg(user_id) AND deleted_at IS NULL
RETURNING *;

-- name: ReviveImAccount :one
-- Re-import of a deleted account: a new account under the old userId, with only the profile
-- given. Tokens issued before valid_after (those of the deleted account) stay refused.
UPDATE im_accounts
SET nickname           = sqlc.arg(nickname),
    avatar_url         = sqlc.arg(avatar_url),
    extra              = sqlc.arg(extra),
    deleted_at         = NULL,
    tokens_valid_after = sqlc.arg(valid_after),
    created_at         = now(),
    updated_at         = now()
WHERE app_id = sqlc.arg(app_id) AND user_id = sqlc.arg(user_id) AND deleted_at IS NOT NULL
RETURNING *;

-- name: DeleteImAccount :execrows
-- Marks a live account deleted; its tokens issued before valid_after stop at once.
UPDATE im_accounts
SET deleted_at = now(), tokens_valid_after = sqlc.arg(valid_after), updated_at = now()
WHERE app_id = sqlc.arg(app_id) AND user_id = sqlc.arg(user_id) AND deleted_at IS NULL;

-- name: SearchImAccounts :many
-- Live accounts whose userId or nickname matches pattern (an ILIKE pattern), best first:
-- an exact match, then a prefix match, then the rest, each by userId.
SELECT user_id, nickname, avatar_url
FROM im_accounts
WHERE app_id = sqlc.arg(app_id) AND deleted_at IS NULL
  AND (user_id ILIKE sqlc.arg(pattern)::text OR nickname ILIKE sqlc.arg(pattern)::text)
ORDER BY (lower(user_id) = lower(sqlc.arg(keyword)::text) OR lower(nickname) = lower(sqlc.arg(keyword)::text)) DESC,
         (user_id ILIKE sqlc.arg(prefix)::text OR nickname ILIKE sqlc.arg(prefix)::text) DESC,
         user_id
LIMIT sqlc.arg(lim) OFFSET sqlc.arg(off);

-- name: CountImAccountSearch :one
SELECT count(*) FROM im_accounts
WHERE app_id = sqlc.arg(app_id) AND deleted_at IS NULL
  AND (user_id ILIKE sqlc.arg(pattern)::text OR nickname ILIKE sqlc.arg(pattern)::text);

-- name: AdminListImAccounts :many
-- The app's accounts, newest first; pattern (an ILIKE pattern, NULL: all) on userId or
-- nickname; deleted ones only when include_deleted.
SELECT user_id, nickname, avatar_url, created_at, deleted_at
FROM im_accounts
WHERE app_id = @app_id AND (@include_deleted::boolean OR deleted_at IS NULL)
  AND (sqlc.narg(pattern)::text IS NULL OR user_id ILIKE sqlc.narg(pattern) OR nickname ILIKE sqlc.narg(pattern))
ORDER BY created_at DESC, user_id
LIMIT @max_rows OFFSET @skip_rows;

-- name: AdminCountImAccounts :one
SELECT count(*) FROM im_accounts
WHERE app_id = @app_id AND (@include_deleted::boolean OR deleted_at IS NULL)
  AND (sqlc.narg(pattern)::text IS NULL OR user_id ILIKE sqlc.narg(pattern) OR nickname ILIKE sqlc.narg(pattern));
