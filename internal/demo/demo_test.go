package demo

import (
	"sync"
	"sync/atomic"
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

const password = "demo-password"

type world struct {
	pool   *pgxpool.Pool
	authn  *auth.Authenticator
	svc    *Service
	clock  time.Time
	appID  int64
	tenant int64
}

// newWorld makes the demo tenant, app and users as the first start does, and the demo service
// on a clock the test moves.
func newWorld(t *testing.T) *world {
	t.Helper()
	pool := pgtest.NewDB(t)
	tokens := auth.NewTokens([]byte("0123456789abcdef0123456789abcdef"), time.Hour)
	w := &world{pool: pool, authn: auth.NewAuthenticator(db.New(pool), tokens), clock: time.Now()}
	w.svc = New(pool, tokens, account.New(pool, w.authn, account.Options{}), password)
	w.svc.now = func() time.Time { return w.clock }
	ctx := t.Context()
	if err := pool.QueryRow(ctx, `INSERT INTO tenants (name, email) VALUES ('Demo', 'demo@example.com') RETURNING id`).Scan(&w.tenant); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `INSERT INTO apps (tenant_id, app_key, app_secret, name) VALUES ($1, $2, 'demo-secret', 'Demo chat') RETURNING id`, w.tenant, AppKey).Scan(&w.appID); err != nil {
		t.Fatal(err)
	}
	w.exec(t, `INSERT INTO app_services (app_id, service_type, secret_key)
		SELECT $1, s, 'key-' || s FROM unnest(ARRAY['IM', 'PUSH', 'FILE', 'UPDATE']) s`, w.appID)
	w.exec(t, `INSERT INTO im_accounts (app_id, user_id, nickname) SELECT $1, u, u FROM unnest($2::text[]) u`, w.appID, Users)
	return w
}

func (w *world) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	if _, err := w.pool.Exec(t.Context(), sql, args...); err != nil {
		t.Fatal(err)
	}
}

func wantKind(t *testing.T, err error, k fault.Kind) {
	t.Helper()
	if !fault.Is(err, k) {
		t.Fatalf("got %v, want a %s error", err, k)
	}
}

func TestLogin(t *testing.T) {
	w := newWorld(t)
	got, err := w.svc.Login(auth.WithClientAddr(t.Context(), "10.0.0.1"), "demo_bob", password)
	if err != nil {
		t.Fatal(err)
	}
	if got.UserID != "demo_bob" || got.AppKey != AppKey || got.Token == "" {
		t.Errorf("login %+v", got)
	}
	p, err := w.authn.Authenticate(t.Context(), auth.Requirement{Schemes: []auth.Scheme{auth.SchemeDemo}}, auth.Credentials{Method: "POST", Bearer: got.Token})
	if err != nil || p.Kind != auth.KindDemo || p.UserID != "demo_bob" {
		t.Fatalf("demo token: %+v %v", p, err)
	}
	// A demo token is no IM token.
	_, err = w.authn.Authenticate(t.Context(), auth.Requirement{Schemes: []auth.Scheme{auth.SchemeIM}, Service: "IM"}, auth.Credentials{Method: "GET", Bearer: got.Token, AppKey: AppKey})
	wantKind(t, err, fault.Forbidden)
}

func TestLoginRefused(t *testing.T) {
	w := newWorld(t)
	for _, c := range []struct{ user, pass string }{
		{"demo_alice", "wrong"}, {"demo_alice", ""}, {"demo_dave", password}, {"", password},
	} {
		_, err := w.svc.Login(auth.WithClientAddr(t.Context(), "10.0.0.1"), c.user, c.pass)
		wantKind(t, err, fault.Unauthorized)
	}
}

func TestLoginNeedsTheDemoApp(t *testing.T) {
	w := newWorld(t)
	w.exec(t, `UPDATE tenants SET status = 'DISABLED' WHERE id = $1`, w.tenant)
	_, err := w.svc.Login(auth.WithClientAddr(t.Context(), "10.0.0.1"), "demo_alice", password)
	wantKind(t, err, fault.Forbidden)
	w.exec(t, `UPDATE tenants SET status = 'ENABLED' WHERE id = $1`, w.tenant)
	w.exec(t, `UPDATE apps SET deleted_at = now() WHERE id = $1`, w.appID)
	_, err = w.svc.Login(auth.WithClientAddr(t.Context(), "10.0.0.1"), "demo_alice", password)
	wantKind(t, err, fault.Forbidden)
}

