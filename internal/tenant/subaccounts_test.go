package tenant_test

import (
	"context"
	"strings"
	"testing"

	"github.com/oapi-codegen/runtime/types"

	"github.com/xuqmgroup/xuqm/gen/api"
)

// The sub-account flow: mail a code, check it, create, sign in, disable.
func TestSubAccountFlow(t *testing.T) {
	k := newConsole(t, nil)
	ctx := context.Background()
	owner := k.register(t, "owner@example.com", "Owner")
	tok := bearer(owner.Token)
	const email = "dev@example.com"

	if r, _ := k.c.SendSubAccountVerifyCodeWithResponse(ctx, api.SendSubAccountVerifyCodeJSONRequestBody{Email: email}, tok); r.StatusCode() != 200 {
		t.Fatalf("send code: %d %s", r.StatusCode(), r.Body)
	}
	m := k.sink.Last(t, email, 0)
	code := codeInMail.FindStringSubmatch(m.Body)[1]
	if r, _ := k.c.SendSubAccountVerifyCodeWithResponse(ctx, api.SendSubAccountVerifyCodeJSONRequestBody{Email: email}, tok); r.StatusCode() != 429 {
		t.Errorf("a second code within a minute: %d", r.StatusCode())
	}
	// A taken address answers as a free one; its owner gets a notice and no code.
	if r, _ := k.c.SendSubAccountVerifyCodeWithResponse(ctx, api.SendSubAccountVerifyCodeJSONRequestBody{Email: "owner@example.com"}, tok); r.StatusCode() != 200 {
		t.Errorf("a code to a taken address: %d", r.StatusCode())
	}
	if m := k.sink.Last(t, "owner@example.com", 1); codeInMail.MatchString(m.Body) || !strings.Contains(m.Body, "already belongs") {
		t.Errorf("the mail to a taken address:\n%s", m.Body)
	}

	verify := func(code string) *api.VerifySubAccountEmailResponse {
		r, err := k.c.VerifySubAccountEmailWithResponse(ctx, api.VerifySubAccountEmailJSONRequestBody{Email: email, Code: code}, tok)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	if r := verify(wrong); r.StatusCode() != 400 || fieldOf(r.JSON400) != "code" {
		t.Errorf("wrong code: %d %s", r.StatusCode(), r.Body)
	}
	// Checking does not use the code up.
	for range 2 {
		if r := verify(code); r.JSON200 == nil || !r.JSON200.Data.Verified || r.JSON200.Data.Email != email {
			t.Fatalf("verify: %d %s", r.StatusCode(), r.Body)
		}
	}
	create := func(body api.CreateSubAccountJSONRequestBody) *api.CreateSubAccountResponse {
		r, err := k.c.CreateSubAccountWithResponse(ctx, body, tok)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	body := api.CreateSubAccountJSONRequestBody{Email: email, Password: "devPass2026", Name: "Li Lei", Role: "DEVELOPER", Code: code}
	weak := body
	weak.Password = "devpassword"
	if r := create(weak); r.StatusCode() != 400 || fieldOf(r.JSON400) != "password" {
		t.Errorf("weak password: %d %s", r.StatusCode(), r.Body)
	}
	cr := create(body)
	if cr.JSON200 == nil {
		t.Fatalf("create: %d %s", cr.StatusCode(), cr.Body)
	}
	sub := cr.JSON200.Data
	if sub.Role != "DEVELOPER" || sub.Status != "ENABLED" || sub.Email != email || sub.Name != "Li Lei" {
		t.Errorf("sub-account %+v", sub)
	}
	if r := verify(code); r.StatusCode() != 400 {
		t.Errorf("the code after create: %d", r.StatusCode())
	}
	if r := create(body); r.StatusCode() != 400 && r.StatusCode() != 409 {
		t.Errorf("create again: %d %s", r.StatusCode(), r.Body)
	}

	// The sub-account signs in through /api/auth/login.
	dev := k.login(t, email, "devPass2026")
	if dev.Role != "DEVELOPER" || dev.TenantId != owner.TenantId || dev.TenantName != "Owner" {
		t.Errorf("sub-account session %+v", dev)
	}
	lr, _ := k.c.ListSubAccountsWithResponse(ctx, &api.ListSubAccountsParams{}, tok)
	if lr.JSON200 == nil || lr.JSON200.Data.TotalElements != 1 || lr.JSON200.Data.Content[0].Id != sub.Id {
		t.Fatalf("list: %s", lr.Body)
	}

	// Disabled: its token stops on the next request, its sign-in is refused.
	if me, _ := k.c.GetCurrentAccountWithResponse(ctx, bearer(dev.Token)); me.StatusCode() != 200 {
		t.Fatalf("me: %d", me.StatusCode())
	}
	if r, _ := k.c.DisableSubAccountWithResponse(ctx, sub.Id, tok); r.StatusCode() != 200 {
		t.Fatalf("disable: %d %s", r.StatusCode(), r.Body)
	}
	if me, _ := k.c.GetCurrentAccountWithResponse(ctx, bearer(dev.Token)); me.StatusCode() != 403 {
		t.Errorf("a disabled sub-account's token: %d", me.StatusCode())
	}
	if r := k.tryLogin(t, email, "devPass2026"); r.StatusCode() != 403 {
		t.Errorf("a disabled sub-account's sign-in: %d", r.StatusCode())
	}
	if r, _ := k.c.DisableSubAccountWithResponse(ctx, sub.Id, tok); r.StatusCode() != 200 {
		t.Errorf("disabling again: %d", r.StatusCode())
	}
	if r, _ := k.c.DisableSubAccountWithResponse(ctx, owner.AccountId, tok); r.StatusCode() != 404 {
		t.Errorf("disabling the main account: %d", r.StatusCode())
	}
	lr, _ = k.c.ListSubAccountsWithResponse(ctx, &api.ListSubAccountsParams{}, tok)
	if lr.JSON200.Data.Content[0].Status != "DISABLED" {
		t.Errorf("listed status %s", lr.JSON200.Data.Content[0].Status)
	}
	// The address stays taken.
	k.exec(t, `DELETE FROM rate_events`)
	before := len(k.sink.To(email))
	if r, _ := k.c.SendSubAccountVerifyCodeWithResponse(ctx, api.SendSubAccountVerifyCodeJSONRequestBody{Email: types.Email(email)}, tok); r.StatusCode() != 200 {
		t.Errorf("a code to a disabled sub-account's address: %d", r.StatusCode())
	}
	if m := k.sink.Last(t, email, before); codeInMail.MatchString(m.Body) {
		t.Errorf("a code was mailed to a taken address:\n%s", m.Body)
	}
}

// Another tenant's caller gets 403 (apps) or 404 (sub-accounts); DEVELOPER and VIEWER
// sub-accounts read apps and services and change nothing.
func TestIsolationAndRoles(t *testing.T) {
	k := newConsole(t, nil)
	ctx := context.Background()
	owner := k.register(t, "owner@example.com", "Owner")
	stranger := k.register(t, "stranger@example.com", "Stranger")
	app := k.createApp(t, owner.Token, "Chat")
	admin := k.subAccount(t, owner.Token, "admin@example.com", "ADMIN")
	dev := k.subAccount(t, owner.Token, "dev@example.com", "DEVELOPER")
	viewer := k.subAccount(t, owner.Token, "viewer@example.com", "VIEWER")
	lr, _ := k.c.ListSubAccountsWithResponse(ctx, &api.ListSubAccountsParams{}, bearer(owner.Token))
	devID := lr.JSON200.Data.Content[1].Id // newest first: viewer, dev, admin

	svc := app.Services[0].Id
	name := api.UpdateAppJSONRequestBody{Name: "Renamed"}
	toggle := api.ToggleAppServiceJSONRequestBody{ServiceType: "PUSH", Enabled: false}
	changes := map[string]func(tok string) int{
		"update app":    func(tok string) int { return mustStatus(k.c.UpdateAppWithResponse(ctx, app.Id, name, bearer(tok))) },
		"rotate secret": func(tok string) int { return mustStatus(k.c.RegenerateAppSecretWithResponse(ctx, app.Id, bearer(tok))) },
		"toggle service": func(tok string) int {
			return mustStatus(k.c.ToggleAppServiceWithResponse(ctx, app.Id, toggle, bearer(tok)))
		},
		"rotate key": func(tok string) int {
			return mustStatus(k.c.RegenerateServiceKeyWithResponse(ctx, app.Id, svc, bearer(tok)))
		},
		"delete app": func(tok string) int { return mustStatus(k.c.DeleteAppWithResponse(ctx, app.Id, bearer(tok))) },
	}
	reads := map[string]func(tok string) int{
		"get app":       func(tok string) int { return mustStatus(k.c.GetAppWithResponse(ctx, app.Id, bearer(tok))) },
		"list services": func(tok string) int { return mustStatus(k.c.ListAppServicesWithResponse(ctx, app.Id, bearer(tok))) },
	}
	for what, do := range reads {
		if c := do(stranger.Token); c != 403 {
			t.Errorf("another tenant: %s: %d, want 403", what, c)
		}
		for _, who := range []api.LoginResult{dev, viewer, admin} {
			if c := do(who.Token); c != 200 {
				t.Errorf("%s: %s: %d, want 200", who.Role, what, c)
			}
		}
	}
	for what, do := range changes {
		if c := do(stranger.Token); c != 403 {
			t.Errorf("another tenant: %s: %d, want 403", what, c)
		}
		for _, who := range []api.LoginResult{dev, viewer} {
			if c := do(who.Token); c != 403 {
				t.Errorf("%s: %s: %d, want 403", who.Role, what, c)
			}
		}
	}
	// Nothing changed.
	gr, _ := k.c.GetAppWithResponse(ctx, app.Id, bearer(viewer.Token))
	if d := gr.JSON200.Data; d.Name != "Chat" || d.AppSecret != masked(app.AppSecret) || !d.Services[1].Enabled || d.Services[0].SecretKey != masked(app.Services[0].SecretKey) {
		t.Errorf("the app changed: %+v", d)
	}
	// The stranger's own list does not show the app; another tenant's sub-account is not found.
	if lr, _ := k.c.ListAppsWithResponse(ctx, &api.ListAppsParams{}, bearer(stranger.Token)); lr.JSON200.Data.TotalElements != 0 {
		t.Errorf("the stranger lists %d apps", lr.JSON200.Data.TotalElements)
	}
	if c := mustStatus(k.c.DisableSubAccountWithResponse(ctx, devID, bearer(stranger.Token))); c != 404 {
		t.Errorf("disabling another tenant's sub-account: %d", c)
	}
	// Sub-accounts are managed by MAIN and ADMIN only.
	for _, who := range []api.LoginResult{dev, viewer} {
		if c := mustStatus(k.c.ListSubAccountsWithResponse(ctx, &api.ListSubAccountsParams{}, bearer(who.Token))); c != 403 {
			t.Errorf("%s lists sub-accounts: %d", who.Role, c)
		}
		if c := mustStatus(k.c.DisableSubAccountWithResponse(ctx, devID, bearer(who.Token))); c != 403 {
			t.Errorf("%s disables a sub-account: %d", who.Role, c)
		}
		if c := mustStatus(k.c.CreateAppWithResponse(ctx, api.CreateAppJSONRequestBody{Name: "X"}, bearer(who.Token))); c != 403 {
			t.Errorf("%s creates an app: %d", who.Role, c)
		}
		if c := mustStatus(k.c.SendSubAccountVerifyCodeWithResponse(ctx, api.SendSubAccountVerifyCodeJSONRequestBody{Email: "x@example.com"}, bearer(who.Token))); c != 403 {
			t.Errorf("%s sends a sub-account code: %d", who.Role, c)
		}
	}
	// An ADMIN does what the main account does.
	for what, do := range changes {
		if what == "delete app" {
			continue
		}
		if c := do(admin.Token); c != 200 {
			t.Errorf("ADMIN: %s: %d", what, c)
		}
	}
	if c := mustStatus(k.c.DisableSubAccountWithResponse(ctx, devID, bearer(admin.Token))); c != 200 {
		t.Errorf("ADMIN disables a sub-account: %d", c)
	}
	if c := changes["delete app"](admin.Token); c != 200 {
		t.Errorf("ADMIN deletes the app: %d", c)
	}
	// Any role reads its own account.
	me, _ := k.c.GetCurrentAccountWithResponse(ctx, bearer(viewer.Token))
	if me.JSON200 == nil || me.JSON200.Data.Role != "VIEWER" || me.JSON200.Data.TenantId != owner.TenantId {
		t.Errorf("viewer me: %s", me.Body)
	}
}
