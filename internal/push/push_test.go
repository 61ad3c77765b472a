package push_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/postgres/pgtest"
	"github.com/xuqmgroup/xuqm/internal/push"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// memory is a Sender that keeps what it is given; tokens in refuse are invalid.
type memory struct {
	mu     sync.Mutex
	sent   map[string]push.Notification // by token
	refuse map[string]bool
}

func newMemory(refuse ...string) *memory {
	m := &memory{sent: map[string]push.Notification{}, refuse: map[string]bool{}}
	for _, t := range refuse {
		m.refuse[t] = true
	}
	return m
}

func (m *memory) Send(_ context.Context, _ int64, to push.Target, n push.Notification) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.refuse[to.Token] {
		return fmt.Errorf("gateway says: %w", push.ErrInvalidToken)
	}
	m.sent[to.Token] = n
	return nil
}

type world struct {
	pool *pgxpool.Pool
	svc  *push.Service
	fcm  *memory
	apns *memory
}

type app struct{ auth.App }

func newWorld(t *testing.T) *world {
	t.Helper()
	pool := pgtest.NewDB(t)
	w := &world{pool: pool, fcm: newMemory("fcm-refused-token-0001"), apns: newMemory()}
	// HUAWEI and the other vendors have no credentials here.
	w.svc = push.New(pool, map[string]push.Sender{push.FCM: w.fcm, push.APNS: w.apns})
	return w
}

func (w *world) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	if _, err := w.pool.Exec(t.Context(), sql, args...); err != nil {
		t.Fatal(err)
	}
}

// newApp makes a tenant with an app (services on) whose IM users are users.
func (w *world) newApp(t *testing.T, key string, users ...string) app {
	t.Helper()
	var a app
	a.Key = key
	ctx := t.Context()
	if err := w.pool.QueryRow(ctx, `INSERT INTO tenants (name, email) VALUES ($1, $1) RETURNING id`, key).Scan(&a.TenantID); err != nil {
		t.Fatal(err)
	}
	if err := w.pool.QueryRow(ctx, `INSERT INTO apps (tenant_id, app_key, app_secret, name) VALUES ($1, $2, 's', $2) RETURNING id`, a.TenantID, key).Scan(&a.ID); err != nil {
		t.Fatal(err)
	}
	w.exec(t, `INSERT INTO im_accounts (app_id, user_id) SELECT $1, u FROM unnest($2::text[]) u`, a.ID, users)
	return a
}

func (a app) user(id string) *auth.Principal {
	x := a.App
	return &auth.Principal{Kind: auth.KindIM, UserID: id, TenantID: a.TenantID, App: &x}
}

func (a app) server() *auth.Principal {
	x := a.App
	return &auth.Principal{Kind: auth.KindAppServer, TenantID: a.TenantID, App: &x}
}

func wantField(t *testing.T, err error, field string) {
	t.Helper()
	fe := fault.As(err)
	if fe.Kind != fault.Invalid || len(fe.Fields) != 1 || fe.Fields[0].Field != field {
		t.Errorf("got %v, want an invalid %s", err, field)
	}
}

func TestRegister(t *testing.T) {
	w := newWorld(t)
	a := w.newApp(t, "ak_push_a", "alice", "bob")
	ctx := t.Context()
	token := "0f3c8a5e7b1d4f2a9c6e8b0d1f3a5c7e9b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a"
	d, err := w.svc.Register(ctx, a.user("alice"), push.Registration{Token: token, Platform: push.IOS, Vendor: push.APNS})
	if err != nil {
		t.Fatal(err)
	}
	if d.UserID != "alice" || d.Token != "0f3c****8f0a" || d.Vendor != push.APNS {
		t.Errorf("registered %+v", d)
	}
	// The same token again, now bob's on Android through FCM: the same record moves.
	again, err := w.svc.Register(ctx, a.user("bob"), push.Registration{Token: token, Platform: push.Android, Vendor: push.FCM})
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != d.ID || again.UserID != "bob" || again.Vendor != push.FCM || again.Platform != push.Android {
		t.Errorf("re-registered %+v, first %+v", again, d)
	}
	// A very long token still registers once.
	long := strings.Repeat("x", push.MaxToken)
	l1, err := w.svc.Register(ctx, a.user("bob"), push.Registration{Token: long, Platform: push.Android, Vendor: push.Huawei})
	if err != nil {
		t.Fatal(err)
	}
	l2, _ := w.svc.Register(ctx, a.user("bob"), push.Registration{Token: long, Platform: push.Android, Vendor: push.Huawei})
	if l1.ID != l2.ID {
		t.Errorf("a long token registered twice: %d %d", l1.ID, l2.ID)
	}
	if short, _ := w.svc.Register(ctx, a.user("bob"), push.Registration{Token: "abc", Platform: push.Android, Vendor: push.FCM}); short.Token != "****" {
		t.Errorf("a short token is shown: %q", short.Token)
	}

	for _, c := range []struct {
		field string
		r     push.Registration
	}{
		{"vendor", push.Registration{Token: "t", Platform: push.Android, Vendor: push.APNS}},
		{"vendor", push.Registration{Token: "t", Platform: push.IOS, Vendor: push.Xiaomi}},
		{"vendor", push.Registration{Token: "t", Platform: push.IOS, Vendor: "PIGEON"}},
		{"platform", push.Registration{Token: "t", Platform: "WINDOWS", Vendor: push.FCM}},
		{"deviceToken", push.Registration{Token: " ", Platform: push.IOS, Vendor: push.FCM}},
		{"deviceToken", push.Registration{Token: long + "x", Platform: push.IOS, Vendor: push.FCM}},
	} {
		_, err := w.svc.Register(ctx, a.user("alice"), c.r)
		wantField(t, err, c.field)
	}
	_, err = w.svc.Register(ctx, a.server(), push.Registration{Token: "t", Platform: push.IOS, Vendor: push.FCM})
	if !fault.Is(err, fault.Forbidden) {
		t.Errorf("the back end registers a device: %v", err)
	}
}

