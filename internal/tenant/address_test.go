package tenant_test

import (
	"context"
	"testing"

	"github.com/oapi-codegen/runtime/types"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/testserver"
)

// The caller's address reaches the services through the request context: each audit entry
// and each per-address mail limit names the address the request came from.
func TestAuditAndLimitsSeeTheCallersAddress(t *testing.T) {
	k := newConsole(t, nil)
	ctx := context.Background()
	k.register(t, "owner@example.com", "Owner") // from the default client, 127.0.0.1

	r, err := k.s.ClientFrom("127.0.0.5").LoginWithResponse(ctx, api.LoginJSONRequestBody{Email: types.Email("owner@example.com"), Password: "passw0rdOwner"})
	if err != nil || r.JSON200 == nil {
		t.Fatalf("login from 127.0.0.5: %v %s", err, r.Body)
	}
	app, err := k.s.ClientFrom("127.0.0.6").CreateAppWithResponse(ctx, api.CreateAppJSONRequestBody{Name: "Addressed"}, testserver.Bearer(r.JSON200.Data.Token))
	if err != nil || app.JSON200 == nil {
		t.Fatalf("create app from 127.0.0.6: %v %s", err, app.Body)
	}
	if r, err := k.s.ClientFrom("127.0.0.7").ForgotPasswordWithResponse(ctx, api.ForgotPasswordJSONRequestBody{Email: "owner@example.com"}); err != nil || r.StatusCode() != 200 {
		t.Fatalf("forgot password from 127.0.0.7: %v %s", err, r.Body)
	}

	for action, want := range map[string]string{
		"tenant.register": "127.0.0.1", "account.login": "127.0.0.5", "app.create": "127.0.0.6", "account.forgot-password": "127.0.0.7",
	} {
		if got := k.queryString(t, `SELECT client_ip FROM audit_log WHERE action = $1`, action); got != want {
			t.Errorf("%s recorded from %q, want %q", action, got, want)
		}
	}
	for _, bucket := range []string{"mail-ip:127.0.0.1", "mail-ip:127.0.0.7"} {
		if n := k.queryString(t, `SELECT count(*)::text FROM rate_events WHERE bucket = $1`, bucket); n != "1" {
			t.Errorf("%s counted %s mails, want 1", bucket, n)
		}
	}
}
