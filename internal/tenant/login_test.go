package tenant_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/oapi-codegen/runtime/types"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/password"
	"github.com/xuqmgroup/xuqm/internal/testserver"
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

// Sign-in attempts are taken before they are judged: of 30 concurrent wrong passwords for one
// account from one address, at most the limit get a password check (401, counted in the
// password package); the rest get 429 with Retry-After.
func TestConcurrentWrongPasswordsAreBounded(t *testing.T) {
	k := newConsole(t, nil)
	k.register(t, "owner@example.com", "Owner")
	before := password.Derivations()
	var wg sync.WaitGroup
	var judged, limited atomic.Int64
	for i := range 30 {
		wg.Go(func() {
			r, err := k.c.LoginWithResponse(context.Background(), api.LoginJSONRequestBody{Email: "owner@example.com", Password: "wrong" + strconv.Itoa(i)})
			switch {
			case err != nil:
				t.Error(err)
			case r.StatusCode() == 401:
				judged.Add(1)
			case r.StatusCode() == 429 && r.HTTPResponse.Header.Get("Retry-After") != "":
				limited.Add(1)
			default:
				t.Errorf("a wrong password: %d %s", r.StatusCode(), r.Body)
			}
		})
	}
	wg.Wait()
	if n := judged.Load(); n > 10 || n+limited.Load() != 30 {
		t.Errorf("%d of 30 concurrent wrong passwords judged, %d limited; want at most 10 judged", n, limited.Load())
	}
	if n := password.Derivations() - before; n > 10 {
		t.Errorf("%d password checks ran for 30 attempts; want at most 10", n)
	}
}

// The limits are shared by instances: 30 concurrent wrong passwords spread over two servers on
// one database still get at most the limit of password checks.
func TestSignInLimitsAreSharedByInstances(t *testing.T) {
	k := newConsole(t, nil)
	k.register(t, "owner@example.com", "Owner")
	second := testserver.Start(t, map[string]string{"DATABASE_URL": k.s.DatabaseURL})
	clients := []*api.ClientWithResponses{k.c, second.Client}
	var wg sync.WaitGroup
	var judged atomic.Int64
	for i := range 30 {
		wg.Go(func() {
			r, err := clients[i%2].LoginWithResponse(context.Background(), api.LoginJSONRequestBody{Email: "owner@example.com", Password: "wrong" + strconv.Itoa(i)})
			switch {
			case err != nil:
				t.Error(err)
			case r.StatusCode() == 401:
				judged.Add(1)
			case r.StatusCode() != 429:
				t.Errorf("a wrong password: %d %s", r.StatusCode(), r.Body)
			}
		})
	}
	wg.Wait()
	if n := judged.Load(); n > 10 {
		t.Errorf("%d of 30 wrong passwords over two instances judged; want at most 10", n)
	}
}

// Guessing from one address cannot lock the owner out: after the guesser is shut, the right
// password from an address that has not been failing signs in.
func TestNoLockoutOfOthers(t *testing.T) {
	k := newConsole(t, nil)
	k.register(t, "owner@example.com", "Owner")
	k.exec(t, `DELETE FROM rate_events`)
	attacker := k.s.ClientFrom("127.0.0.7")
	limited := 0
	for i := range 15 {
		r, err := attacker.LoginWithResponse(context.Background(), api.LoginJSONRequestBody{Email: "owner@example.com", Password: "wrong" + strconv.Itoa(i)})
		if err != nil {
			t.Fatal(err)
		}
		if r.StatusCode() == 429 {
			limited++
			if s, _ := strconv.Atoi(r.HTTPResponse.Header.Get("Retry-After")); s < 1 || s > 900 {
				t.Errorf("Retry-After %q, want 1..900 seconds", r.HTTPResponse.Header.Get("Retry-After"))
			}
		}
	}
	if limited == 0 {
		t.Fatal("15 quick guesses from one address were never limited")
	}
	r, err := attacker.LoginWithResponse(context.Background(), api.LoginJSONRequestBody{Email: "owner@example.com", Password: "passw0rdOwner"})
	if err != nil || r.StatusCode() != 429 {
		t.Errorf("the guessing address, even with the right password: %d %v", r.StatusCode(), err)
	}
	owner := k.s.ClientFrom("127.0.0.8")
	if r, err := owner.LoginWithResponse(context.Background(), api.LoginJSONRequestBody{Email: "owner@example.com", Password: "passw0rdOwner"}); err != nil || r.StatusCode() != 200 {
		t.Fatalf("the right password from a fresh address after the guessing: %d %v", r.StatusCode(), err)
	}

	// 30 attempts from one address, spread over accounts, close it for every account.
	for i := range 30 {
		if r := k.tryLogin(t, path("nobody%d@example.com", i), "wrong"); r.StatusCode() != 401 {
			t.Fatalf("failure %d: %d", i, r.StatusCode())
		}
	}
	if r := k.tryLogin(t, "owner@example.com", "passw0rdOwner"); r.StatusCode() != 429 {
		t.Errorf("after 30 failures from the address: %d", r.StatusCode())
	}
	k.exec(t, `UPDATE rate_events SET at = at - interval '15 minutes'`)
	k.login(t, "owner@example.com", "passw0rdOwner")
}

// Bogus resets cost a look-up, never a password hash: 40 of them at once beside a real login
// run exactly the login's one Argon2 check.
func TestBogusResetsDoNotHash(t *testing.T) {
	k := newConsole(t, nil)
	k.register(t, "owner@example.com", "Owner")
	k.exec(t, `DELETE FROM rate_events`)
	before := password.Derivations()
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			token := strings.Repeat(strconv.Itoa(i%10), 64)
			r, err := k.c.ResetPasswordWithResponse(context.Background(), api.ResetPasswordJSONRequestBody{Token: &token, Password: "newPassw0rd"})
			if err != nil || (r.StatusCode() != 400 && r.StatusCode() != 429) {
				t.Errorf("a bogus reset: %d %v", r.StatusCode(), err)
			}
		})
	}
	wg.Go(func() { k.login(t, "owner@example.com", "passw0rdOwner") })
	wg.Wait()
	if n := password.Derivations() - before; n != 1 {
		t.Errorf("%d Argon2 derivations for 40 bogus resets and one login; want 1 (the login's)", n)
	}
	// Guessing tokens is bounded per address.
	token := strings.Repeat("f", 64)
	r, err := k.c.ResetPasswordWithResponse(context.Background(), api.ResetPasswordJSONRequestBody{Token: &token, Password: "newPassw0rd"})
	if err != nil || r.StatusCode() != 429 || r.HTTPResponse.Header.Get("Retry-After") == "" {
		t.Errorf("the 41st reset from one address: %d %v", r.StatusCode(), err)
	}
}
