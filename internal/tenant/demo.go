package tenant

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/audit"
	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/postgres"
)

// The demo tenant, its app and its users (ak_demo_chat, reused when it exists).
const (
	DemoAppKey      = "ak_demo_chat"
	DemoTenantName  = "Demo"
	DemoTenantEmail = "demo@xuqinmin.com"
	DemoAppName     = "Demo Chat"
)

// DemoUsers are the demo app's IM accounts, with their nicknames.
var DemoUsers = []struct{ UserID, Nickname string }{
	{"demo_alice", "Alice"}, {"demo_bob", "Bob"}, {"demo_carol", "Carol"},
}

// DemoResult says what EnsureDemo found.
type DemoResult struct {
	AppID   int64
	Created bool // the demo tenant and app were made now
	Deleted bool // the demo app exists but was deleted: nothing was done
}

// EnsureDemo makes the demo tenant, the app ak_demo_chat with its services and secret, and the
// demo users, when no app has that key; an existing app is reused as it is, and only the
// services and demo users it lacks are added. Instances starting together take turns.
func (s *Service) EnsureDemo(ctx context.Context, appSecret string) (DemoResult, error) {
	var res DemoResult
	err := postgres.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		q := postgres.Queries(tx)
		if err := q.LockAppBootstrap(ctx); err != nil {
			return fault.Wrap(err, "lock bootstrap")
		}
		found, err := q.FindAppByKey(ctx, DemoAppKey)
		switch {
		case err == nil && found.DeletedAt != nil:
			res = DemoResult{AppID: found.ID, Deleted: true}
			return nil
		case err == nil:
			res.AppID = found.ID
		case errors.Is(err, postgres.ErrNotFound):
			t, err := q.InsertTenant(ctx, db.InsertTenantParams{Name: DemoTenantName, Email: DemoTenantEmail})
			if err != nil {
				return fault.Wrap(err, "create demo tenant")
			}
			app, err := q.InsertApp(ctx, db.InsertAppParams{TenantID: t.ID, AppKey: DemoAppKey, AppSecret: s.secrets.Seal(appSecret, auth.AppSecretAAD(DemoAppKey)), Name: DemoAppName,
				Description: "The demo chat app"})
			if err != nil {
				return fault.Wrap(err, "create demo app")
			}
			res = DemoResult{AppID: app.ID, Created: true}
			if err := audit.Record(ctx, q, nil, audit.Entry{Action: "demo.create", TenantID: t.ID, TargetType: "app", TargetID: app.ID}); err != nil {
				return err
			}
		default:
			return fault.Wrap(err, "find demo app")
		}
		if err := s.addServices(ctx, q, res.AppID); err != nil {
			return err
		}
		for _, u := range DemoUsers {
			if err := q.InsertDemoIMAccount(ctx, db.InsertDemoIMAccountParams{AppID: res.AppID, UserID: u.UserID, Nickname: u.Nickname}); err != nil {
				return fault.Wrap(err, "create demo user")
			}
		}
		return nil
	})
	return res, err
}
