package tenant

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/audit"
	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/password"
	"github.com/xuqmgroup/xuqm/internal/postgres"
	"github.com/xuqmgroup/xuqm/internal/ratelimit"
)

// Account is a tenant account with its tenant.
type Account struct {
	TenantID   int64
	AccountID  int64
	Email      string
	Name       string
	Role       string
	TenantName string
}

// Session is a signed-in account: its token and when the token expires.
type Session struct {
	Account
	Token     string
	ExpiresAt time.Time
}

// CodeRequest asks for a mailed code.
type CodeRequest struct {
	Email       string
	Purpose     string
	CaptchaID   string
	CaptchaCode string
}

// SendEmailCode checks the captcha and mails a code for purpose (see the contract's
// sendEmailCode for the rules).
func (s *Service) SendEmailCode(ctx context.Context, r CodeRequest) error {
	email := normalEmail(r.Email)
	if err := checkEmail("email", email); err != nil {
		return err
	}
	if !validPurpose(r.Purpose) {
		return fault.InvalidField("purpose", "want REGISTER, RESET_PASSWORD or SUB_ACCOUNT")
	}
	if s.checkCaptcha {
		if r.CaptchaID == "" || r.CaptchaCode == "" {
			return fault.InvalidField("captchaCode", "answer the captcha: captchaId and captchaCode are required")
		}
		ok, err := s.captchas.Check(ctx, r.CaptchaID, r.CaptchaCode)
		if err != nil {
			return err
		}
		if !ok {
			return fault.InvalidField("captchaCode", "the captcha answer is wrong or the captcha has expired; get a new captcha")
		}
	}
	exists, err := s.q.TenantAccountExists(ctx, email)
	if err != nil {
		return fault.Wrap(err, "look up account")
	}
	// Known and unknown addresses get the same answer after the same limits; only the mail
	// tells the truth, to the address's owner.
	return postgres.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		q := postgres.Queries(tx)
		if err := ratelimit.Take(ctx, q, s.now(), mailLimits(email, r.Purpose, auth.ClientAddr(ctx))...); err != nil {
			return err
		}
		switch {
		case r.Purpose == PurposeResetPassword && !exists: // nobody to mail
			return nil
		case r.Purpose != PurposeResetPassword && exists:
			return fault.Wrap(s.mail.Send(ctx, takenMail(email, r.Purpose)), "send mail")
		}
		return s.mailCode(ctx, q, email, r.Purpose)
	})
}

// Registration signs up a tenant and its main account.
type Registration struct {
	Email    string
	Password string
	Code     string
	Name     string
}

// Register creates the tenant and its main account, uses the REGISTER code up and signs in.
func (s *Service) Register(ctx context.Context, r Registration) (Session, error) {
	email := normalEmail(r.Email)
	if err := checkEmail("email", email); err != nil {
		return Session{}, err
	}
	name, err := checkName("name", r.Name, 64)
	if err != nil {
		return Session{}, err
	}
	if err := checkPassword(r.Password); err != nil {
		return Session{}, err
	}
	if err := s.checkCode(ctx, email, PurposeRegister, r.Code); err != nil {
		return Session{}, err
	}
	hash, err := password.Hash(r.Password)
	if err != nil {
		return Session{}, fault.Wrap(err, "hash password")
	}
	acc := Account{Email: email, Name: name, Role: RoleMain, TenantName: name}
	err = postgres.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		q := postgres.Queries(tx)
		if err := s.useCode(ctx, q, email, PurposeRegister, r.Code); err != nil {
			return err
		}
		t, err := q.InsertTenant(ctx, db.InsertTenantParams{Name: name, Email: email})
		if err != nil {
			return fault.Wrap(err, "create tenant")
		}
		a, err := q.InsertTenantAccount(ctx, db.InsertTenantAccountParams{TenantID: t.ID, Email: email, Name: name, PasswordHash: hash, Role: RoleMain})
		if err != nil {
			return accountInsertError(err, email)
		}
		acc.TenantID, acc.AccountID = t.ID, a.ID
		return audit.Record(ctx, q, nil, audit.Entry{Action: "tenant.register", TenantID: t.ID, TargetType: "account", TargetID: a.ID,
			Detail: map[string]any{"email": email}})
	})
	if err != nil {
		return Session{}, err
	}
	return s.session(acc)
}

func accountInsertError(err error, email string) error {
	if postgres.IsUnique(err, "tenant_accounts_email_key") {
		return fault.Conflictf("the address %s already belongs to an account", email)
	}
	return fault.Wrap(err, "create account")
}

func (s *Service) session(acc Account) (Session, error) {
	token, exp, err := s.tokens.Issue(auth.Claims{Typ: auth.KindTenant, TenantID: acc.TenantID, Role: acc.Role}, strconv.FormatInt(acc.AccountID, 10))
	if err != nil {
		return Session{}, err
	}
	return Session{Account: acc, Token: token, ExpiresAt: exp}, nil
}

var errBadLogin = fault.Unauthorizedf("wrong e-mail address or password")

// Login signs an account in, within the limits on attempts (ratelimit.Logins): the attempt is
// counted before the password is evaluated.
func (s *Service) Login(ctx context.Context, email, pw string) (Session, error) {
	email = normalEmail(email)
	if err := s.logins.Attempt(ctx, s.pool, s.now(), email, auth.ClientAddr(ctx)); err != nil {
		return Session{}, err
	}
	row, err := s.q.GetTenantAccountByEmail(ctx, email)
	switch {
	case errors.Is(err, postgres.ErrNotFound):
		password.Verify(password.Dummy, pw) // as slow as a wrong password
		return Session{}, errBadLogin
	case err != nil:
		return Session{}, fault.Wrap(err, "look up account")
	case !password.Verify(row.PasswordHash, pw):
		return Session{}, errBadLogin
	case row.Status != "ENABLED":
		return Session{}, fault.Forbiddenf("this account is disabled")
	case row.TenantStatus != "ENABLED":
		return Session{}, fault.Forbiddenf("this tenant is disabled; contact the platform's operators")
	}
	if err := s.logins.Succeeded(ctx, s.q, email, auth.ClientAddr(ctx)); err != nil {
		return Session{}, err
	}
	acc := Account{TenantID: row.TenantID, AccountID: row.ID, Email: row.Email, Name: row.Name, Role: row.Role, TenantName: row.TenantName}
	p := &auth.Principal{Kind: auth.KindTenant, TenantID: row.TenantID, AccountID: row.ID, Role: row.Role}
	if err := audit.Record(ctx, s.q, p, audit.Entry{Action: "account.login", TenantID: row.TenantID, TargetType: "account", TargetID: row.ID}); err != nil {
		return Session{}, err
	}
	return s.session(acc)
}

// CurrentAccount is the account p stands for.
func (s *Service) CurrentAccount(ctx context.Context, p *auth.Principal) (Account, error) {
	if err := requireTenant(p); err != nil {
		return Account{}, err
	}
	row, err := s.q.GetTenantAccount(ctx, p.AccountID)
	if err != nil {
		return Account{}, fault.Wrap(err, "load account")
	}
	return Account{TenantID: row.TenantID, AccountID: row.ID, Email: row.Email, Name: row.Name, Role: row.Role, TenantName: row.TenantName}, nil
}
