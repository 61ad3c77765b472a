package ops_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/auth"
	sealed "github.com/xuqmgroup/xuqm/internal/secret"
	"github.com/xuqmgroup/xuqm/internal/testserver"
)

func TestOperatorLogin(t *testing.T) {
	p := newPlatform(t, map[string]string{"XUQM_ADMIN_PASSWORD": "Another#Pass1"})
	ctx := context.Background()
	if c := status(p.c.OpsLoginWithResponse(ctx, api.OpsLoginJSONRequestBody{Username: "admin", Password: "Admin@123456"})); c != 401 {
		t.Errorf("the default password when another is configured: %d", c)
	}
	if c := status(p.c.OpsLoginWithResponse(ctx, api.OpsLoginJSONRequestBody{Username: "nobody", Password: "Another#Pass1"})); c != 401 {
		t.Errorf("an unknown operator: %d", c)
	}
	// A tenant token never opens an operator route, nor an operator token a tenant route.
	tn := p.tenant(t, "Acme")
	if c := status(p.c.ListTenantsWithResponse(ctx, &api.ListTenantsParams{}, testserver.Bearer(tn.token))); c != 403 {
		t.Errorf("tenant token on an ops route: %d", c)
	}
	if c := status(p.c.ListAppsWithResponse(ctx, &api.ListAppsParams{}, testserver.Bearer(p.ops))); c != 403 {
		t.Errorf("ops token on a tenant route: %d", c)
	}
	if c := status(p.c.GetStatisticsWithResponse(ctx)); c != 401 {
		t.Errorf("statistics without a token: %d", c)
	}

	// Guesses from one address are slowed and then shut for admin (429 with Retry-After), the
	// right password included; the right password from another address still signs in.
	var r *api.OpsLoginResponse
	for i := range 10 {
		r, _ = p.c.OpsLoginWithResponse(ctx, api.OpsLoginJSONRequestBody{Username: "admin", Password: "wrong" + strconv.Itoa(i)})
		if r.StatusCode() == 429 {
			break
		}
	}
	if r.StatusCode() != 429 || r.HTTPResponse.Header.Get("Retry-After") == "" {
		t.Errorf("after 10 quick failures: %d %s", r.StatusCode(), r.Body)
	}
	if r, _ := p.c.OpsLoginWithResponse(ctx, api.OpsLoginJSONRequestBody{Username: "admin", Password: "Another#Pass1"}); r.StatusCode() != 429 {
		t.Errorf("the right password from the guessing address: %d", r.StatusCode())
	}
	if r, _ := p.s.ClientFrom("127.0.0.9").OpsLoginWithResponse(ctx, api.OpsLoginJSONRequestBody{Username: "admin", Password: "Another#Pass1"}); r.StatusCode() != 200 {
		t.Errorf("the right password from a fresh address: %d %s", r.StatusCode(), r.Body)
	}
	// The operator's token of before still works: the limit is on signing in.
	if c := status(p.c.GetStatisticsWithResponse(ctx, testserver.Bearer(p.ops))); c != 200 {
		t.Errorf("statistics: %d", c)
	}
}

