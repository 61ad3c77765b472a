// Package ops is the operations platform: operators sign in, look after tenants and read the
// platform's statistics.
package ops

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/audit"
	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/page"
	"github.com/xuqmgroup/xuqm/internal/password"
	"github.com/xuqmgroup/xuqm/internal/postgres"
	"github.com/xuqmgroup/xuqm/internal/ratelimit"
)

// AdminUsername is the operator made on first start.
const AdminUsername = "admin"

// Pool is the database: queries and transactions (a *pgxpool.Pool).
type Pool interface {
	db.DBTX
	postgres.TxBeginner
}

// Options are the settings of the service.
type Options struct {
	Zone     *time.Location // XUQM_TIMEZONE: where days start
	Counters Counters       // the other areas' figures
	Now      func() time.Time
	// Tenants, when set, is told after a tenant was enabled or disabled, so that caches
	// and live connections elsewhere follow at once.
	Tenants TenantNotifier
}

// TenantNotifier is told of the committed switches of tenants. It runs on the caller's path.
type TenantNotifier interface {
	TenantChanged(ctx context.Context, tenantID int64, enabled bool)
}

// Service is the operations platform.
type Service struct {
	pool     Pool
	q        db.Querier
	tokens   *auth.Tokens
	zone     *time.Location
	counters Counters
	tenants  TenantNotifier // see Options.Tenants
	now      func() time.Time
	logins   ratelimit.Logins
}

