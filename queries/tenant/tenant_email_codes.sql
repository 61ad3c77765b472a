-- name: PutEmailCode :exec
-- The new code replaces the address's previous code of the same purpose.
INSERT INTO email_codes (email, purpose, code_hash, expires_at)
VALUES ($1, $2, $3, $4)
ON CONFLICT (email, purpose) DO UPDATE
SET code_hash = excluded.code_hash, attempts = 0, expires_at = excluded.expires_at,
    used_at = NULL, created_at = now();

-- name: TryEmailCode :one
-- One answer to the address's live code of purpose, counted as it is judged: a wrong answer adds
-- an attempt and the fifth makes the code useless. The row lock makes concurrent answers count
-- one after another, each against the attempts before it. No row: no live code.
UPDATE email_codes
SET attempts = attempts + CASE WHEN code_hash = sqlc.arg(code_hash) THEN 0 ELSE 1 END
WHERE email = sqlc.arg(email) AND purpose = sqlc.arg(purpose)
  AND used_at IS NULL AND expires_at > sqlc.arg(now)::timestamptz AND attempts < 5
RETURNING (code_hash = sqlc.arg(code_hash))::boolean AS ok;

-- name: UseEmailCode :execrows
UPDATE email_codes SET used_at = sqlc.arg(now)::timestamptz
WHERE email = sqlc.arg(email) AND purpose = sqlc.arg(purpose) AND code_hash = sqlc.arg(code_hash)
  AND used_at IS NULL AND expires_at > sqlc.arg(now)::timestamptz AND attempts < 5;

-- name: DeleteStaleEmailCodes :execrows
DELETE FROM email_codes WHERE expires_at < $1;
