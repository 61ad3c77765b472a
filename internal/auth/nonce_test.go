package auth

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/postgres/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// A nonce is kept until its own timestamp plus the window: a request signed 290 s ahead of the
// clock, replayed 430 s later after a purge, is still refused; and a request refused for its
// nonce's shape stores nothing.
func TestNonceOutlivesItsRequest(t *testing.T) {
	pool := pgtest.NewDB(t)
	ctx := t.Context()
	var appID int64
	err := pool.QueryRow(ctx, `WITH t AS (INSERT INTO tenants (name, email) VALUES ('T', 't@example.com') RETURNING id)
		INSERT INTO apps (tenant_id, app_key, app_secret, name) SELECT id, 'ak_nonce_test', 'app-secret', 'A' FROM t RETURNING id`).Scan(&appID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO app_services (app_id, service_type, secret_key) VALUES ($1, 'IM', 'im-key')`, appID); err != nil {
		t.Fatal(err)
	}
	a := NewAuthenticator(db.New(pool), NewTokens([]byte("0123456789abcdef0123456789abcdef"), time.Hour))
	clock := time.Now()
	a.now = func() time.Time { return clock }
	login := Requirement{Schemes: []Scheme{SchemeSignature}, Service: "IM"}
	signed := func(at time.Time, nonce string) Credentials {
		r := SignedRequest{Method: "POST", Path: "/api/im/auth/login", RawQuery: "appId=ak_nonce_test&userId=u1",
			Timestamp: strconv.FormatInt(at.UnixMilli(), 10), Nonce: nonce, BodyHash: HashBody(nil)}
		return Credentials{Method: "POST", AppKey: "ak_nonce_test", Signature: Sign("app-secret", r), Signed: r,
			BodyHash: func() (string, error) { return r.BodyHash, nil }}
	}

	ahead := signed(clock.Add(290*time.Second), "nonce-ahead-0001")
	if _, err := a.Authenticate(ctx, login, ahead); err != nil {
		t.Fatalf("a request 290 s ahead: %v", err)
	}
	clock = clock.Add(430 * time.Second)
	if _, err := a.PurgeNonces(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Authenticate(ctx, login, ahead); !fault.Is(err, fault.Unauthorized) || !strings.Contains(err.Error(), "X-App-Nonce") {
		t.Errorf("the replay 430 s later, after a purge: %v; want 401 for the nonce", err)
	}
	// Once its timestamp plus the window has passed, the nonce may go: the timestamp refuses it.
	clock = clock.Add(170 * time.Second)
	if n, err := a.PurgeNonces(ctx); err != nil || n != 1 {
		t.Errorf("purge after the request's window: %d %v", n, err)
	}
	if _, err := a.Authenticate(ctx, login, ahead); !fault.Is(err, fault.Unauthorized) {
		t.Errorf("the replay after its window: %v", err)
	}

	// A nonce outside the contract's limits is refused with 400 and never stored.
	huge := signed(clock, strings.Repeat("n", 60000))
	if _, err := a.Authenticate(ctx, login, huge); !fault.Is(err, fault.Invalid) {
		t.Errorf("a 60,000-character nonce: %v; want 400", err)
	}
	var stored int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM request_nonces`).Scan(&stored); err != nil || stored != 0 {
		t.Errorf("%d nonces stored after the refused request (%v)", stored, err)
	}
}
