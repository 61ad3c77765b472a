package cli

import (
	"context"
	"log/slog"

	"github.com/xuqmgroup/xuqm/internal/config"
	"github.com/xuqmgroup/xuqm/internal/ops"
	"github.com/xuqmgroup/xuqm/internal/tenant"
)

// bootstrap makes what the first start of a platform needs: the operator admin and the demo
// tenant with its app ak_demo_chat and demo users (both left as they are when they exist).
func bootstrap(ctx context.Context, cfg config.Config, log *slog.Logger, tenants *tenant.Service, operations *ops.Service) error {
	created, err := operations.EnsureAdmin(ctx, cfg.AdminPassword)
	if err != nil {
		return err
	}
	if created {
		log.Info("created the operator", "username", ops.AdminUsername)
	}
	if n, err := tenants.SealStoredSecrets(ctx); err != nil {
		return err
	} else if n > 0 {
		log.Info("sealed app secrets and service keys stored in plaintext", "count", n)
	}
	demo, err := tenants.EnsureDemo(ctx, cfg.DemoAppSecret)
	switch {
	case err != nil:
		return err
	case demo.Created:
		log.Info("created the demo tenant and app", "appKey", tenant.DemoAppKey, "appId", demo.AppID)
	case demo.Deleted:
		log.Warn("the demo app was deleted; it is not made again", "appKey", tenant.DemoAppKey, "appId", demo.AppID)
	}
	return nil
}
