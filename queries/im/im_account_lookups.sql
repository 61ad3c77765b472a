-- Reads of im_accounts (owned by the account area) that the IM core needs.

-- name: LookupLiveAccounts :many
-- The ids among user_ids that are live accounts of the app.
SELECT user_id FROM im_accounts
WHERE app_id = @app_id AND user_id = ANY(@user_ids::text[]) AND deleted_at IS NULL;