// The admin and the demo app are made on the first start and kept as they are on the next.
func TestBootstrap(t *testing.T) {
	p := newPlatform(t, map[string]string{"XUQM_DEMO_APP_SECRET": "demo-secret-for-tests"})
	ctx := context.Background()
	conn := p.db(t)
	var appID, tenantID int64
	var secret string
	if err := conn.QueryRow(ctx, `SELECT id, tenant_id, app_secret FROM apps WHERE app_key = 'ak_demo_chat'`).Scan(&appID, &tenantID, &secret); err != nil {
		t.Fatal(err)
	}
	// Kept sealed at rest; the signed login below shows it is the configured one.
	if !sealed.IsSealed(secret) || strings.Contains(secret, "demo-secret-for-tests") {
		t.Errorf("demo secret stored as %q, want it sealed", secret)
	}
	var users, services int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM im_accounts WHERE app_id = $1 AND user_id IN ('demo_alice', 'demo_bob', 'demo_carol') AND deleted_at IS NULL`, appID).Scan(&users); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM app_services WHERE app_id = $1 AND enabled`, appID).Scan(&services); err != nil {
		t.Fatal(err)
	}
	if users != 3 || services != 4 {
		t.Errorf("demo app has %d demo users and %d services on", users, services)
	}
	// The demo app's secret signs IM logins.
	r, err := p.c.ImLoginWithResponse(ctx, &api.ImLoginParams{AppId: "ak_demo_chat", UserId: "demo_alice"}, testserver.Signed("demo-secret-for-tests", time.Time{}, ""))
	if err != nil || r.StatusCode() == 401 || r.StatusCode() == 403 {
		t.Errorf("IM login signed with the demo secret: %v %d %s", err, r.StatusCode(), r.Body)
	}

	// A restart with another configured secret and password reuses what exists.
	if _, err := conn.Exec(ctx, `UPDATE app_services SET enabled = false WHERE app_id = $1 AND service_type = 'PUSH'`, appID); err != nil {
		t.Fatal(err)
	}
	p.s.Restart()
	p.c = p.s.Client
	var apps, tenants, admins int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM apps WHERE app_key = 'ak_demo_chat'`).Scan(&apps); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM tenants WHERE name = 'Demo'`).Scan(&tenants); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM operators WHERE username = 'admin'`).Scan(&admins); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM app_services WHERE app_id = $1 AND enabled`, appID).Scan(&services); err != nil {
		t.Fatal(err)
	}
	if apps != 1 || tenants != 1 || admins != 1 || services != 3 {
		t.Errorf("after a restart: %d demo apps, %d demo tenants, %d admins, %d services on (the PUSH switch must stay off)", apps, tenants, admins, services)
	}
	p.opsLogin(t, "admin", "Admin@123456")
}

