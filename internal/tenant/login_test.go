package tenant_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/oapi-codegen/runtime/types"

	"github.com/xuqmgroup/xuqm/gen/api"
)

func (k *console) tryLogin(t *testing.T, email, password string) *api.LoginResponse {
	t.Helper()
	r, err := k.c.LoginWithResponse(context.Background(), api.LoginJSONRequestBody{Email: types.Email(email), Password: password})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Forgot and reset password: a mailed single-use token that expires, and a reset that ends the
// sessions issued before it.
func TestPasswordReset(t *testing.T) {
	k := newConsole(t, nil)
	ctx := context.Background()
	ses := k.register(t, "owner@example.com", "Owner")
	k.exec(t, `DELETE FROM rate_events`)

	forgot := func(email string) int {
		r, err := k.c.ForgotPasswordWithResponse(ctx, api.ForgotPasswordJSONRequestBody{Email: types.Email(email)})
		if err != nil {
			t.Fatal(err)
		}
		return r.StatusCode()
	}
	reset := func(token, pw string) *api.ResetPasswordResponse {
		r, err := k.c.ResetPasswordWithResponse(ctx, api.ResetPasswordJSONRequestBody{Token: &token, Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if c := forgot("nobody@example.com"); c != 200 {
		t.Errorf("forgot-password of an unknown address: %d", c)
	}
	if n := len(k.sink.To("nobody@example.com")); n != 0 {
		t.Errorf("%d mails to an address without an account", n)
	}
	if c := forgot("owner@example.com"); c != 200 {
		t.Fatalf("forgot-password: %d", c)
	}
	m := k.sink.Last(t, "owner@example.com", 1)
	token := tokenInMail.FindStringSubmatch(m.Body)
	if token == nil {
		t.Fatalf("no reset token in:\n%s", m.Body)
	}

	if r := reset(token[1][:40]+"0000000000000000000000000", "newPassw0rd"); r.StatusCode() != 400 || fieldOf(r.JSON400) != "token" {
		t.Errorf("unknown token: %d %s", r.StatusCode(), r.Body)
	}
	if r := reset(token[1], "weakpassword"); r.StatusCode() != 400 || fieldOf(r.JSON400) != "password" {
		t.Errorf("weak password: %d %s", r.StatusCode(), r.Body)
	}
	if r := reset(token[1], "newPassw0rd"); r.StatusCode() != 200 {
		t.Fatalf("reset: %d %s", r.StatusCode(), r.Body)
	}
	if r := reset(token[1], "otherPassw0rd"); r.StatusCode() != 400 {
		t.Errorf("a used token: %d %s", r.StatusCode(), r.Body)
	}
	// The session from before the reset has ended; the old password no longer signs in.
	if me, _ := k.c.GetCurrentAccountWithResponse(ctx, bearer(ses.Token)); me.StatusCode() != 401 {
		t.Errorf("a token from before the reset: %d", me.StatusCode())
	}
	if r := k.tryLogin(t, "owner@example.com", "passw0rdOwner"); r.StatusCode() != 401 {
		t.Errorf("the old password: %d", r.StatusCode())
	}
	fresh := k.login(t, "owner@example.com", "newPassw0rd")
	if me, _ := k.c.GetCurrentAccountWithResponse(ctx, bearer(fresh.Token)); me.StatusCode() != 200 {
		t.Errorf("a token from after the reset: %d", me.StatusCode())
	}

	// An expired token; and asking again replaces the previous token.
	k.exec(t, `DELETE FROM rate_events`)
	forgot("owner@example.com")
	first := tokenInMail.FindStringSubmatch(k.sink.Last(t, "owner@example.com", 2).Body)[1]
	k.exec(t, `DELETE FROM rate_events`)
	forgot("owner@example.com")
	second := tokenInMail.FindStringSubmatch(k.sink.Last(t, "owner@example.com", 3).Body)[1]
	if r := reset(first, "thirdPassw0rd"); r.StatusCode() != 400 {
		t.Errorf("a replaced token: %d", r.StatusCode())
	}
	k.exec(t, `UPDATE password_resets SET expires_at = now() - interval '1 second'`)
	if r := reset(second, "thirdPassw0rd"); r.StatusCode() != 400 {
		t.Errorf("an expired token: %d", r.StatusCode())
	}
}

// A RESET_PASSWORD code resets the password too, once.
func TestPasswordResetWithCode(t *testing.T) {
	k := newConsole(t, nil)
	ctx := context.Background()
	ses := k.register(t, "owner@example.com", "Owner")
	k.exec(t, `DELETE FROM rate_events`)
	reset := func(body api.ResetPasswordJSONRequestBody) *api.ResetPasswordResponse {
		r, err := k.c.ResetPasswordWithResponse(ctx, body)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	email := types.Email("owner@example.com")
	if r := k.sendCode(t, string(email), "RESET_PASSWORD"); r.StatusCode() != 200 {
		t.Fatalf("send: %d %s", r.StatusCode(), r.Body)
	}
	code := k.mailedCode(t, string(email), 1)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	if r := reset(api.ResetPasswordJSONRequestBody{Password: "newPassw0rd"}); r.StatusCode() != 400 || fieldOf(r.JSON400) != "token" {
		t.Errorf("neither token nor code: %d %s", r.StatusCode(), r.Body)
	}
	if r := reset(api.ResetPasswordJSONRequestBody{Email: &email, Code: &wrong, Password: "newPassw0rd"}); r.StatusCode() != 400 || fieldOf(r.JSON400) != "code" {
		t.Errorf("wrong code: %d %s", r.StatusCode(), r.Body)
	}
	// A REGISTER code of the address is not a RESET_PASSWORD code.
	other := types.Email("other@example.com")
	if r := reset(api.ResetPasswordJSONRequestBody{Email: &other, Code: &code, Password: "newPassw0rd"}); r.StatusCode() != 400 {
		t.Errorf("the code for another address: %d", r.StatusCode())
	}
	if r := reset(api.ResetPasswordJSONRequestBody{Email: &email, Code: &code, Password: "newPassw0rd"}); r.StatusCode() != 200 {
		t.Fatalf("reset with the code: %d %s", r.StatusCode(), r.Body)
	}
	if r := reset(api.ResetPasswordJSONRequestBody{Email: &email, Code: &code, Password: "thirdPassw0rd"}); r.StatusCode() != 400 {
		t.Errorf("the code twice: %d", r.StatusCode())
	}
	if me, _ := k.c.GetCurrentAccountWithResponse(ctx, bearer(ses.Token)); me.StatusCode() != 401 {
		t.Errorf("a token from before the reset: %d", me.StatusCode())
	}
	k.login(t, string(email), "newPassw0rd")
}

// Failed sign-ins are limited per account (10) and per client address (30) within 15 minutes.
func TestLoginLimits(t *testing.T) {
	k := newConsole(t, nil)
	k.register(t, "owner@example.com", "Owner")
	for i := range 10 {
		if r := k.tryLogin(t, "owner@example.com", "wrong"+strconv.Itoa(i)); r.StatusCode() != 401 {
			t.Fatalf("attempt %d: %d %s", i, r.StatusCode(), r.Body)
		}
	}
	r := k.tryLogin(t, "owner@example.com", "passw0rdOwner")
	if r.StatusCode() != 429 || r.HTTPResponse.Header.Get("Retry-After") == "" {
		t.Fatalf("11th attempt, right password: %d %s", r.StatusCode(), r.Body)
	}
	if s, _ := strconv.Atoi(r.HTTPResponse.Header.Get("Retry-After")); s < 1 || s > 900 {
		t.Errorf("Retry-After %q, want 1..900 seconds", r.HTTPResponse.Header.Get("Retry-After"))
	}
	// The window passes.
	k.exec(t, `UPDATE rate_events SET at = at - interval '15 minutes'`)
	k.login(t, "owner@example.com", "passw0rdOwner")

	// 30 failures from one address, spread over accounts, close it for every account.
	for i := range 30 {
		if r := k.tryLogin(t, path("nobody%d@example.com", i), "wrong"); r.StatusCode() != 401 {
			t.Fatalf("failure %d: %d", i, r.StatusCode())
		}
	}
	if r := k.tryLogin(t, "owner@example.com", "passw0rdOwner"); r.StatusCode() != 429 {
		t.Errorf("after 30 failures from the address: %d", r.StatusCode())
	}
}