// deliveries are the recorded deliveries of a push, as "user vendor status reason".
func (w *world) deliveries(t *testing.T, pushID int64) []string {
	t.Helper()
	rows, err := w.pool.Query(t.Context(), `SELECT user_id, vendor, status, reason FROM push_deliveries WHERE push_id = $1 ORDER BY device_id`, pushID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var u, v, s, r string
		if err := rows.Scan(&u, &v, &s, &r); err != nil {
			t.Fatal(err)
		}
		out = append(out, strings.TrimSpace(u+" "+v+" "+s+" "+r))
	}
	return out
}

func TestSend(t *testing.T) {
	w := newWorld(t)
	a := w.newApp(t, "ak_push_b", "alice", "bob", "carol", "gone")
	other := w.newApp(t, "ak_push_c", "alice")
	ctx := t.Context()
	reg := func(a app, user, token, platform, vendor string) {
		t.Helper()
		if _, err := w.svc.Register(ctx, a.user(user), push.Registration{Token: token, Platform: platform, Vendor: vendor}); err != nil {
			t.Fatal(err)
		}
	}
	reg(a, "alice", "alice-iphone-token", push.IOS, push.APNS)
	reg(a, "alice", "alice-pixel-token", push.Android, push.FCM)
	reg(a, "bob", "fcm-refused-token-0001", push.Android, push.FCM)
	reg(a, "carol", "carol-huawei-token", push.Android, push.Huawei)
	reg(a, "gone", "gone-phone-token", push.Android, push.FCM)
	reg(other, "alice", "alice-other-app-token", push.Android, push.FCM)
	w.exec(t, `UPDATE im_accounts SET deleted_at = now() WHERE app_id = $1 AND user_id = 'gone'`, a.ID)

	badge := int32(3)
	res, err := w.svc.Send(ctx, a.server(), push.Push{
		UserIDs:      []string{"alice", "bob", "carol", "gone", "nobody"},
		Notification: push.Notification{Title: "你好", Body: "Alice: hello", Data: json.RawMessage(`{"chatType":"SINGLE"}`), Badge: &badge},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requested != 5 || res.Devices != 4 || res.Accepted != 2 || res.Failed != 2 || res.PushID == 0 {
		t.Errorf("result %+v", res)
	}
	got := w.fcm.sent["alice-pixel-token"]
	if got.Title != "你好" || string(got.Data) != `{"chatType":"SINGLE"}` || got.Badge == nil || *got.Badge != 3 {
		t.Errorf("FCM got %+v", got)
	}
	if _, ok := w.apns.sent["alice-iphone-token"]; !ok {
		t.Error("APNs got nothing")
	}
	if _, ok := w.fcm.sent["alice-other-app-token"]; ok {
		t.Error("a device of another app got the push")
	}
	if _, ok := w.fcm.sent["gone-phone-token"]; ok {
		t.Error("a deleted account's device got the push")
	}
	want := []string{
		"alice APNS ACCEPTED",
		"alice FCM ACCEPTED",
		"bob FCM FAILED gateway says: the device token is invalid or expired; the device was unregistered",
		"carol HUAWEI FAILED no credentials are configured for HUAWEI",
	}
	if d := w.deliveries(t, res.PushID); strings.Join(d, "\n") != strings.Join(want, "\n") {
		t.Errorf("deliveries:\n%s\nwant:\n%s", strings.Join(d, "\n"), strings.Join(want, "\n"))
	}
	// bob's refused token is unregistered: the next push does not reach it.
	res, err = w.svc.Send(ctx, a.server(), push.Push{UserIDs: []string{"bob"}, Notification: push.Notification{Title: "t", Body: "b"}})
	if err != nil || res.Devices != 0 || res.Requested != 1 {
		t.Errorf("after unregistering: %+v %v", res, err)
	}
}

func TestSendRefused(t *testing.T) {
	w := newWorld(t)
	a := w.newApp(t, "ak_push_d", "alice")
	b := w.newApp(t, "ak_push_e")
	appA := a.App
	ctx := t.Context()
	ok := push.Push{UserIDs: []string{"alice"}, Notification: push.Notification{Title: "t", Body: "b"}}
	for name, p := range map[string]*auth.Principal{
		"IM user":        a.user("alice"),
		"another tenant": {Kind: auth.KindTenant, TenantID: b.TenantID, Role: auth.RoleMain, App: &appA},
		"viewer":         {Kind: auth.KindTenant, TenantID: a.TenantID, Role: auth.RoleViewer, App: &appA},
	} {
		if _, err := w.svc.Send(ctx, p, ok); !fault.Is(err, fault.Forbidden) {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, p := range map[string]*auth.Principal{
		"owner":    {Kind: auth.KindTenant, TenantID: a.TenantID, Role: auth.RoleMain, App: &appA},
		"operator": {Kind: auth.KindOps, OperatorID: 1, App: &appA},
	} {
		if _, err := w.svc.Send(ctx, p, ok); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}

	badge, ttl := int32(100000), int32(-1)
	for _, c := range []struct {
		field string
		p     push.Push
	}{
		{"userIds", push.Push{Notification: push.Notification{Title: "t", Body: "b"}}},
		{"userIds", push.Push{UserIDs: []string{"a", "a"}, Notification: push.Notification{Title: "t", Body: "b"}}},
		{"userIds", push.Push{UserIDs: []string{"bad id"}, Notification: push.Notification{Title: "t", Body: "b"}}},
		{"title", push.Push{UserIDs: []string{"a"}, Notification: push.Notification{Body: "b"}}},
		{"body", push.Push{UserIDs: []string{"a"}, Notification: push.Notification{Title: "t", Body: strings.Repeat("字", push.MaxBody+1)}}},
		{"data", push.Push{UserIDs: []string{"a"}, Notification: push.Notification{Title: "t", Body: "b", Data: json.RawMessage(`{"k":"` + strings.Repeat("v", push.MaxData) + `"}`)}}},
		{"data", push.Push{UserIDs: []string{"a"}, Notification: push.Notification{Title: "t", Body: "b", Data: json.RawMessage(`[1]`)}}},
		{"badge", push.Push{UserIDs: []string{"a"}, Notification: push.Notification{Title: "t", Body: "b", Badge: &badge}}},
		{"ttlSeconds", push.Push{UserIDs: []string{"a"}, Notification: push.Notification{Title: "t", Body: "b", TTLSeconds: &ttl}}},
	} {
		_, err := w.svc.Send(ctx, a.server(), c.p)
		wantField(t, err, c.field)
	}
}

func TestSendRateLimit(t *testing.T) {
	w := newWorld(t)
	a := w.newApp(t, "ak_push_f", "alice")
	b := w.newApp(t, "ak_push_g", "alice")
	clock := time.Now()
	w.svc.SetRate(3, time.Minute, func() time.Time { return clock })
	ctx := t.Context()
	p := push.Push{UserIDs: []string{"alice"}, Notification: push.Notification{Title: "t", Body: "b"}}
	start := clock
	for i := range 3 {
		clock = start.Add(time.Duration(i) * 10 * time.Second)
		if _, err := w.svc.Send(ctx, a.server(), p); err != nil {
			t.Fatal(err)
		}
	}
	clock = start.Add(30 * time.Second)
	_, err := w.svc.Send(ctx, a.server(), p)
	fe := fault.As(err)
	if fe.Kind != fault.RateLimited || fe.RetryAfter != 30*time.Second {
		t.Fatalf("over the limit: %v (retry after %v)", err, fe.RetryAfter)
	}
	if _, err := w.svc.Send(ctx, b.server(), p); err != nil {
		t.Errorf("another app is limited: %v", err)
	}
	clock = start.Add(time.Minute)
	if _, err := w.svc.Send(ctx, a.server(), p); err != nil {
		t.Errorf("after the first push left the window: %v", err)
	}
}