// Disabling a tenant stops its accounts, sub-accounts, apps and IM tokens on the next request;
// enabling it restores them.
func TestToggleTenantStatus(t *testing.T) {
	p := newPlatform(t, nil)
	ctx := context.Background()
	ops := testserver.Bearer(p.ops)
	tn := p.tenant(t, "Acme")
	viewer := p.addViewer(t, tn)
	app := p.createApp(t, tn.token, "Chat")
	if _, err := p.db(t).Exec(ctx, `INSERT INTO im_accounts (app_id, user_id) VALUES ($1, 'alice')`, app.Id); err != nil {
		t.Fatal(err)
	}
	im, _, _ := p.s.Tokens.Issue(auth.Claims{Typ: auth.KindIM, AppID: app.Id, AppKeyClaim: app.AppKey, TenantID: tn.id}, "alice")
	imStatus := func() int {
		return status(p.c.GetImAccountWithResponse(ctx, "alice", &api.GetImAccountParams{AppId: app.AppKey}, testserver.Bearer(im)))
	}
	me := func(tok string) int { return status(p.c.GetCurrentAccountWithResponse(ctx, testserver.Bearer(tok))) }
	login := func() int {
		return status(p.c.LoginWithResponse(ctx, api.LoginJSONRequestBody{Email: "acme@example.com", Password: "passw0rd1"}))
	}
	if me(tn.token) != 200 || me(viewer) != 200 || imStatus() == 403 {
		t.Fatal("the tenant does not work before it is disabled")
	}

	off := false
	r, _ := p.c.ToggleTenantStatusWithResponse(ctx, tn.id, api.ToggleTenantStatusJSONRequestBody{Enabled: &off}, ops)
	if r.JSON200 == nil || r.JSON200.Data.Status != "DISABLED" || r.JSON200.Data.AppCount != 1 || r.JSON200.Data.Email != "acme@example.com" {
		t.Fatalf("disable: %s", r.Body)
	}
	for what, c := range map[string]int{"main token": me(tn.token), "viewer token": me(viewer), "IM token": imStatus(), "login": login()} {
		if c != 403 {
			t.Errorf("disabled tenant: %s: %d, want 403", what, c)
		}
	}
	// Setting the state it has is not an error; without a body, or with {}, it flips.
	if r, _ := p.c.ToggleTenantStatusWithResponse(ctx, tn.id, api.ToggleTenantStatusJSONRequestBody{Enabled: &off}, ops); r.JSON200 == nil || r.JSON200.Data.Status != "DISABLED" {
		t.Errorf("disable again: %s", r.Body)
	}
	if c := p.post(t, "/api/ops/tenants/"+strconv.FormatInt(tn.id, 10)+"/toggle-status", p.ops, "", ""); c != 200 {
		t.Fatalf("flip without a body: %d", c)
	}
	if me(tn.token) != 200 || me(viewer) != 200 || imStatus() == 403 || login() != 200 {
		t.Error("the tenant does not work again after it was enabled")
	}
	if c := p.post(t, "/api/ops/tenants/"+strconv.FormatInt(tn.id, 10)+"/toggle-status", p.ops, "application/json", "{}"); c != 200 || me(tn.token) != 403 {
		t.Errorf("flip with {}: %d, then me %d", c, me(tn.token))
	}
	// The audit trail names the operator for each change.
	var disables, enables int
	if err := p.db(t).QueryRow(ctx, `SELECT count(*) FILTER (WHERE action = 'tenant.disable'), count(*) FILTER (WHERE action = 'tenant.enable')
		FROM audit_log WHERE tenant_id = $1 AND actor_kind = 'ops' AND actor_id IS NOT NULL`, tn.id).Scan(&disables, &enables); err != nil {
		t.Fatal(err)
	}
	if disables != 3 || enables != 1 {
		t.Errorf("audit: %d disables and %d enables, want 3 and 1", disables, enables)
	}
	if c := status(p.c.ToggleTenantStatusWithResponse(ctx, 999999, api.ToggleTenantStatusJSONRequestBody{}, ops)); c != 404 {
		t.Errorf("an unknown tenant: %d", c)
	}
	if c := status(p.c.ToggleTenantStatusWithResponse(ctx, tn.id, api.ToggleTenantStatusJSONRequestBody{}, testserver.Bearer(tn.token))); c != 403 {
		t.Errorf("a tenant toggling itself: %d", c)
	}
}

func TestListTenants(t *testing.T) {
	p := newPlatform(t, nil)
	ctx := context.Background()
	ops := testserver.Bearer(p.ops)
	acme := p.tenant(t, "Acme")
	p.tenant(t, "Globex")
	p.tenant(t, "Initech")
	p.createApp(t, acme.token, "One")
	p.createApp(t, acme.token, "Two")
	off := false
	if r, err := p.c.ToggleTenantStatusWithResponse(ctx, acme.id, api.ToggleTenantStatusJSONRequestBody{Enabled: &off}, ops); err != nil {
		t.Fatal(err)
	} else if r.StatusCode() != 200 {
		t.Fatalf("disable Acme: %d %s", r.StatusCode(), r.Body)
	}

	list := func(params api.ListTenantsParams) api.TenantPage {
		r, err := p.c.ListTenantsWithResponse(ctx, &params, ops)
		if err != nil || r.JSON200 == nil {
			t.Fatalf("list %+v: %v %s", params, err, r.Body)
		}
		return r.JSON200.Data
	}
	all := list(api.ListTenantsParams{})
	// The demo tenant and the three: newest first.
	if all.TotalElements != 4 || all.Content[0].Name != "Initech" || all.Content[3].Name != "Demo" {
		t.Fatalf("all: %+v", all)
	}
	size, page := int32(2), int32(1)
	if pg := list(api.ListTenantsParams{Size: &size, Page: &page}); len(pg.Content) != 2 || pg.Content[0].Name != "Acme" || pg.TotalPages != 2 {
		t.Errorf("page 1 of 2: %+v", pg)
	}
	kw := "glob"
	if pg := list(api.ListTenantsParams{Keyword: &kw}); pg.TotalElements != 1 || pg.Content[0].Name != "Globex" {
		t.Errorf("keyword: %+v", pg)
	}
	kw = "acme@example"
	if pg := list(api.ListTenantsParams{Keyword: &kw}); pg.TotalElements != 1 || pg.Content[0].AppCount != 2 || pg.Content[0].Status != "DISABLED" {
		t.Errorf("keyword on the address: %+v", pg)
	}
	st := api.TenantStatus("DISABLED")
	if pg := list(api.ListTenantsParams{Status: &st}); pg.TotalElements != 1 || pg.Content[0].Id != acme.id {
		t.Errorf("disabled: %+v", pg)
	}
	kw = "%"
	if pg := list(api.ListTenantsParams{Keyword: &kw}); pg.TotalElements != 0 {
		t.Errorf("keyword %% matched %d tenants literally", pg.TotalElements)
	}
	code, _ := p.raw(t, "GET", "/api/ops/tenants?status=PAUSED", p.ops)
	if code != 400 {
		t.Errorf("an unknown status: %d", code)
	}
}

