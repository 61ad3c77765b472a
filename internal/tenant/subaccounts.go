package tenant

import (
	"context"
	"strconv"
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

// SubAccount is an account of a tenant other than its main account.
type SubAccount struct {
	ID        int64
	Email     string
	Name      string
	Role      string
	Status    string
	CreatedAt time.Time
}

// NewSubAccount is what creates a sub-account.
type NewSubAccount struct {
	Email    string
	Password string
	Name     string
	Role     string
	Code     string // mailed to Email with purpose SUB_ACCOUNT
}

func validSubAccountRole(r string) bool {
	return r == RoleAdmin || r == RoleDeveloper || r == RoleViewer
}

// SendSubAccountCode mails a SUB_ACCOUNT code to the address of a future sub-account.
func (s *Service) SendSubAccountCode(ctx context.Context, p *auth.Principal, email string) error {
	if err := requireManager(p); err != nil {
		return err
	}
	email = normalEmail(email)
	if err := checkEmail("email", email); err != nil {
		return err
	}
	exists, err := s.q.TenantAccountExists(ctx, email)
	if err != nil {
		return fault.Wrap(err, "look up account")
	}
	return postgres.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		q := postgres.Queries(tx)
		// The caller is signed in: the address's limit and the tenant's own apply, so that a
		// tenant cannot probe addresses in bulk.
		limits := append(mailLimits(email, PurposeSubAccount, ""), ratelimit.Limit{Bucket: "mail-tenant:" + strconv.FormatInt(p.TenantID, 10),
			Max: 20, Window: time.Hour, Message: "too many verification mails sent for this tenant"})
		if err := ratelimit.Take(ctx, q, s.now(), limits...); err != nil {
			return err
		}
		// A known address answers as an unknown one; only its owner learns it, by mail.
		send := func() error { return s.mailCode(ctx, q, email, PurposeSubAccount) }
		if exists {
			send = func() error { return fault.Wrap(s.mail.Send(ctx, takenMail(email, PurposeSubAccount)), "send mail") }
		}
		if err := send(); err != nil {
			return err
		}
		return audit.Record(ctx, q, p, audit.Entry{Action: "sub-account.send-code", TenantID: p.TenantID,
			Detail: map[string]any{"email": email}})
	})
}

// VerifySubAccountEmail checks the address's SUB_ACCOUNT code without using it up.
func (s *Service) VerifySubAccountEmail(ctx context.Context, p *auth.Principal, email, code string) error {
	if err := requireManager(p); err != nil {
		return err
	}
	return s.checkCode(ctx, normalEmail(email), PurposeSubAccount, code)
}

// CreateSubAccount creates a sub-account of p's tenant and uses its code up.
func (s *Service) CreateSubAccount(ctx context.Context, p *auth.Principal, in NewSubAccount) (SubAccount, error) {
	if err := requireManager(p); err != nil {
		return SubAccount{}, err
	}
	email := normalEmail(in.Email)
	if err := checkEmail("email", email); err != nil {
		return SubAccount{}, err
	}
	name, err := checkName("name", in.Name, 64)
	if err != nil {
		return SubAccount{}, err
	}
	if !validSubAccountRole(in.Role) {
		return SubAccount{}, fault.InvalidField("role", "want ADMIN, DEVELOPER or VIEWER")
	}
	if err := checkPassword(in.Password); err != nil {
		return SubAccount{}, err
	}
	if err := s.checkCode(ctx, email, PurposeSubAccount, in.Code); err != nil {
		return SubAccount{}, err
	}
	hash, err := password.Hash(in.Password)
	if err != nil {
		return SubAccount{}, fault.Wrap(err, "hash password")
	}
	out := SubAccount{Email: email, Name: name, Role: in.Role, Status: "ENABLED"}
	err = postgres.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		q := postgres.Queries(tx)
		if err := s.useCode(ctx, q, email, PurposeSubAccount, in.Code); err != nil {
			return err
		}
		row, err := q.InsertTenantAccount(ctx, db.InsertTenantAccountParams{TenantID: p.TenantID, Email: email, Name: name, PasswordHash: hash, Role: in.Role})
		if err != nil {
			return accountInsertError(err, email)
		}
		out.ID, out.CreatedAt = row.ID, row.CreatedAt
		return audit.Record(ctx, q, p, audit.Entry{Action: "sub-account.create", TenantID: p.TenantID, TargetType: "account", TargetID: row.ID,
			Detail: map[string]any{"email": email, "role": in.Role}})
	})
	return out, err
}

// ListSubAccounts lists p's tenant's sub-accounts, newest first.
func (s *Service) ListSubAccounts(ctx context.Context, p *auth.Principal, r page.Request) (page.Page[SubAccount], error) {
	if err := requireManager(p); err != nil {
		return page.Page[SubAccount]{}, err
	}
	rows, err := s.q.ListSubAccounts(ctx, db.ListSubAccountsParams{TenantID: p.TenantID, Limit: r.Limit(), Offset: r.Offset()})
	if err != nil {
		return page.Page[SubAccount]{}, fault.Wrap(err, "list sub-accounts")
	}
	total, err := s.q.CountSubAccounts(ctx, p.TenantID)
	if err != nil {
		return page.Page[SubAccount]{}, fault.Wrap(err, "count sub-accounts")
	}
	out := make([]SubAccount, len(rows))
	for i, r := range rows {
		out[i] = SubAccount{ID: r.ID, Email: r.Email, Name: r.Name, Role: r.Role, Status: r.Status, CreatedAt: r.CreatedAt}
	}
	return page.Of(r, out, total), nil
}

// DisableSubAccount disables a sub-account of p's tenant: it can no longer sign in, and the gate
// refuses its tokens from the next request on.
func (s *Service) DisableSubAccount(ctx context.Context, p *auth.Principal, id int64) error {
	if err := requireManager(p); err != nil {
		return err
	}
	return postgres.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		q := postgres.Queries(tx)
		n, err := q.DisableSubAccount(ctx, db.DisableSubAccountParams{ID: id, TenantID: p.TenantID})
		if err != nil {
			return fault.Wrap(err, "disable sub-account")
		}
		if n == 0 {
			return fault.NotFoundf("no sub-account with id %d in this tenant", id)
		}
		return audit.Record(ctx, q, p, audit.Entry{Action: "sub-account.disable", TenantID: p.TenantID, TargetType: "account", TargetID: id})
	})
}
