package tenant

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/audit"
	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/page"
	"github.com/xuqmgroup/xuqm/internal/postgres"
)

// App is an app of a tenant with its services. AppSecret and the services' keys are masked
// unless the app was just created.
type App struct {
	ID          int64
	Name        string
	Description string
	AppKey      string
	AppSecret   string
	Services    []AppService
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// AppSecret is a freshly rotated appSecret, in full.
type AppSecret struct {
	ID        int64
	AppKey    string
	AppSecret string
}

// AppInput is what a tenant sets on an app. A nil Description keeps the current one.
type AppInput struct {
	Name        string
	Description *string
}

// newAppKey is "ak_" and 26 random characters (130 bits).
func newAppKey() string { return "ak_" + strings.ToLower(rand.Text()) }

// newSecret is an appSecret or a service key: 64 hexadecimal characters.
func newSecret() string { return auth.RandomHex(32) }

// mask shows the first and last four characters of a secret.
func mask(secret string) string {
	if len(secret) <= 8 {
		return "****"
	}
	return secret[:4] + "****" + secret[len(secret)-4:]
}

func (in AppInput) check() (AppInput, error) {
	name, err := checkName("name", in.Name, 64)
	if err != nil {
		return in, err
	}
	in.Name = name
	if in.Description != nil && len([]rune(*in.Description)) > 512 {
		return in, fault.InvalidField("description", "may have at most 512 characters")
	}
	return in, nil
}

// CreateApp creates an app of p's tenant with its four services, all enabled; the answer is the
// only one with the secrets in full.
func (s *Service) CreateApp(ctx context.Context, p *auth.Principal, in AppInput) (App, error) {
	if err := requireManager(p); err != nil {
		return App{}, err
	}
	in, err := in.check()
	if err != nil {
		return App{}, err
	}
	var app App
	err = postgres.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		q := postgres.Queries(tx)
		desc := ""
		if in.Description != nil {
			desc = *in.Description
		}
		appKey := newAppKey()
		row, err := q.InsertApp(ctx, db.InsertAppParams{TenantID: p.TenantID, AppKey: appKey, AppSecret: s.secrets.Seal(newSecret(), auth.AppSecretAAD(appKey)),
			Name: in.Name, Description: desc})
		if err != nil {
			return fault.Wrap(err, "create app")
		}
		if err := s.addServices(ctx, q, row.ID); err != nil {
			return err
		}
		apps, err := s.withServices(ctx, q, []db.App{row}, false)
		if err != nil {
			return err
		}
		app = apps[0]
		return audit.Record(ctx, q, p, audit.Entry{Action: "app.create", TenantID: p.TenantID, TargetType: "app", TargetID: row.ID,
			Detail: map[string]any{"appKey": row.AppKey, "name": row.Name}})
	})
	return app, err
}

// ListApps lists p's tenant's apps, newest first; keyword matches part of the name.
func (s *Service) ListApps(ctx context.Context, p *auth.Principal, r page.Request, keyword string) (page.Page[App], error) {
	if err := requireTenant(p); err != nil {
		return page.Page[App]{}, err
	}
	pattern := postgres.ContainsPattern(keyword)
	rows, err := s.q.ListTenantApps(ctx, db.ListTenantAppsParams{TenantID: p.TenantID, Pattern: pattern, Lim: r.Limit(), Off: r.Offset()})
	if err != nil {
		return page.Page[App]{}, fault.Wrap(err, "list apps")
	}
	total, err := s.q.CountTenantApps(ctx, db.CountTenantAppsParams{TenantID: p.TenantID, Pattern: pattern})
	if err != nil {
		return page.Page[App]{}, fault.Wrap(err, "count apps")
	}
	apps, err := s.withServices(ctx, s.q, rows, true)
	if err != nil {
		return page.Page[App]{}, err
	}
	return page.Of(r, apps, total), nil
}

// GetApp is one app of p's tenant, secrets masked.
func (s *Service) GetApp(ctx context.Context, p *auth.Principal, id int64) (App, error) {
	row, err := s.ownApp(ctx, s.q, p, id)
	if err != nil {
		return App{}, err
	}
	apps, err := s.withServices(ctx, s.q, []db.App{row}, true)
	if err != nil {
		return App{}, err
	}
	return apps[0], nil
}

