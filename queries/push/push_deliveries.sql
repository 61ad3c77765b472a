-- name: InsertPushDeliveries :copyfrom
INSERT INTO push_deliveries (push_id, device_id, user_id, vendor, device_token, status, reason)
VALUES ($1, $2, $3, $4, $5, $6, $7);

-- name: ListPushDeliveries :many
SELECT * FROM push_deliveries WHERE push_id = sqlc.arg(push_id) ORDER BY device_id;