// Demo logins share the sign-in limits (ratelimit.Logins): a guessing address is shut for the
// user after 10 attempts, concurrent guesses are counted before they are judged, and the
// right password from another address still signs in.
func TestLoginRateLimit(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	var wg sync.WaitGroup
	var judged atomic.Int64
	for range 30 {
		wg.Go(func() {
			_, err := w.svc.Login(auth.WithClientAddr(ctx, "10.6.6.6"), "demo_alice", "wrong")
			if fault.Is(err, fault.Unauthorized) {
				judged.Add(1)
			} else if fe := fault.As(err); fe.Kind != fault.RateLimited || fe.RetryAfter <= 0 {
				t.Errorf("a guess: %v", err)
			}
		})
	}
	wg.Wait()
	if n := judged.Load(); n > w.svc.logins.PerPair {
		t.Errorf("%d of 30 concurrent guesses judged; want at most %d", n, w.svc.logins.PerPair)
	}
	_, err := w.svc.Login(auth.WithClientAddr(ctx, "10.6.6.6"), "demo_alice", password)
	wantKind(t, err, fault.RateLimited)
	if _, err := w.svc.Login(auth.WithClientAddr(ctx, "10.0.0.1"), "demo_alice", password); err != nil {
		t.Errorf("the right password from another address: %v", err)
	}
	w.clock = w.clock.Add(w.svc.logins.Window + time.Second)
	if _, err := w.svc.Login(auth.WithClientAddr(ctx, "10.6.6.6"), "demo_alice", password); err != nil {
		t.Errorf("after the window: %v", err)
	}
}

func demoUser(name string) *auth.Principal { return &auth.Principal{Kind: auth.KindDemo, UserID: name} }

func TestRefreshIM(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	tok, err := w.svc.RefreshIM(ctx, demoUser("demo_carol"), AppKey)
	if err != nil {
		t.Fatal(err)
	}
	p, err := w.authn.Authenticate(ctx, auth.Requirement{Schemes: []auth.Scheme{auth.SchemeIM}, Service: "IM"},
		auth.Credentials{Method: "POST", Bearer: tok.Token, AppKey: AppKey})
	if err != nil {
		t.Fatalf("the IM token is refused: %v", err)
	}
	if p.Kind != auth.KindIM || p.UserID != "demo_carol" || p.App.ID != w.appID {
		t.Errorf("principal %+v", p)
	}
	// Twice in a row: each refresh signs with a new nonce.
	if _, err := w.svc.RefreshIM(ctx, demoUser("demo_carol"), AppKey); err != nil {
		t.Fatal(err)
	}
}

func TestRefreshIMRefused(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	_, err := w.svc.RefreshIM(ctx, demoUser("demo_carol"), "ak_other_app")
	wantKind(t, err, fault.Forbidden)
	_, err = w.svc.RefreshIM(ctx, demoUser("demo_mallory"), AppKey)
	wantKind(t, err, fault.Forbidden)
	_, err = w.svc.RefreshIM(ctx, &auth.Principal{Kind: auth.KindIM, UserID: "demo_carol"}, AppKey)
	wantKind(t, err, fault.Forbidden)

	w.exec(t, `UPDATE app_services SET enabled = false WHERE app_id = $1 AND service_type = 'IM'`, w.appID)
	_, err = w.svc.RefreshIM(ctx, demoUser("demo_carol"), AppKey)
	wantKind(t, err, fault.Forbidden)

	// A deleted demo user is refused as any deleted account is.
	w.exec(t, `UPDATE app_services SET enabled = true WHERE app_id = $1`, w.appID)
	w.exec(t, `UPDATE im_accounts SET deleted_at = now() WHERE app_id = $1 AND user_id = 'demo_bob'`, w.appID)
	_, err = w.svc.RefreshIM(ctx, demoUser("demo_bob"), AppKey)
	wantKind(t, err, fault.Forbidden)

	// A rotated AppSecret is read each time.
	w.exec(t, `UPDATE apps SET app_secret = 'rotated' WHERE id = $1`, w.appID)
	if _, err := w.svc.RefreshIM(ctx, demoUser("demo_carol"), AppKey); err != nil {
		t.Errorf("after rotating the secret: %v", err)
	}

	w.exec(t, `UPDATE apps SET deleted_at = now() WHERE id = $1`, w.appID)
	_, err = w.svc.RefreshIM(ctx, demoUser("demo_carol"), AppKey)
	wantKind(t, err, fault.NotFound)
}
