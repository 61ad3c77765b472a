-- name: GetServerSetting :one
SELECT value FROM server_settings WHERE name = $1;

-- name: InsertServerSettingIfAbsent :exec
INSERT INTO server_settings (name, value) VALUES ($1, $2)
ON CONFLICT (name) DO NOTHING;