// New returns the service on pool, signing tokens with tokens.
func New(pool Pool, tokens *auth.Tokens, opts Options) *Service {
	s := &Service{pool: pool, q: postgres.Queries(pool), tokens: tokens, zone: opts.Zone, counters: opts.Counters, now: opts.Now,
		tenants: opts.Tenants, logins: ratelimit.DefaultLogins("ops")}
	if s.zone == nil {
		s.zone = time.Local
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Token is an operator's signed-in session.
type Token struct {
	Token     string
	ExpiresAt time.Time
}

var errBadLogin = fault.Unauthorizedf("wrong username or password")

// Login signs an operator in, within the limits on attempts (ratelimit.Logins): the attempt
// is counted before the password is evaluated.
func (s *Service) Login(ctx context.Context, username, pw string) (Token, error) {
	username = strings.TrimSpace(username)
	if err := s.logins.Attempt(ctx, s.pool, s.now(), username, auth.ClientAddr(ctx)); err != nil {
		return Token{}, err
	}
	op, err := s.q.GetOperatorByUsername(ctx, username)
	switch {
	case errors.Is(err, postgres.ErrNotFound):
		password.Verify(password.Dummy, pw) // as slow as a wrong password
		return Token{}, errBadLogin
	case err != nil:
		return Token{}, fault.Wrap(err, "look up operator")
	case !password.Verify(op.PasswordHash, pw):
		return Token{}, errBadLogin
	case op.Status != "ENABLED":
		return Token{}, fault.Forbiddenf("this operator is disabled")
	}
	if err := s.logins.Succeeded(ctx, s.q, username, auth.ClientAddr(ctx)); err != nil {
		return Token{}, err
	}
	p := &auth.Principal{Kind: auth.KindOps, OperatorID: op.ID}
	if err := audit.Record(ctx, s.q, p, audit.Entry{Action: "operator.login", TargetType: "operator", TargetID: op.ID}); err != nil {
		return Token{}, err
	}
	token, exp, err := s.tokens.Issue(auth.Claims{Typ: auth.KindOps}, strconv.FormatInt(op.ID, 10))
	if err != nil {
		return Token{}, err
	}
	return Token{Token: token, ExpiresAt: exp}, nil
}

// EnsureAdmin makes the operator admin with pw unless it exists; an existing admin keeps its
// password.
func (s *Service) EnsureAdmin(ctx context.Context, pw string) (created bool, err error) {
	_, err = s.q.GetOperatorByUsername(ctx, AdminUsername)
	switch {
	case err == nil:
		return false, nil
	case !errors.Is(err, postgres.ErrNotFound):
		return false, fault.Wrap(err, "look up admin")
	}
	hash, err := password.Hash(pw)
	if err != nil {
		return false, fault.Wrap(err, "hash admin password")
	}
	n, err := s.q.InsertOperatorIfAbsent(ctx, db.InsertOperatorIfAbsentParams{Username: AdminUsername, PasswordHash: hash})
	if err != nil {
		return false, fault.Wrap(err, "create admin")
	}
	if n == 0 { // another instance made it first
		return false, nil
	}
	return true, audit.Record(ctx, s.q, nil, audit.Entry{Action: "operator.create", TargetType: "operator", Detail: map[string]any{"username": AdminUsername}})
}

// Tenant is a tenant as operators see it.
type Tenant struct {
	ID        int64
	Name      string
	Email     string
	Status    string
	AppCount  int64
	CreatedAt time.Time
}

// ListTenants lists every tenant, newest first; keyword matches part of the name or the
// address, status ("" for all) filters.
func (s *Service) ListTenants(ctx context.Context, p *auth.Principal, r page.Request, keyword, status string) (page.Page[Tenant], error) {
	if err := requireOperator(p); err != nil {
		return page.Page[Tenant]{}, err
	}
	if status != "" && status != "ENABLED" && status != "DISABLED" {
		return page.Page[Tenant]{}, fault.InvalidField("status", "want ENABLED or DISABLED")
	}
	pattern := postgres.ContainsPattern(keyword)
	rows, err := s.q.ListTenants(ctx, db.ListTenantsParams{Pattern: pattern, Status: status, Lim: r.Limit(), Off: r.Offset()})
	if err != nil {
		return page.Page[Tenant]{}, fault.Wrap(err, "list tenants")
	}
	total, err := s.q.CountTenants(ctx, db.CountTenantsParams{Pattern: pattern, Status: status})
	if err != nil {
		return page.Page[Tenant]{}, fault.Wrap(err, "count tenants")
	}
	out := make([]Tenant, len(rows))
	for i, t := range rows {
		out[i] = Tenant{ID: t.ID, Name: t.Name, Email: t.Email, Status: t.Status, AppCount: t.AppCount, CreatedAt: t.CreatedAt}
	}
	return page.Of(r, out, total), nil
}

// ToggleTenantStatus sets the tenant's status (enabled nil: flips it). The gate reads the
// status on every request, so a disabled tenant's tokens, keys and IM tokens stop at once.
func (s *Service) ToggleTenantStatus(ctx context.Context, p *auth.Principal, id int64, enabled *bool) (Tenant, error) {
	if err := requireOperator(p); err != nil {
		return Tenant{}, err
	}
	var out Tenant
	err := postgres.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		q := postgres.Queries(tx)
		cur, err := q.LockTenant(ctx, id)
		switch {
		case errors.Is(err, postgres.ErrNotFound):
			return fault.NotFoundf("no tenant with id %d", id)
		case err != nil:
			return fault.Wrap(err, "load tenant")
		}
		on := cur != "ENABLED"
		if enabled != nil {
			on = *enabled
		}
		status, action := "DISABLED", "tenant.disable"
		if on {
			status, action = "ENABLED", "tenant.enable"
		}
		if err := q.SetTenantStatus(ctx, db.SetTenantStatusParams{ID: id, Status: status}); err != nil {
			return fault.Wrap(err, "set tenant status")
		}
		t, err := q.GetTenant(ctx, id)
		if err != nil {
			return fault.Wrap(err, "load tenant")
		}
		out = Tenant{ID: t.ID, Name: t.Name, Email: t.Email, Status: t.Status, AppCount: t.AppCount, CreatedAt: t.CreatedAt}
		return audit.Record(ctx, q, p, audit.Entry{Action: action, TenantID: id, TargetType: "tenant", TargetID: id,
			Detail: map[string]any{"from": cur, "to": status}})
	})
	if err == nil && s.tenants != nil {
		s.tenants.TenantChanged(ctx, id, out.Status == "ENABLED")
	}
	return out, err
}

func requireOperator(p *auth.Principal) error {
	if p == nil || p.Kind != auth.KindOps {
		return fault.Forbiddenf("this needs an operator token")
	}
	return nil
}
