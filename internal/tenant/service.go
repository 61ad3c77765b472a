// Package tenant is the tenant platform: accounts (registration, sign-in, password reset),
// apps and their services, and sub-accounts. Callers are *auth.Principal values that the HTTP
// gate has authenticated; this package decides what each may do.
package tenant

import (
	"context"
	"strings"
	"time"
	"unicode"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/captcha"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/mail"
	"github.com/xuqmgroup/xuqm/internal/postgres"
	"github.com/xuqmgroup/xuqm/internal/ratelimit"
)

// Pool is the database: queries and transactions (a *pgxpool.Pool).
type Pool interface {
	db.DBTX
	postgres.TxBeginner
}

// Options are the settings of the service.
type Options struct {
	CheckCaptcha bool             // XUQM_CAPTCHA
	Now          func() time.Time // nil: time.Now
	// Apps, when set, is told after an app was deleted, had a service switched or a key
	// rotated, so that caches and live connections elsewhere follow at once.
	Apps AppNotifier
	// Secrets seals AppSecrets and service keys at rest; nil stores them as they are (tests).
	Secrets *auth.Secrets
}

// AppNotifier is told of the committed changes of apps. It runs on the caller's path.
type AppNotifier interface {
	AppChanged(ctx context.Context, change AppChange)
}

// AppChange is what happened to an app.
type AppChange struct {
	AppID   int64
	AppKey  string
	Deleted bool
	// Service and Enabled name a switched service.
	Service string
	Enabled bool
}

// Service is the tenant platform.
type Service struct {
	pool         Pool
	q            db.Querier
	tokens       *auth.Tokens
	mail         mail.Sender
	captchas     *captcha.Captchas
	checkCaptcha bool
	now          func() time.Time
	logins       ratelimit.Logins
	apps         AppNotifier
	secrets      *auth.Secrets
}

// New returns the service on pool, signing tokens with tokens and mailing through sender.
func New(pool Pool, tokens *auth.Tokens, sender mail.Sender, opts Options) *Service {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	q := postgres.Queries(pool)
	return &Service{
		pool: pool, q: q, tokens: tokens, mail: sender, now: now,
		captchas:     captcha.New(q, now),
		checkCaptcha: opts.CheckCaptcha,
		logins:       ratelimit.DefaultLogins("tenant"),
		apps:         opts.Apps,
		secrets:      opts.Secrets,
	}
}

// Captchas issues and checks the captchas of the sign-up pages.
func (s *Service) Captchas() *captcha.Captchas { return s.captchas }

// Purge forgets what has expired: captchas, codes, reset tokens and rate-limit events older than
// the longest window (an hour).
func (s *Service) Purge(ctx context.Context) error {
	now := s.now()
	if _, err := s.captchas.Purge(ctx); err != nil {
		return err
	}
	if _, err := s.q.DeleteStaleEmailCodes(ctx, now); err != nil {
		return err
	}
	if _, err := s.q.DeleteStalePasswordResets(ctx, now); err != nil {
		return err
	}
	_, err := ratelimit.Purge(ctx, s.q, now.Add(-time.Hour))
	return err
}

// Roles of tenant accounts, as auth names them.
const (
	RoleMain      = auth.RoleMain
	RoleAdmin     = auth.RoleAdmin
	RoleDeveloper = auth.RoleDeveloper
	RoleViewer    = auth.RoleViewer
)

// requireManager refuses callers that may only read: DEVELOPER and VIEWER sub-accounts.
func requireManager(p *auth.Principal) error {
	if p == nil || p.Kind != auth.KindTenant {
		return fault.Forbiddenf("this needs a tenant account")
	}
	if p.Role != RoleMain && p.Role != RoleAdmin {
		return fault.Forbiddenf("this needs the main account or an ADMIN sub-account; a %s sub-account may only read apps and services", p.Role)
	}
	return nil
}

// requireTenant refuses callers without a tenant account.
func requireTenant(p *auth.Principal) error {
	if p == nil || p.Kind != auth.KindTenant {
		return fault.Forbiddenf("this needs a tenant account")
	}
	return nil
}

// normalEmail is how addresses are compared and stored: trimmed and lower-cased.
func normalEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

func checkEmail(field, email string) error {
	at := strings.LastIndexByte(email, '@')
	if at < 1 || at == len(email)-1 || strings.ContainsAny(email, " \t\r\n<>,;") {
		return fault.InvalidField(field, "%q is not an e-mail address", email)
	}
	return nil
}

// checkPassword holds the password rules: at least 8 characters, letters and digits.
func checkPassword(pw string) error {
	var letter, digit bool
	for _, r := range pw {
		switch {
		case unicode.IsLetter(r):
			letter = true
		case unicode.IsDigit(r):
			digit = true
		}
	}
	n := len([]rune(pw))
	switch {
	case n < 8:
		return fault.InvalidField("password", "the password needs at least 8 characters")
	case n > 64:
		return fault.InvalidField("password", "the password may have at most 64 characters")
	case !letter || !digit:
		return fault.InvalidField("password", "the password needs at least one letter and one digit")
	}
	return nil
}

func checkName(field, name string, maxLen int) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", fault.InvalidField(field, "must not be empty")
	}
	if len([]rune(name)) > maxLen {
		return "", fault.InvalidField(field, "may have at most %d characters", maxLen)
	}
	return name, nil
}

// tellAppChanged reports a committed change of an app.
func (s *Service) tellAppChanged(ctx context.Context, err error, c AppChange) {
	if err == nil && s.apps != nil {
		s.apps.AppChanged(ctx, c)
	}
}
