package push_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/jobs"
	"github.com/xuqmgroup/xuqm/internal/page"
	"github.com/xuqmgroup/xuqm/internal/postgres/pgtest"
	"github.com/xuqmgroup/xuqm/internal/push"
	"github.com/xuqmgroup/xuqm/internal/push/pushtest"
	"github.com/xuqmgroup/xuqm/internal/secret"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

type world struct {
	pool *pgxpool.Pool
	gw   *pushtest.Gateway
	svc  *push.Service
	q    *jobs.Queue
}

type app struct{ auth.App }

var quiet = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))

// newWorld is a database, a local gateway and a push service delivering to it; the queue
// works only once started.
func newWorld(t testing.TB) *world {
	t.Helper()
	w := &world{pool: pgtest.NewDB(t), gw: pushtest.Start(t)}
	w.svc, w.q = w.service(t)
	return w
}

// service is another instance of the push service on the same database.
func (w *world) service(t testing.TB) (*push.Service, *jobs.Queue) {
	t.Helper()
	q, err := jobs.New(w.pool, quiet, jobs.Options{PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	box, err := secret.NewBox(bytes.Repeat([]byte{1}, secret.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	svc := push.New(w.pool, push.Options{Queue: q, Box: box, RootCAs: w.gw.RootCAs(), Log: quiet, Endpoints: push.Endpoints{
		APNsHost: w.gw.URL, FCMHost: w.gw.URL, FCMTokenURL: w.gw.FCMTokenURL(), HMSHost: w.gw.URL, HMSTokenURL: w.gw.HMSTokenURL(),
	}})
	jobs.Add(q, svc.Worker())
	return svc, q
}

func start(t testing.TB, q *jobs.Queue) (stop func()) {
	t.Helper()
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	var stopped bool
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := q.Stop(ctx); err != nil {
			t.Errorf("stop queue: %v", err)
		}
	}
	t.Cleanup(stop)
	return stop
}

func (w *world) exec(t testing.TB, sql string, args ...any) {
	t.Helper()
	if _, err := w.pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatal(err)
	}
}

// newApp makes a tenant with an app whose IM users are users.
func (w *world) newApp(t testing.TB, key string, users ...string) app {
	t.Helper()
	var a app
	a.Key = key
	ctx := context.Background()
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

func (a app) owner() *auth.Principal {
	return &auth.Principal{Kind: auth.KindTenant, TenantID: a.TenantID, Role: auth.RoleMain}
}

// configure gives the app credentials for APNs, FCM and HMS that the gateway accepts.
func (w *world) configure(t testing.TB, a app) {
	t.Helper()
	ctx := context.Background()
	for vendor, in := range map[string]push.CredentialInput{
		push.APNS:   {PrivateKey: w.gw.APNsKeyPEM, KeyID: pushtest.APNsKeyID, TeamID: pushtest.APNsTeamID, BundleID: pushtest.BundleID, Environment: push.Production},
		push.FCM:    {ServiceAccountJSON: w.gw.ServiceAccountJSON()},
		push.Huawei: {HMSAppID: pushtest.HMSAppID, ClientSecret: pushtest.HMSSecret},
	} {
		if _, err := w.svc.SetCredential(ctx, a.owner(), a.ID, vendor, in); err != nil {
			t.Fatalf("%s credentials: %v", vendor, err)
		}
	}
}

func (w *world) register(t testing.TB, a app, user, token, vendor string) push.Device {
	t.Helper()
	platform := push.Android
	if vendor == push.APNS {
		platform = push.IOS
	}
	d, err := w.svc.Register(context.Background(), a.user(user), push.Registration{Token: token, Platform: platform, Vendor: vendor})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// wait waits until no delivery of the push is queued and returns its result.
func (w *world) wait(t testing.TB, a app, id int64) push.Result {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := w.svc.Get(context.Background(), a.server(), fmt.Sprint(id))
		if err != nil {
			t.Fatal(err)
		}
		if res.Queued == 0 {
			return res
		}
		if time.Now().After(deadline) {
			t.Fatalf("push %d: %d deliveries still queued", id, res.Queued)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// deliveries are a push's deliveries as "user vendor status" lines.
func (w *world) deliveries(t testing.TB, a app, id int64) map[string]push.Delivery {
	t.Helper()
	p, err := w.svc.Deliveries(context.Background(), a.server(), fmt.Sprint(id), page.Request{Size: 100})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]push.Delivery{}
	for _, d := range p.Items {
		out[d.UserID+" "+d.Vendor] = d
	}
	return out
}

func (w *world) noFailures(t testing.TB) {
	t.Helper()
	for _, f := range w.gw.Failures() {
		t.Errorf("gateway: %s", f)
	}
}

func TestDeliveryThroughEachVendor(t *testing.T) {
	w := newWorld(t)
	a := w.newApp(t, "ak_push_deliver", "alice", "bob", "carol", "dave")
	w.configure(t, a)
	start(t, w.q)
	w.register(t, a, "alice", "alice-iphone-0001", push.APNS)
	w.register(t, a, "alice", "alice-pixel-0001", push.FCM)
	w.register(t, a, "alice", "alice-huawei-0001", push.Huawei)
	w.register(t, a, "bob", "gone-bob-iphone", push.APNS)
	w.register(t, a, "bob", "gone-bob-pixel", push.FCM)
	w.register(t, a, "bob", "gone-bob-huawei", push.Huawei)
	w.register(t, a, "carol", "bad-carol-pixel", push.FCM)
	w.register(t, a, "dave", "dave-xiaomi-0001", push.Xiaomi)

	badge, ttl := int32(3), int32(3600)
	res, err := w.svc.Send(context.Background(), a.server(), push.Push{
		UserIDs: []string{"alice", "bob", "carol", "dave", "nobody"},
		Notification: push.Notification{Title: "你好", Body: "Alice: hello", Data: json.RawMessage(`{"chatType":"SINGLE","n":1}`),
			Badge: &badge, Sound: "default", TTLSeconds: &ttl, CollapseID: "chat-1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	// The answer comes before any delivery.
	if res.Requested != 5 || res.Devices != 8 || res.Queued != 8 || res.Accepted != 0 || res.PushID == 0 {
		t.Errorf("answer %+v", res)
	}
	done := w.wait(t, a, res.PushID)
	if done.Accepted != 3 || done.Failed != 5 {
		t.Errorf("result %+v", done)
	}
	d := w.deliveries(t, a, res.PushID)
	for key, want := range map[string]string{
		"alice APNS": push.Accepted, "alice FCM": push.Accepted, "alice HUAWEI": push.Accepted,
		"bob APNS": push.Failed, "bob FCM": push.Failed, "bob HUAWEI": push.Failed,
		"carol FCM": push.Failed, "dave XIAOMI": push.Failed,
	} {
		if d[key].Status != want {
			t.Errorf("%s: %+v, want %s", key, d[key], want)
		}
	}
	if id := d["alice APNS"].ProviderID; !strings.HasPrefix(id, "apns-alice-iphone-0001") {
		t.Errorf("APNs id %q", id)
	}
	if id := d["alice FCM"].ProviderID; !strings.HasPrefix(id, "projects/"+pushtest.FCMProject+"/messages/") {
		t.Errorf("FCM name %q", id)
	}
	for _, key := range []string{"bob APNS", "bob FCM", "bob HUAWEI"} {
		if !strings.Contains(d[key].Reason, "deactivated") {
			t.Errorf("%s: %q", key, d[key].Reason)
		}
	}
	if r := d["carol FCM"].Reason; !strings.Contains(r, "INVALID_ARGUMENT") || strings.Contains(r, "deactivated") {
		t.Errorf("carol: %q", r)
	}
	if r := d["dave XIAOMI"].Reason; !strings.Contains(r, "no credentials") {
		t.Errorf("dave: %q", r)
	}

	// What the gateways got.
	for _, r := range w.gw.Taken() {
		switch r.Vendor {
		case "APNS":
			aps, _ := r.Body["aps"].(map[string]any)
			alert, _ := aps["alert"].(map[string]any)
			if alert["title"] != "你好" || aps["badge"] != float64(3) || r.Body["chatType"] != "SINGLE" || r.Header.Get("apns-collapse-id") != "chat-1" || r.Header.Get("apns-expiration") == "" {
				t.Errorf("APNs got %v %v", r.Body, r.Header)
			}
		case "FCM":
			n, _ := r.Body["notification"].(map[string]any)
			data, _ := r.Body["data"].(map[string]any)
			android, _ := r.Body["android"].(map[string]any)
			if n["title"] != "你好" || data["n"] != "1" || data["chatType"] != "SINGLE" || android["collapse_key"] != "chat-1" || android["ttl"] != "3600s" {
				t.Errorf("FCM got %v", r.Body)
			}
		case "HUAWEI":
			android, _ := r.Body["android"].(map[string]any)
			n, _ := android["notification"].(map[string]any)
			if n["title"] != "你好" || n["body"] != "Alice: hello" || android["ttl"] != "3600s" {
				t.Errorf("HMS got %v", r.Body)
			}
		}
	}
	if len(w.gw.Taken()) != 3 {
		t.Errorf("gateways took %d notifications", len(w.gw.Taken()))
	}
	w.noFailures(t)

	// bob's devices are deactivated: listed as such, and the next push skips them.
	devs, err := w.svc.Devices(context.Background(), a.server(), "bob", page.Request{Size: 20})
	if err != nil || devs.Total != 3 {
		t.Fatalf("bob's devices: %+v %v", devs, err)
	}
	for _, dv := range devs.Items {
		if dv.Active {
			t.Errorf("still active: %+v", dv)
		}
	}
	res, err = w.svc.Send(context.Background(), a.server(), push.Push{UserIDs: []string{"bob"}, Notification: push.Notification{Title: "t", Body: "b"}})
	if err != nil || res.Devices != 0 {
		t.Errorf("after deactivation: %+v %v", res, err)
	}
	// Registered again, a device is active again.
	if dv := w.register(t, a, "bob", "gone-bob-pixel", push.FCM); !dv.Active {
		t.Errorf("re-registered: %+v", dv)
	}
	// By token: only the app's registered tokens count.
	res, err = w.svc.Send(context.Background(), a.server(), push.Push{DeviceTokens: []string{"alice-pixel-0001", "unknown-token"}, Notification: push.Notification{Title: "t", Body: "b"}})
	if err != nil || res.Requested != 2 || res.Devices != 1 {
		t.Fatalf("by token: %+v %v", res, err)
	}
	if done := w.wait(t, a, res.PushID); done.Accepted != 1 {
		t.Errorf("by token: %+v", done)
	}
}

func TestRetryOnBusyGateways(t *testing.T) {
	w := newWorld(t)
	a := w.newApp(t, "ak_push_retry", "alice")
	w.configure(t, a)
	start(t, w.q)
	w.register(t, a, "alice", "busy2-alice-pixel", push.FCM)
	w.register(t, a, "alice", "busy1-alice-iphone", push.APNS)
	w.register(t, a, "alice", "busy1-alice-huawei", push.Huawei)
	res, err := w.svc.Send(context.Background(), a.server(), push.Push{UserIDs: []string{"alice"}, Notification: push.Notification{Title: "t", Body: "b"}})
	if err != nil {
		t.Fatal(err)
	}
	done := w.wait(t, a, res.PushID)
	if done.Accepted != 3 {
		t.Fatalf("result %+v: %+v", done, w.deliveries(t, a, res.PushID))
	}
	d := w.deliveries(t, a, res.PushID)
	if d["alice FCM"].Attempts != 3 || d["alice APNS"].Attempts != 2 || d["alice HUAWEI"].Attempts != 2 {
		t.Errorf("attempts: %+v", d)
	}
	if w.gw.Calls("busy2-alice-pixel") != 3 || w.gw.Calls("busy1-alice-iphone") != 2 {
		t.Errorf("calls: %d %d", w.gw.Calls("busy2-alice-pixel"), w.gw.Calls("busy1-alice-iphone"))
	}
	w.noFailures(t)
}

func TestProviderTokensAreReused(t *testing.T) {
	w := newWorld(t)
	a := w.newApp(t, "ak_push_reuse", "alice", "bob")
	w.configure(t, a)
	start(t, w.q)
	for _, u := range []string{"alice", "bob"} {
		w.register(t, a, u, u+"-iphone-0001", push.APNS)
		w.register(t, a, u, u+"-pixel-0001", push.FCM)
		w.register(t, a, u, u+"-huawei-0001", push.Huawei)
	}
	for i := range 5 {
		res, err := w.svc.Send(context.Background(), a.server(), push.Push{UserIDs: []string{"alice", "bob"}, Notification: push.Notification{Title: fmt.Sprint(i), Body: "b"}})
		if err != nil {
			t.Fatal(err)
		}
		if done := w.wait(t, a, res.PushID); done.Accepted != 6 {
			t.Fatalf("push %d: %+v", i, done)
		}
	}
	if apns, fcm, hms := w.gw.Mints(); apns != 1 || fcm != 1 || hms != 1 {
		t.Errorf("tokens minted for 30 deliveries: APNs %d, FCM %d, HMS %d; want one each", apns, fcm, hms)
	}
	// New credentials: a new provider token.
	w.configure(t, a)
	res, _ := w.svc.Send(context.Background(), a.server(), push.Push{UserIDs: []string{"alice"}, Notification: push.Notification{Title: "t", Body: "b"}})
	w.wait(t, a, res.PushID)
	if apns, fcm, _ := w.gw.Mints(); apns != 2 || fcm != 2 {
		t.Errorf("after new credentials: APNs %d, FCM %d", apns, fcm)
	}
	w.noFailures(t)
}

// A restart in the middle: the first instance's queue stops while pushes are being
// delivered, a second instance takes over, and every device gets every push once.
func TestRestartDeliversEveryPushOnce(t *testing.T) {
	w := newWorld(t)
	a := w.newApp(t, "ak_push_restart", "alice", "bob")
	w.configure(t, a)
	w.gw.Delay = 5 * time.Millisecond
	tokens := []string{"alice-iphone-0001", "alice-pixel-0001", "bob-huawei-0001"}
	w.register(t, a, "alice", tokens[0], push.APNS)
	w.register(t, a, "alice", tokens[1], push.FCM)
	w.register(t, a, "bob", tokens[2], push.Huawei)
	const pushes = 30
	ids := make([]int64, pushes)
	for i := range ids {
		res, err := w.svc.Send(context.Background(), a.server(), push.Push{UserIDs: []string{"alice", "bob"}, Notification: push.Notification{Title: fmt.Sprintf("push %d", i), Body: "b"}})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = res.PushID
	}
	stop := start(t, w.q)
	for len(w.gw.Taken()) == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	stop()
	first := len(w.gw.Taken())
	svc2, q2 := w.service(t)
	start(t, q2)
	for _, id := range ids {
		res, err := svc2.Get(context.Background(), a.server(), fmt.Sprint(id))
		for err == nil && res.Queued > 0 {
			time.Sleep(20 * time.Millisecond)
			res, err = svc2.Get(context.Background(), a.server(), fmt.Sprint(id))
		}
		if err != nil || res.Accepted != 3 {
			t.Fatalf("push %d: %+v %v", id, res, err)
		}
	}
	seen := map[string]int{}
	for _, r := range w.gw.Taken() {
		title := ""
		switch r.Vendor {
		case "APNS":
			title = r.Body["aps"].(map[string]any)["alert"].(map[string]any)["title"].(string)
		case "FCM":
			title = r.Body["notification"].(map[string]any)["title"].(string)
		case "HUAWEI":
			title = r.Body["android"].(map[string]any)["notification"].(map[string]any)["title"].(string)
		}
		seen[r.Token+" "+title]++
	}
	if len(seen) != pushes*len(tokens) {
		t.Errorf("%d of %d notifications arrived", len(seen), pushes*len(tokens))
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("%s arrived %d times", k, n)
		}
	}
	t.Logf("%d notifications before the restart, %d after", first, len(w.gw.Taken())-first)
	w.noFailures(t)
}

func TestCredentials(t *testing.T) {
	w := newWorld(t)
	a := w.newApp(t, "ak_push_cred_a")
	b := w.newApp(t, "ak_push_cred_b")
	ctx := context.Background()
	w.configure(t, a)
	list, err := w.svc.Credentials(ctx, a.owner(), a.ID)
	if err != nil || len(list) != 3 {
		t.Fatalf("credentials: %+v %v", list, err)
	}
	for _, c := range list {
		if c.Fingerprint == "" {
			t.Errorf("%s has no fingerprint", c.Vendor)
		}
	}
	if s := list[0].Settings; list[0].Vendor != push.APNS || s.KeyID != pushtest.APNsKeyID || s.BundleID != pushtest.BundleID || s.Environment != push.Production {
		t.Errorf("APNs: %+v", list[0])
	}
	if s := list[1].Settings; s.ProjectID != pushtest.FCMProject || s.ClientEmail != pushtest.FCMEmail {
		t.Errorf("FCM: %+v", list[1])
	}
	// Sealed at rest: the database holds no secret in the clear.
	var stored string
	if err := w.pool.QueryRow(ctx, `SELECT string_agg(sealed || settings::text, ' ') FROM push_credentials`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	for _, secretText := range []string{"PRIVATE KEY", pushtest.HMSSecret} {
		if strings.Contains(stored, secretText) {
			t.Errorf("%q is stored in the clear", secretText)
		}
	}
	// Another tenant neither reads nor sets them; the viewer cannot set them.
	if _, err := w.svc.Credentials(ctx, b.owner(), a.ID); !fault.Is(err, fault.Forbidden) {
		t.Errorf("another tenant reads: %v", err)
	}
	if _, err := w.svc.SetCredential(ctx, b.owner(), a.ID, push.Huawei, push.CredentialInput{HMSAppID: "x", ClientSecret: "y"}); !fault.Is(err, fault.Forbidden) {
		t.Errorf("another tenant sets: %v", err)
	}
	if err := w.svc.DeleteCredential(ctx, b.owner(), a.ID, push.FCM); !fault.Is(err, fault.Forbidden) {
		t.Errorf("another tenant deletes: %v", err)
	}
	viewer := &auth.Principal{Kind: auth.KindTenant, TenantID: a.TenantID, Role: auth.RoleViewer}
	if _, err := w.svc.SetCredential(ctx, viewer, a.ID, push.Huawei, push.CredentialInput{HMSAppID: "x", ClientSecret: "y"}); !fault.Is(err, fault.Forbidden) {
		t.Errorf("viewer sets: %v", err)
	}
	if _, err := w.svc.Credentials(ctx, a.server(), a.ID); !fault.Is(err, fault.Forbidden) {
		t.Errorf("the back end reads: %v", err)
	}
	after, _ := w.svc.Credentials(ctx, a.owner(), a.ID)
	if fmt.Sprint(after) != fmt.Sprint(list) {
		t.Errorf("changed: %+v", after)
	}
	if _, err := w.svc.Credentials(ctx, a.owner(), 999999); !fault.Is(err, fault.NotFound) {
		t.Errorf("no such app: %v", err)
	}
	// Bad input.
	for field, c := range map[string]struct {
		vendor string
		in     push.CredentialInput
	}{
		"privateKey":         {push.APNS, push.CredentialInput{PrivateKey: "not a key", KeyID: "k", TeamID: "t", BundleID: "b", Environment: push.Sandbox}},
		"environment":        {push.APNS, push.CredentialInput{PrivateKey: w.gw.APNsKeyPEM, KeyID: "k", TeamID: "t", BundleID: "b", Environment: "TEST"}},
		"serviceAccountJson": {push.FCM, push.CredentialInput{ServiceAccountJSON: `{"type":"authorized_user"}`}},
		"clientSecret":       {push.Huawei, push.CredentialInput{HMSAppID: "x"}},
		"vendor":             {push.Oppo, push.CredentialInput{}},
	} {
		_, err := w.svc.SetCredential(ctx, a.owner(), a.ID, c.vendor, c.in)
		if fe := fault.As(err); fe.Kind != fault.Invalid || len(fe.Fields) != 1 || fe.Fields[0].Field != field {
			t.Errorf("%s: %v", field, err)
		}
	}
	if err := w.svc.DeleteCredential(ctx, a.owner(), a.ID, push.Huawei); err != nil {
		t.Fatal(err)
	}
	if err := w.svc.DeleteCredential(ctx, a.owner(), a.ID, push.Huawei); !fault.Is(err, fault.NotFound) {
		t.Errorf("deleted twice: %v", err)
	}
}
