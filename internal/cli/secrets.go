package cli

import (
	"context"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/config"
	"github.com/xuqmgroup/xuqm/internal/secret"
)

// secretBox is the one Box of the server, sealing credentials at rest with XUQM_SECRET_KEY or
// the key kept in the database. Services that store secrets take it in their options.
func secretBox(ctx context.Context, q db.Querier, cfg config.Config) (*secret.Box, error) {
	key, err := secret.ServerKey(ctx, q, cfg.SecretKey)
	if err != nil {
		return nil, err
	}
	return secret.NewBox(key)
}
