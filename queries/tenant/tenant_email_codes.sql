-- name: PutEmailCode :exec
-- The new code replaces the address's previous code of the same purpose.
INSERT INTO email_codes (email, purpose, code_hash, expires_at)
VALUES ($1, $2, $3, $4)
ON CONFLICT (email, purpose) DO UPDATE
SET code_hash = excluded.code_hash, attempts = 0, expires_at = excluded.expires_at,
    used_at = NULL, created_at = now();

-- name: CheckEmailCode :one
-- Whether the code is the address's valid one, without using it up.
SELECT EXISTS (
    SELECT 1 FROM email_codes
    WHERE email = sqlc.arg(email) AND purpose = sqlc.arg(purpose) AND code_hash = sqlc.arg(code_hash)
      AND used_at IS NULL AND expires_at > sqlc.arg(now)::timestamptz AND attempts < 5
)::boolean;

-- name: UseEmailCode :execrows
UPDATE email_codes SET used_at = sqlc.arg(now)::timestamptz
WHERE email = sqlc.arg(email) AND purpose = sqlc.arg(purpose) AND code_hash = sqlc.arg(code_hash)
  AND used_at IS NULL AND expires_at > sqlc.arg(now)::timestamptz AND attempts < 5;

-- name: CountEmailCodeMiss :exec
-- A wrong answer; the fifth one makes the code useless.
UPDATE email_codes SET attempts = attempts + 1
WHERE email = $1 AND purpose = $2 AND used_at IS NULL;

-- name: DeleteStaleEmailCodes :execrows
DELETE FROM email_codes WHERE expires_at < $1;