// The counters follow what they count.
func TestStatisticsFollowTheDatabase(t *testing.T) {
	p := newPlatform(t, nil)
	ctx := context.Background()
	before := p.statistics(t)
	if before.Tenants != 1 || before.Apps != 1 || before.ImAccounts != 3 { // the demo tenant, app and users
		t.Fatalf("fresh platform: %+v", before)
	}
	tn := p.tenant(t, "Acme")
	app := p.createApp(t, tn.token, "Chat")
	p.createApp(t, tn.token, "Shop")
	if _, err := p.db(t).Exec(ctx, `INSERT INTO im_accounts (app_id, user_id) VALUES ($1, 'u1'), ($1, 'u2')`, app.Id); err != nil {
		t.Fatal(err)
	}
	// A push sent (to users without devices: the request still counts).
	pr, err := p.c.SendPushWithResponse(ctx, &api.SendPushParams{AppId: app.AppKey},
		api.SendPushJSONRequestBody{UserIds: &[]string{"u1"}, Title: "Hi", Body: "Hello"}, testserver.Bearer(tn.token))
	if err != nil || pr.StatusCode() != 200 {
		t.Fatalf("push: %v %d %s", err, pr.StatusCode(), pr.Body)
	}
	after := p.statistics(t)
	if after.Tenants != 2 || after.Apps != 3 || after.ImAccounts != 5 || after.PushesSent != before.PushesSent+1 {
		t.Errorf("after adding a tenant, 2 apps, 2 IM accounts and a push: %+v", after)
	}
	// A deleted app no longer counts, nor do its IM accounts.
	if c := status(p.c.DeleteAppWithResponse(ctx, app.Id, testserver.Bearer(tn.token))); c != 200 {
		t.Fatalf("delete: %d", c)
	}
	if st := p.statistics(t); st.Apps != 2 || st.ImAccounts != 3 || !st.GeneratedAt.After(before.GeneratedAt) {
		t.Errorf("after deleting the app: %+v", st)
	}
}

func (p *platform) raw(t *testing.T, method, path, token string) (int, string) {
	t.Helper()
	code, body := 0, ""
	req, _ := newRequest(method, p.s.URL+path, token)
	resp, err := p.s.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b := make([]byte, 4096)
	n, _ := resp.Body.Read(b)
	code, body = resp.StatusCode, string(b[:n])
	return code, body
}

// A size above 100 is served as 100, not refused (internal/page), on every paged route: here the
// operators' tenant list and, through the same contract parameter, the IM lists.
func TestLargePageSizeIsServedAs100(t *testing.T) {
	p := newPlatform(t, nil)
	size := int32(1000)
	r, err := p.c.ListTenantsWithResponse(context.Background(), &api.ListTenantsParams{Size: &size}, testserver.Bearer(p.ops))
	if err != nil || r.JSON200 == nil {
		t.Fatalf("size=1000: %v %d %s", err, r.StatusCode(), r.Body)
	}
	if r.JSON200.Data.Size != 100 {
		t.Errorf("served size %d, want 100", r.JSON200.Data.Size)
	}
}
