-- name: GetAppSigningKey :one
SELECT * FROM app_signing_keys WHERE app_id = sqlc.arg(app_id);

-- name: UpsertAppSigningKey :one
-- A new key replaces the app's old one; the require-signed setting stays.
INSERT INTO app_signing_keys (app_id, private_key, public_key_pem, certificate_pem, fingerprint)
VALUES (sqlc.arg(app_id), sqlc.arg(private_key), sqlc.arg(public_key_pem), sqlc.arg(certificate_pem), sqlc.arg(fingerprint))
ON CONFLICT (app_id) DO UPDATE
SET private_key = excluded.private_key, public_key_pem = excluded.public_key_pem,
    certificate_pem = excluded.certificate_pem, fingerprint = excluded.fingerprint,
    created_at = now(), updated_at = now()
RETURNING *;

-- name: SetAppSigningRequired :one
UPDATE app_signing_keys SET require_signed = sqlc.arg(require_signed), updated_at = now()
WHERE app_id = sqlc.arg(app_id)
RETURNING *;
