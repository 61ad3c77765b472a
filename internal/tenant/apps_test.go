package tenant_test

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/testserver"
)

var (
	appKeyShape = regexp.MustCompile(`^ak_[a-z0-9]{16,}$`)
	secretShape = regexp.MustCompile(`^[0-9a-f]{64}$`)
	maskedShape = regexp.MustCompile(`^[0-9a-f]{4}\*\*\*\*[0-9a-f]{4}$`)
)

func masked(secret string) string { return secret[:4] + "****" + secret[len(secret)-4:] }

// imToken mints an IM token of app for user, and makes the user's IM account.
func (k *console) imToken(t *testing.T, app api.App, tenantID int64, user string) string {
	t.Helper()
	k.exec(t, `INSERT INTO im_accounts (app_id, user_id) VALUES ($1, $2)`, app.Id, user)
	tok, _, err := k.s.Tokens.Issue(auth.Claims{Typ: auth.KindIM, AppID: app.Id, AppKeyClaim: app.AppKey, TenantID: tenantID}, user)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// imAccountStatus is what an IM route of the app answers an IM token: the gate lets it through
// (anything but 401 and 403) while the app and its IM service are on.
func (k *console) imAccountStatus(t *testing.T, appKey, token, user string) int {
	t.Helper()
	r, err := k.c.GetImAccountWithResponse(context.Background(), user, &api.GetImAccountParams{AppId: appKey}, bearer(token))
	if err != nil {
		t.Fatal(err)
	}
	return r.StatusCode()
}

// imLoginStatus signs an IM login with secret.
func (k *console) imLoginStatus(t *testing.T, appKey, secret string) int {
	t.Helper()
	r, err := k.c.ImLoginWithResponse(context.Background(), &api.ImLoginParams{AppId: appKey, UserId: "signed_user"}, testserver.Signed(secret, time.Time{}, ""))
	if err != nil {
		t.Fatal(err)
	}
	return r.StatusCode()
}

// importStatus calls an app-admin route of the IM service signed with key.
func (k *console) importStatus(t *testing.T, appKey, key string) int {
	t.Helper()
	nick := "Imported"
	r, err := k.c.ImportImAccountWithResponse(context.Background(), &api.ImportImAccountParams{AppId: appKey},
		api.ImportImAccountJSONRequestBody{UserId: "imported_user", Nickname: &nick}, testserver.Signed(key, time.Time{}, ""))
	if err != nil {
		t.Fatal(err)
	}
	return r.StatusCode()
}

func passedGate(code int) bool { return code != 401 && code != 403 && code != 404 }

func TestAppLifecycle(t *testing.T) {
	k := newConsole(t, nil)
	ctx := context.Background()
	owner := k.register(t, "owner@example.com", "Owner")
	tok := bearer(owner.Token)

	app := k.createApp(t, owner.Token, "Chat")
	if !appKeyShape.MatchString(app.AppKey) || !secretShape.MatchString(app.AppSecret) || app.Description != "" {
		t.Errorf("new app %+v", app)
	}
	if len(app.Services) != 4 {
		t.Fatalf("services %+v", app.Services)
	}
	for i, want := range []api.ServiceType{"IM", "PUSH", "FILE", "UPDATE"} {
		sv := app.Services[i]
		if sv.ServiceType != want || !sv.Enabled || !secretShape.MatchString(sv.SecretKey) {
			t.Errorf("service %d: %+v, want %s enabled with a full key", i, sv, want)
		}
	}
	desc := "Second app"
	r2, _ := k.c.CreateAppWithResponse(ctx, api.CreateAppJSONRequestBody{Name: "Shop", Description: &desc}, tok)
	if r2.JSON200 == nil || r2.JSON200.Data.Description != desc || r2.JSON200.Data.AppKey == app.AppKey {
		t.Fatalf("second app: %s", r2.Body)
	}

	// Listed newest first, paged, searchable, masked.
	lr, _ := k.c.ListAppsWithResponse(ctx, &api.ListAppsParams{}, tok)
	if lr.JSON200 == nil || lr.JSON200.Data.TotalElements != 2 || lr.JSON200.Data.Content[0].Name != "Shop" {
		t.Fatalf("list: %s", lr.Body)
	}
	got := lr.JSON200.Data.Content[1]
	if got.AppSecret != masked(app.AppSecret) || !maskedShape.MatchString(got.Services[0].SecretKey) || got.Services[0].SecretKey != masked(app.Services[0].SecretKey) {
		t.Errorf("listed secrets not masked: %+v", got)
	}
	size := int32(1)
	lr, _ = k.c.ListAppsWithResponse(ctx, &api.ListAppsParams{Size: &size, Page: &size}, tok)
	if d := lr.JSON200.Data; d.TotalPages != 2 || len(d.Content) != 1 || d.Content[0].Name != "Chat" || d.Page != 1 {
		t.Errorf("page 1 of size 1: %s", lr.Body)
	}
	kw := "CHA"
	lr, _ = k.c.ListAppsWithResponse(ctx, &api.ListAppsParams{Keyword: &kw}, tok)
	if d := lr.JSON200.Data; d.TotalElements != 1 || d.Content[0].Id != app.Id {
		t.Errorf("keyword CHA: %s", lr.Body)
	}

	gr, _ := k.c.GetAppWithResponse(ctx, app.Id, tok)
	if gr.JSON200 == nil || gr.JSON200.Data.AppSecret != masked(app.AppSecret) || gr.JSON200.Data.AppKey != app.AppKey {
		t.Fatalf("get: %s", gr.Body)
	}

	// Update: an omitted description stays, an empty one clears.
	ur, _ := k.c.UpdateAppWithResponse(ctx, r2.JSON200.Data.Id, api.UpdateAppJSONRequestBody{Name: "Shop 2"}, tok)
	if ur.JSON200 == nil || ur.JSON200.Data.Name != "Shop 2" || ur.JSON200.Data.Description != desc || ur.JSON200.Data.AppSecret != masked(r2.JSON200.Data.AppSecret) {
		t.Fatalf("update: %s", ur.Body)
	}
	empty := ""
	ur, _ = k.c.UpdateAppWithResponse(ctx, r2.JSON200.Data.Id, api.UpdateAppJSONRequestBody{Name: "Shop 2", Description: &empty}, tok)
	if ur.JSON200 == nil || ur.JSON200.Data.Description != "" {
		t.Fatalf("clear description: %s", ur.Body)
	}
	if ur, _ := k.c.UpdateAppWithResponse(ctx, app.Id, api.UpdateAppJSONRequestBody{Name: "   "}, tok); ur.StatusCode() != 400 || fieldOf(ur.JSON400) != "name" {
		t.Errorf("blank name: %d %s", ur.StatusCode(), ur.Body)
	}

	// Rotating the appSecret: IM logins signed with the old one are refused at once.
	im := k.imToken(t, app, owner.TenantId, "alice")
	if c := k.imLoginStatus(t, app.AppKey, app.AppSecret); !passedGate(c) {
		t.Fatalf("IM login signed with the secret: %d", c)
	}
	sr, _ := k.c.RegenerateAppSecretWithResponse(ctx, app.Id, tok)
	if sr.JSON200 == nil || !secretShape.MatchString(sr.JSON200.Data.AppSecret) || sr.JSON200.Data.AppSecret == app.AppSecret || sr.JSON200.Data.AppKey != app.AppKey {
		t.Fatalf("regenerate secret: %s", sr.Body)
	}
	if c := k.imLoginStatus(t, app.AppKey, app.AppSecret); c != 401 {
		t.Errorf("IM login signed with the old secret: %d", c)
	}
	if c := k.imLoginStatus(t, app.AppKey, sr.JSON200.Data.AppSecret); !passedGate(c) {
		t.Errorf("IM login signed with the new secret: %d", c)
	}
	if c := k.imAccountStatus(t, app.AppKey, im, "alice"); !passedGate(c) {
		t.Errorf("an IM token after the secret rotation: %d", c)
	}

	// Deleting: the app's IM tokens and signatures stop at once, its routes answer 404.
	if dr, _ := k.c.DeleteAppWithResponse(ctx, app.Id, tok); dr.StatusCode() != 200 {
		t.Fatalf("delete: %s", dr.Body)
	}
	if c := k.imAccountStatus(t, app.AppKey, im, "alice"); c != 401 {
		t.Errorf("an IM token of a deleted app: %d", c)
	}
	if c := k.imLoginStatus(t, app.AppKey, sr.JSON200.Data.AppSecret); c != 401 {
		t.Errorf("an IM login of a deleted app: %d", c)
	}
	for name, code := range map[string]int{
		"get":      mustStatus(k.c.GetAppWithResponse(ctx, app.Id, tok)),
		"delete":   mustStatus(k.c.DeleteAppWithResponse(ctx, app.Id, tok)),
		"services": mustStatus(k.c.ListAppServicesWithResponse(ctx, app.Id, tok)),
		"missing":  mustStatus(k.c.GetAppWithResponse(ctx, 999999, tok)),
	} {
		if code != 404 {
			t.Errorf("%s after delete: %d, want 404", name, code)
		}
	}
	lr, _ = k.c.ListAppsWithResponse(ctx, &api.ListAppsParams{}, tok)
	if lr.JSON200.Data.TotalElements != 1 {
		t.Errorf("a deleted app is still listed: %s", lr.Body)
	}
}

type statusCoder interface{ StatusCode() int }

func mustStatus[R statusCoder](r R, err error) int {
	if err != nil {
		panic(err)
	}
	return r.StatusCode()
}

func TestServices(t *testing.T) {
	k := newConsole(t, nil)
	ctx := context.Background()
	owner := k.register(t, "owner@example.com", "Owner")
	tok := bearer(owner.Token)
	app := k.createApp(t, owner.Token, "Chat")
	other := k.createApp(t, owner.Token, "Other")
	im := k.imToken(t, app, owner.TenantId, "alice")

	lr, _ := k.c.ListAppServicesWithResponse(ctx, app.Id, tok)
	if lr.JSON200 == nil || len(lr.JSON200.Data) != 4 || lr.JSON200.Data[3].ServiceType != "UPDATE" || lr.JSON200.Data[0].SecretKey != masked(app.Services[0].SecretKey) {
		t.Fatalf("services: %s", lr.Body)
	}

	toggle := func(svc api.ServiceType, on bool) *api.ToggleAppServiceResponse {
		r, err := k.c.ToggleAppServiceWithResponse(ctx, app.Id, api.ToggleAppServiceJSONRequestBody{ServiceType: svc, Enabled: on}, tok)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	// Off: the IM routes answer 403 to the app's IM tokens and signatures from the next request.
	if r := toggle("IM", false); r.JSON200 == nil || r.JSON200.Data.Enabled || r.JSON200.Data.SecretKey != masked(app.Services[0].SecretKey) {
		t.Fatalf("toggle off: %s", r.Body)
	}
	if c := k.imAccountStatus(t, app.AppKey, im, "alice"); c != 403 {
		t.Errorf("IM token with IM off: %d", c)
	}
	if c := k.importStatus(t, app.AppKey, app.Services[0].SecretKey); c != 403 {
		t.Errorf("signed IM call with IM off: %d", c)
	}
	if r := toggle("IM", false); r.StatusCode() != 200 {
		t.Errorf("setting the state it has: %d", r.StatusCode())
	}
	toggle("IM", true)
	if c := k.imAccountStatus(t, app.AppKey, im, "alice"); !passedGate(c) {
		t.Errorf("IM token with IM on again: %d", c)
	}
	lr, _ = k.c.ListAppServicesWithResponse(ctx, app.Id, tok)
	if !lr.JSON200.Data[0].Enabled {
		t.Error("IM still listed off")
	}

	// Rotating the IM key: signatures made with the old key are refused at once.
	if c := k.importStatus(t, app.AppKey, app.Services[0].SecretKey); !passedGate(c) {
		t.Fatalf("signed with the IM key: %d", c)
	}
	kr, _ := k.c.RegenerateServiceKeyWithResponse(ctx, app.Id, app.Services[0].Id, tok)
	if kr.JSON200 == nil || kr.JSON200.Data.ServiceType != "IM" || !secretShape.MatchString(kr.JSON200.Data.SecretKey) || kr.JSON200.Data.SecretKey == app.Services[0].SecretKey {
		t.Fatalf("regenerate key: %s", kr.Body)
	}
	if c := k.importStatus(t, app.AppKey, app.Services[0].SecretKey); c != 401 {
		t.Errorf("signed with the old IM key: %d", c)
	}
	if c := k.importStatus(t, app.AppKey, kr.JSON200.Data.SecretKey); !passedGate(c) {
		t.Errorf("signed with the new IM key: %d", c)
	}
	// A service of another app.
	if c := mustStatus(k.c.RegenerateServiceKeyWithResponse(ctx, app.Id, other.Services[0].Id, tok)); c != 404 {
		t.Errorf("another app's service: %d", c)
	}
	// A body that is not the contract's: 400 naming the field.
	code, env, _ := k.call(t, "POST", path("/api/apps/%d/services/toggle", app.Id), owner.Token, `{"serviceType":"SMS","enabled":true}`)
	if code != 400 || !containsField(env, "serviceType") {
		t.Errorf("unknown service type: %d %s", code, env.Data)
	}
}

func containsField(env envelope, field string) bool {
	return regexp.MustCompile(`"field":"` + regexp.QuoteMeta(field) + `"`).Match(env.Data)
}