// UpdateApp renames the app and sets its description.
func (s *Service) UpdateApp(ctx context.Context, p *auth.Principal, id int64, in AppInput) (App, error) {
	if err := requireManager(p); err != nil {
		return App{}, err
	}
	in, err := in.check()
	if err != nil {
		return App{}, err
	}
	var app App
	err = postgres.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		q := postgres.Queries(tx)
		if _, err := s.ownApp(ctx, q, p, id); err != nil {
			return err
		}
		row, err := q.UpdateAppDetails(ctx, db.UpdateAppDetailsParams{ID: id, Name: in.Name, Description: in.Description})
		if err != nil {
			return fault.Wrap(err, "update app")
		}
		apps, err := s.withServices(ctx, q, []db.App{row}, true)
		if err != nil {
			return err
		}
		app = apps[0]
		return audit.Record(ctx, q, p, audit.Entry{Action: "app.update", TenantID: p.TenantID, TargetType: "app", TargetID: id,
			Detail: map[string]any{"name": row.Name, "description": row.Description}})
	})
	return app, err
}

// DeleteApp deletes the app: its key, secret, service keys and IM tokens stop working at once.
func (s *Service) DeleteApp(ctx context.Context, p *auth.Principal, id int64) error {
	if err := requireManager(p); err != nil {
		return err
	}
	var key string
	err := postgres.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		q := postgres.Queries(tx)
		row, err := s.ownApp(ctx, q, p, id)
		if err != nil {
			return err
		}
		key = row.AppKey
		if err := q.MarkAppDeleted(ctx, id); err != nil {
			return fault.Wrap(err, "delete app")
		}
		return audit.Record(ctx, q, p, audit.Entry{Action: "app.delete", TenantID: p.TenantID, TargetType: "app", TargetID: id,
			Detail: map[string]any{"appKey": row.AppKey}})
	})
	s.tellAppChanged(ctx, err, AppChange{AppID: id, AppKey: key, Deleted: true})
	return err
}

// RegenerateAppSecret replaces the app's appSecret; the answer is the only one with it in full.
func (s *Service) RegenerateAppSecret(ctx context.Context, p *auth.Principal, id int64) (AppSecret, error) {
	if err := requireManager(p); err != nil {
		return AppSecret{}, err
	}
	var out AppSecret
	err := postgres.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		q := postgres.Queries(tx)
		row, err := s.ownApp(ctx, q, p, id)
		if err != nil {
			return err
		}
		out = AppSecret{ID: id, AppKey: row.AppKey, AppSecret: newSecret()}
		if err := q.SetAppSecret(ctx, db.SetAppSecretParams{ID: id, AppSecret: s.secrets.Seal(out.AppSecret, auth.AppSecretAAD(row.AppKey))}); err != nil {
			return fault.Wrap(err, "set app secret")
		}
		return audit.Record(ctx, q, p, audit.Entry{Action: "app.regenerate-secret", TenantID: p.TenantID, TargetType: "app", TargetID: id})
	})
	return out, err
}

// ownApp loads a live app of p's tenant: 404 when there is none, 403 when it is another
// tenant's.
func (s *Service) ownApp(ctx context.Context, q db.Querier, p *auth.Principal, id int64) (db.App, error) {
	if err := requireTenant(p); err != nil {
		return db.App{}, err
	}
	row, err := q.GetAppByID(ctx, id)
	switch {
	case errors.Is(err, postgres.ErrNotFound):
		return db.App{}, fault.NotFoundf("no app with id %d", id)
	case err != nil:
		return db.App{}, fault.Wrap(err, "load app")
	case row.TenantID != p.TenantID:
		return db.App{}, fault.Forbiddenf("app %d belongs to another tenant", id)
	}
	return row, nil
}

// withServices turns app rows into Apps with their services.
func (s *Service) withServices(ctx context.Context, q db.Querier, rows []db.App, masked bool) ([]App, error) {
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	svcs, err := q.ListAppServices(ctx, ids)
	if err != nil {
		return nil, fault.Wrap(err, "list services")
	}
	byApp := make(map[int64][]AppService, len(rows))
	for _, sv := range svcs {
		svc, err := s.toService(sv, masked)
		if err != nil {
			return nil, err
		}
		byApp[sv.AppID] = append(byApp[sv.AppID], svc)
	}
	apps := make([]App, len(rows))
	for i, r := range rows {
		secret, err := s.secrets.Open(r.AppSecret, auth.AppSecretAAD(r.AppKey))
		if err != nil {
			return nil, err
		}
		if masked {
			secret = mask(secret)
		}
		apps[i] = App{ID: r.ID, Name: r.Name, Description: r.Description, AppKey: r.AppKey, AppSecret: secret,
			Services: byApp[r.ID], CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
		if apps[i].Services == nil {
			apps[i].Services = []AppService{}
		}
	}
	return apps, nil
}
