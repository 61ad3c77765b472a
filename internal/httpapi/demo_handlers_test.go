package httpapi_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/testserver"
)

const demoTestPassword = "demo-test-password"

// demoWorld is a server with the demo tenant, app ak_demo_chat and its users, made here when
// the first start has not made them already.
func demoWorld(t *testing.T) *world {
	t.Helper()
	s := testserver.Start(t, map[string]string{"XUQM_DEMO_PASSWORD": demoTestPassword})
	w := &world{s: s}
	w.tenantID = imAcctScan(t, w, `WITH made AS (INSERT INTO tenants (name, email) SELECT 'Demo', 'demo@example.com'
		WHERE NOT EXISTS (SELECT 1 FROM apps WHERE app_key = 'ak_demo_chat') RETURNING id)
		SELECT id FROM made UNION ALL SELECT tenant_id FROM apps WHERE app_key = 'ak_demo_chat'`)
	w.exec(t, `INSERT INTO apps (tenant_id, app_key, app_secret, name) VALUES ($1, 'ak_demo_chat', 'demo-test-secret', 'Demo chat')
		ON CONFLICT (app_key) DO NOTHING`, w.tenantID)
	w.appID = imAcctScan(t, w, `SELECT id FROM apps WHERE app_key = 'ak_demo_chat'`)
	w.appKey = "ak_demo_chat"
	w.exec(t, `INSERT INTO app_services (app_id, service_type, secret_key)
		SELECT $1, s, 'demo-key-' || s FROM unnest(ARRAY['IM','PUSH','FILE','UPDATE']) s ON CONFLICT DO NOTHING`, w.appID)
	w.exec(t, `INSERT INTO im_accounts (app_id, user_id) SELECT $1, u FROM unnest(ARRAY['demo_alice','demo_bob','demo_carol']) u
		ON CONFLICT DO NOTHING`, w.appID)
	return w
}

func demoLogin(t *testing.T, w *world, username, password string) *api.DemoLoginResponse {
	t.Helper()
	resp, err := w.s.Client.DemoLoginWithResponse(context.Background(), api.DemoLoginRequest{Username: username, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestDemoLoginAndRefreshIM(t *testing.T) {
	w := demoWorld(t)
	ctx := context.Background()
	in := demoLogin(t, w, "demo_alice", demoTestPassword)
	if in.JSON200 == nil || in.JSON200.Data.UserId != "demo_alice" || in.JSON200.Data.AppId != "ak_demo_chat" {
		t.Fatalf("demo login: %d %s", in.StatusCode(), in.Body)
	}
	demoToken := in.JSON200.Data.Token

	ref, err := w.s.Client.DemoRefreshImTokenWithResponse(ctx, &api.DemoRefreshImTokenParams{AppId: "ak_demo_chat"}, testserver.Bearer(demoToken))
	if err != nil {
		t.Fatal(err)
	}
	if ref.JSON200 == nil {
		t.Fatalf("refresh-im: %d %s", ref.StatusCode(), ref.Body)
	}
	// The IM token works on the IM routes, as demo_alice.
	nick := "Alice"
	upd, _ := w.s.Client.UpdateImAccountWithResponse(ctx, "demo_alice", &api.UpdateImAccountParams{AppId: "ak_demo_chat"},
		api.ImAccountUpdate{Nickname: &nick}, testserver.Bearer(ref.JSON200.Data.Token))
	if upd.JSON200 == nil || upd.JSON200.Data.Nickname != "Alice" {
		t.Errorf("IM route with the refreshed token: %d %s", upd.StatusCode(), upd.Body)
	}
	// The demo token itself is no IM token, and refresh-im serves the demo app only.
	get, _ := w.s.Client.GetImAccountWithResponse(ctx, "demo_alice", &api.GetImAccountParams{AppId: "ak_demo_chat"}, testserver.Bearer(demoToken))
	if get.StatusCode() != 403 {
		t.Errorf("demo token on an IM route: %d", get.StatusCode())
	}
	other, _ := w.s.Client.DemoRefreshImTokenWithResponse(ctx, &api.DemoRefreshImTokenParams{AppId: "ak_other_app"}, testserver.Bearer(demoToken))
	if other.StatusCode() != 403 {
		t.Errorf("refresh-im for another app: %d %s", other.StatusCode(), other.Body)
	}
	noToken, _ := w.s.Client.DemoRefreshImTokenWithResponse(ctx, &api.DemoRefreshImTokenParams{AppId: "ak_demo_chat"})
	if noToken.StatusCode() != 401 {
		t.Errorf("refresh-im without a token: %d", noToken.StatusCode())
	}
}

func TestDemoLoginRefusedAndRateLimited(t *testing.T) {
	w := demoWorld(t)
	for _, c := range []struct{ user, pass string }{{"demo_bob", "wrong"}, {"demo_nobody", demoTestPassword}} {
		if resp := demoLogin(t, w, c.user, c.pass); resp.StatusCode() != 401 {
			t.Errorf("%s/%s: %d %s", c.user, c.pass, resp.StatusCode(), resp.Body)
		}
	}
	code, env, _ := w.call(t, "POST", "/api/demo/auth/login", "", `{"username":"demo_bob"}`)
	if code != 400 || !strings.Contains(string(env.Data), `"password"`) {
		t.Errorf("no password: %d %s %s", code, env.Message, env.Data)
	}
	for range 9 { // with the one above, 10 failures for demo_bob
		demoLogin(t, w, "demo_bob", "wrong")
	}
	resp := demoLogin(t, w, "demo_bob", demoTestPassword)
	if resp.StatusCode() != 429 {
		t.Fatalf("after 10 failures: %d %s", resp.StatusCode(), resp.Body)
	}
	if s, err := strconv.Atoi(resp.HTTPResponse.Header.Get("Retry-After")); err != nil || s <= 0 || s > 15*60 {
		t.Errorf("Retry-After %q", resp.HTTPResponse.Header.Get("Retry-After"))
	}
	if ok := demoLogin(t, w, "demo_carol", demoTestPassword); ok.StatusCode() != 200 {
		t.Errorf("another demo user: %d %s", ok.StatusCode(), ok.Body)
	}
}
