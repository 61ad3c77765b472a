// Package demo is the demo app's own back end: its three users sign in with the demo password
// and get IM tokens that it signs for them with the demo app's AppSecret, as any app's back
// end would, so that the demo client never holds the secret.
package demo

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/im/account"
	"github.com/xuqmgroup/xuqm/internal/postgres"
	"github.com/xuqmgroup/xuqm/internal/ratelimit"
)

// AppKey is the demo app's key.
const AppKey = "ak_demo_chat"

// Users are the demo app's users; they share the demo password.
var Users = []string{"demo_alice", "demo_bob", "demo_carol"}

// Service signs demo users in.
type Service struct {
	pool     *pgxpool.Pool
	q        db.Querier
	tokens   *auth.Tokens
	accounts *account.Service
	password [sha256.Size]byte
	logins   ratelimit.Logins
	now      func() time.Time // of the rate limit
	// Secrets opens the demo app's sealed AppSecret; nil takes it as stored (tests).
	Secrets *auth.Secrets
}

// New returns the demo service; password is the demo users' (XUQM_DEMO_PASSWORD).
func New(pool *pgxpool.Pool, tokens *auth.Tokens, accounts *account.Service, password string) *Service {
	return &Service{pool: pool, q: postgres.Queries(pool), tokens: tokens, accounts: accounts, password: sha256.Sum256([]byte(password)),
		logins: ratelimit.DefaultLogins("demo"), now: time.Now}
}

// Login is a signed-in demo user.
type Login struct {
	Token     string
	ExpiresAt time.Time
	UserID    string
	AppKey    string
}

// Login signs a demo user in; the caller's address (auth.ClientAddr) counts for the rate limit.
func (s *Service) Login(ctx context.Context, username, password string) (Login, error) {
	// The attempt is counted before the password is compared (see ratelimit.Logins).
	if err := s.logins.Attempt(ctx, s.pool, s.now(), username, auth.ClientAddr(ctx)); err != nil {
		return Login{}, err
	}
	given := sha256.Sum256([]byte(password))
	if !slices.Contains(Users, username) || subtle.ConstantTimeCompare(given[:], s.password[:]) != 1 {
		return Login{}, fault.Unauthorizedf("unknown demo user or wrong password")
	}
	if err := s.logins.Succeeded(ctx, s.q, username, auth.ClientAddr(ctx)); err != nil {
		return Login{}, err
	}
	app, err := s.q.GetAppForAuth(ctx, db.GetAppForAuthParams{ServiceType: "IM", AppKey: AppKey})
	switch {
	case errors.Is(err, postgres.ErrNotFound):
		return Login{}, fault.Forbiddenf("the demo app %s has been deleted", AppKey)
	case err != nil:
		return Login{}, fault.Wrap(err, "load demo app")
	case app.TenantStatus != "ENABLED":
		return Login{}, fault.Forbiddenf("the tenant of the demo app is disabled")
	}
	token, exp, err := s.tokens.Issue(auth.Claims{Typ: auth.KindDemo, TenantID: app.TenantID, AppID: app.ID, AppKeyClaim: AppKey}, username)
	if err != nil {
		return Login{}, err
	}
	return Login{Token: token, ExpiresAt: exp, UserID: username, AppKey: AppKey}, nil
}

// RefreshIM issues a new IM token for the demo user of p. It signs an IM login request with
// the demo app's AppSecret, as the demo app's back end, and passes it through the same checks
// as POST /api/im/auth/login.
func (s *Service) RefreshIM(ctx context.Context, p *auth.Principal, appKey string) (account.Token, error) {
	if p == nil || p.Kind != auth.KindDemo || !slices.Contains(Users, p.UserID) {
		return account.Token{}, fault.Forbiddenf("only a demo user may refresh a demo IM token")
	}
	if appKey != AppKey {
		return account.Token{}, fault.Forbiddenf("demo users belong to the app %s, not %s", AppKey, appKey)
	}
	app, err := s.q.GetAppForAuth(ctx, db.GetAppForAuthParams{ServiceType: "IM", AppKey: AppKey})
	switch {
	case errors.Is(err, postgres.ErrNotFound):
		return account.Token{}, fault.NotFoundf("the demo app %s no longer exists", AppKey)
	case err != nil:
		return account.Token{}, fault.Wrap(err, "load demo app")
	}
	appSecret, err := s.Secrets.Open(app.AppSecret, auth.AppSecretAAD(app.AppKey))
	if err != nil {
		return account.Token{}, err
	}
	return s.accounts.SignedLogin(ctx, signedLogin(appSecret, p.UserID, time.Now()))
}

// signedLogin is POST /api/im/auth/login?appId=…&userId=… as an app's back end sends it.
func signedLogin(secret, userID string, now time.Time) auth.Credentials {
	body := auth.HashBody(nil)
	req := auth.SignedRequest{
		Method:    "POST",
		Path:      "/api/im/auth/login",
		RawQuery:  url.Values{"appId": {AppKey}, "userId": {userID}}.Encode(),
		Timestamp: strconv.FormatInt(now.UnixMilli(), 10),
		Nonce:     auth.RandomHex(16),
		BodyHash:  body,
	}
	return auth.Credentials{
		Method:    req.Method,
		AppKey:    AppKey,
		Signature: auth.Sign(secret, req),
		Signed:    req,
		BodyHash:  func() (string, error) { return body, nil },
	}
}
