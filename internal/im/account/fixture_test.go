package account_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/im/account"
	"github.com/xuqmgroup/xuqm/internal/postgres/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// world is a database with the account service on it.
type world struct {
	pool  *pgxpool.Pool
	authn *auth.Authenticator
	svc   *account.Service
}

func newWorld(t testing.TB) *world {
	t.Helper()
	pool := pgtest.NewDB(t)
	authn := auth.NewAuthenticator(db.New(pool), auth.NewTokens([]byte("0123456789abcdef0123456789abcdef"), time.Hour))
	return &world{pool: pool, authn: authn, svc: account.New(pool, authn, account.Options{})}
}

// app is an app of a tenant, made by the test.
type app struct {
	auth.App
	secret string
}

// newApp inserts a tenant with one app whose services are all on.
func (w *world) newApp(t testing.TB, key string) app {
	t.Helper()
	ctx := t.Context()
	var a app
	a.Key, a.secret = key, "secret-of-"+key
	err := w.pool.QueryRow(ctx, `INSERT INTO tenants (name, email) VALUES ($1, $1 || '@example.com') RETURNING id`, key).Scan(&a.TenantID)
	if err != nil {
		t.Fatal(err)
	}
	err = w.pool.QueryRow(ctx, `INSERT INTO apps (tenant_id, app_key, app_secret, name) VALUES ($1, $2, $3, $2) RETURNING id`, a.TenantID, key, a.secret).Scan(&a.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.pool.Exec(ctx, `INSERT INTO app_services (app_id, service_type, secret_key)
		SELECT $1, s, 'service-key-' || s FROM unnest(ARRAY['IM', 'PUSH', 'FILE', 'UPDATE']) s`, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (w *world) exec(t testing.TB, sql string, args ...any) {
	t.Helper()
	if _, err := w.pool.Exec(t.Context(), sql, args...); err != nil {
		t.Fatal(err)
	}
}

// signed is a signed POST /api/im/auth/login for userID, as the app's back end sends it.
func signed(a app, secret, userID string, at time.Time, nonce string) auth.Credentials {
	body := auth.HashBody(nil)
	req := auth.SignedRequest{
		Method: "POST", Path: "/api/im/auth/login",
		RawQuery:  url.Values{"appId": {a.Key}, "userId": {userID}}.Encode(),
		Timestamp: strconv.FormatInt(at.UnixMilli(), 10), Nonce: nonce, BodyHash: body,
	}
	return auth.Credentials{
		Method: "POST", AppKey: a.Key, Signature: auth.Sign(secret, req), Signed: req,
		BodyHash: func() (string, error) { return body, nil },
	}
}

func nonce() string { return auth.RandomHex(8) }

// login logs userID in to a through the signed path and fails the test on error.
func (w *world) login(t testing.TB, a app, userID string) account.Token {
	t.Helper()
	tok, err := w.svc.SignedLogin(t.Context(), signed(a, a.secret, userID, time.Now(), nonce()))
	if err != nil {
		t.Fatalf("login %s: %v", userID, err)
	}
	return tok
}

// imUser checks an IM token on an IM route of app key, as the gate does.
func (w *world) imUser(ctx context.Context, token, key, method string) (*auth.Principal, error) {
	return w.authn.Authenticate(ctx, auth.Requirement{Schemes: []auth.Scheme{auth.SchemeIM}, Service: "IM"},
		auth.Credentials{Method: method, Bearer: token, AppKey: key})
}

// server is a's back end, as the gate makes it of a signed app-admin request.
func server(a app) *auth.Principal {
	app := a.App
	return &auth.Principal{Kind: auth.KindAppServer, TenantID: a.TenantID, App: &app}
}

func user(a app, userID string) *auth.Principal {
	app := a.App
	return &auth.Principal{Kind: auth.KindIM, TenantID: a.TenantID, UserID: userID, App: &app}
}

func wantKind(t *testing.T, err error, k fault.Kind) {
	t.Helper()
	if !fault.Is(err, k) {
		t.Fatalf("got %v, want a %s error", err, k)
	}
}

func str(s string) *string { return &s }

func jsonEqual(t *testing.T, got json.RawMessage, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Errorf("got %s, want %s", gb, wb)
	}
}
