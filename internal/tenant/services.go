package tenant

import (
	"context"
	"errors"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/audit"
	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/postgres"
)

// ServiceTypes are an app's services, in the order they are listed.
var ServiceTypes = []string{"IM", "PUSH", "FILE", "UPDATE"}

// AppService is one service of an app: its switch and the key of its app-server signatures.
type AppService struct {
	ID        int64
	Type      string
	Enabled   bool
	SecretKey string // masked unless just made
}

func (s *Service) toService(r db.AppService, masked bool) (AppService, error) {
	key, err := s.secrets.Open(r.SecretKey, auth.ServiceKeyAAD(r.AppID, r.ServiceType))
	if err != nil {
		return AppService{}, err
	}
	if masked {
		key = mask(key)
	}
	return AppService{ID: r.ID, Type: r.ServiceType, Enabled: r.Enabled, SecretKey: key}, nil
}

// addServices gives an app the services it lacks, enabled, each with a new key.
func (s *Service) addServices(ctx context.Context, q db.Querier, appID int64) error {
	for _, t := range ServiceTypes {
		key := s.secrets.Seal(newSecret(), auth.ServiceKeyAAD(appID, t))
		if err := q.InsertAppService(ctx, db.InsertAppServiceParams{AppID: appID, ServiceType: t, SecretKey: key}); err != nil {
			return fault.Wrap(err, "create service")
		}
	}
	return nil
}

// ListServices lists the app's services, keys masked.
func (s *Service) ListServices(ctx context.Context, p *auth.Principal, appID int64) ([]AppService, error) {
	if _, err := s.ownApp(ctx, s.q, p, appID); err != nil {
		return nil, err
	}
	rows, err := s.q.ListAppServices(ctx, []int64{appID})
	if err != nil {
		return nil, fault.Wrap(err, "list services")
	}
	out := make([]AppService, len(rows))
	for i, r := range rows {
		if out[i], err = s.toService(r, true); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func validServiceType(t string) bool {
	for _, x := range ServiceTypes {
		if x == t {
			return true
		}
	}
	return false
}

// ToggleService switches one service of the app on or off; the gate reads the switch on every
// request, so the change holds from the next one on.
func (s *Service) ToggleService(ctx context.Context, p *auth.Principal, appID int64, serviceType string, enabled bool) (AppService, error) {
	if err := requireManager(p); err != nil {
		return AppService{}, err
	}
	if !validServiceType(serviceType) {
		return AppService{}, fault.InvalidField("serviceType", "want IM, PUSH, FILE or UPDATE")
	}
	var out AppService
	var key string
	err := postgres.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		q := postgres.Queries(tx)
		app, err := s.ownApp(ctx, q, p, appID)
		if err != nil {
			return err
		}
		key = app.AppKey
		row, err := q.SetAppServiceEnabled(ctx, db.SetAppServiceEnabledParams{AppID: appID, ServiceType: serviceType, Enabled: enabled})
		switch {
		case errors.Is(err, postgres.ErrNotFound):
			return fault.NotFoundf("app %d has no %s service", appID, serviceType)
		case err != nil:
			return fault.Wrap(err, "toggle service")
		}
		if out, err = s.toService(row, true); err != nil {
			return err
		}
		return audit.Record(ctx, q, p, audit.Entry{Action: "service.toggle", TenantID: p.TenantID, TargetType: "service", TargetID: row.ID,
			Detail: map[string]any{"appId": appID, "serviceType": serviceType, "enabled": enabled}})
	})
	s.tellAppChanged(ctx, err, AppChange{AppID: appID, AppKey: key, Service: serviceType, Enabled: enabled})
	return out, err
}

// RegenerateServiceKey replaces a service's key; the answer is the only one with it in full.
func (s *Service) RegenerateServiceKey(ctx context.Context, p *auth.Principal, appID, serviceID int64) (AppService, error) {
	if err := requireManager(p); err != nil {
		return AppService{}, err
	}
	var out AppService
	err := postgres.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		q := postgres.Queries(tx)
		if _, err := s.ownApp(ctx, q, p, appID); err != nil {
			return err
		}
		// The key is sealed for its service's row, so the service's type is needed first.
		svcs, err := q.ListAppServices(ctx, []int64{appID})
		if err != nil {
			return fault.Wrap(err, "list services")
		}
		i := slices.IndexFunc(svcs, func(sv db.AppService) bool { return sv.ID == serviceID })
		if i < 0 {
			return fault.NotFoundf("app %d has no service with id %d", appID, serviceID)
		}
		plain := newSecret()
		row, err := q.SetAppServiceKey(ctx, db.SetAppServiceKeyParams{AppID: appID, ID: serviceID, SecretKey: s.secrets.Seal(plain, auth.ServiceKeyAAD(appID, svcs[i].ServiceType))})
		switch {
		case errors.Is(err, postgres.ErrNotFound):
			return fault.NotFoundf("app %d has no service with id %d", appID, serviceID)
		case err != nil:
			return fault.Wrap(err, "set service key")
		}
		out = AppService{ID: row.ID, Type: row.ServiceType, Enabled: row.Enabled, SecretKey: plain}
		return audit.Record(ctx, q, p, audit.Entry{Action: "service.regenerate-key", TenantID: p.TenantID, TargetType: "service", TargetID: row.ID,
			Detail: map[string]any{"appId": appID, "serviceType": row.ServiceType}})
	})
	return out, err
}
