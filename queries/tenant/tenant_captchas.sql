-- name: InsertCaptcha :exec
INSERT INTO captchas (id, answer, expires_at) VALUES ($1, $2, $3);

-- name: TakeCaptcha :one
-- A captcha is answered once: taking it deletes it, whatever the answer.
DELETE FROM captchas WHERE id = $1 RETURNING answer, expires_at;

-- name: DeleteExpiredCaptchas :execrows
DELETE FROM captchas WHERE expires_at < $1;
