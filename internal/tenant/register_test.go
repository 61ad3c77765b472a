package tenant_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/oapi-codegen/runtime/types"

	"github.com/xuqmgroup/xuqm/gen/api"
)

func strp(s string) *string { return &s }

// The whole sign-up of a tenant with the captcha on: captcha, mailed code read from the SMTP
// server, registration, and the session it opens.
func TestRegistrationFlow(t *testing.T) {
	k := newConsole(t, map[string]string{"XUQM_CAPTCHA": "on"})
	ctx := context.Background()
	const email = "Owner@Example.com"

	cr, err := k.c.GetCaptchaWithResponse(ctx)
	if err != nil || cr.JSON200 == nil {
		t.Fatalf("captcha: %v %s", err, cr.Body)
	}
	cap := cr.JSON200.Data
	png, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(cap.Image, "data:image/png;base64,"))
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("the captcha image is not a PNG data URL: %.60s", cap.Image)
	}
	answer := k.queryString(t, `SELECT answer FROM captchas WHERE id = $1`, cap.CaptchaId)

	send := func(id, code string) *api.SendEmailCodeResponse {
		r, err := k.c.SendEmailCodeWithResponse(ctx, api.SendEmailCodeJSONRequestBody{Email: types.Email(email), Purpose: "REGISTER", CaptchaId: strp(id), CaptchaCode: strp(code)})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	// Without a captcha: 400 naming captchaCode.
	if r := k.sendCode(t, email, "REGISTER"); r.StatusCode() != 400 || fieldOf(r.JSON400) != "captchaCode" {
		t.Fatalf("no captcha: %d %s", r.StatusCode(), r.Body)
	}
	// A wrong answer uses the captcha up: the right one afterwards is refused too.
	if r := send(cap.CaptchaId, "x"+answer); r.StatusCode() != 400 || fieldOf(r.JSON400) != "captchaCode" {
		t.Fatalf("wrong captcha: %d %s", r.StatusCode(), r.Body)
	}
	if r := send(cap.CaptchaId, answer); r.StatusCode() != 400 {
		t.Fatalf("a used captcha was accepted: %d %s", r.StatusCode(), r.Body)
	}
	if n := len(k.sink.Messages()); n != 0 {
		t.Fatalf("%d mails sent without a right captcha", n)
	}

	cap = k.newCaptcha(t)
	if r := send(cap.CaptchaId, " "+k.queryString(t, `SELECT answer FROM captchas WHERE id = $1`, cap.CaptchaId)+" "); r.StatusCode() != 200 {
		t.Fatalf("right captcha: %d %s", r.StatusCode(), r.Body)
	}
	m := k.sink.Last(t, "owner@example.com", 0)
	if !strings.Contains(m.Subject, "注册验证码") || !strings.Contains(m.Subject, "sign-up code") {
		t.Errorf("subject %q is not in Chinese and English", m.Subject)
	}
	if !strings.Contains(m.Body, "您的验证码是") || m.From != "noreply@xuqm.test" {
		t.Errorf("mail from %s lacks the Chinese text:\n%s", m.From, m.Body)
	}
	code := codeInMail.FindStringSubmatch(m.Body)[1]

	// One mail per address a minute.
	cap = k.newCaptcha(t)
	r := send(cap.CaptchaId, k.queryString(t, `SELECT answer FROM captchas WHERE id = $1`, cap.CaptchaId))
	if r.StatusCode() != 429 || r.HTTPResponse.Header.Get("Retry-After") == "" {
		t.Fatalf("second mail within a minute: %d %s (Retry-After %q)", r.StatusCode(), r.Body, r.HTTPResponse.Header.Get("Retry-After"))
	}

	reg := func(pw, code string) *api.RegisterResponse {
		r, err := k.c.RegisterWithResponse(ctx, api.RegisterJSONRequestBody{Email: email, Password: pw, Code: code, Name: "Example Studio"})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	for _, c := range []struct{ pw, code, field string }{
		{"short1", code, "password"},
		{"lettersonly", code, "password"},
		{"1234567890", code, "password"},
		{"passw0rd1", wrong, "code"},
	} {
		if r := reg(c.pw, c.code); r.StatusCode() != 400 || fieldOf(r.JSON400) != c.field {
			t.Errorf("register(%q, %q): %d %s, want 400 on %s", c.pw, c.code, r.StatusCode(), r.Body, c.field)
		}
	}
	ok := reg("passw0rd1", code)
	if ok.JSON200 == nil {
		t.Fatalf("register: %d %s", ok.StatusCode(), ok.Body)
	}
	ses := ok.JSON200.Data
	if ses.Role != "MAIN" || ses.Email != "owner@example.com" || ses.TenantName != "Example Studio" || ses.Token == "" || ses.ExpiresAt.IsZero() {
		t.Errorf("session %+v", ses)
	}
	// The code is used up; the address is taken.
	if r := reg("passw0rd1", code); r.StatusCode() != 400 || fieldOf(r.JSON400) != "code" {
		t.Errorf("reused code: %d %s", r.StatusCode(), r.Body)
	}
	me, err := k.c.GetCurrentAccountWithResponse(ctx, bearer(ses.Token))
	if err != nil || me.JSON200 == nil || me.JSON200.Data.AccountId != ses.AccountId || me.JSON200.Data.Role != "MAIN" {
		t.Fatalf("me: %v %s", err, me.Body)
	}
	// Signing in again with the address in any case.
	if got := k.login(t, "OWNER@example.com", "passw0rd1"); got.TenantId != ses.TenantId {
		t.Errorf("login: tenant %d, want %d", got.TenantId, ses.TenantId)
	}
}

func (k *console) newCaptcha(t *testing.T) api.Captcha {
	t.Helper()
	cr, err := k.c.GetCaptchaWithResponse(context.Background())
	if err != nil || cr.JSON200 == nil {
		t.Fatalf("captcha: %v %s", err, cr.Body)
	}
	return cr.JSON200.Data
}

// Codes are kept apart by purpose and address, expire, and die after five wrong answers.
func TestEmailCodeRules(t *testing.T) {
	k := newConsole(t, nil)
	ctx := context.Background()
	reg := func(email, code string) *api.RegisterResponse {
		r, err := k.c.RegisterWithResponse(ctx, api.RegisterJSONRequestBody{Email: types.Email(email), Password: "passw0rd1", Code: code, Name: "N"})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}

	// A RESET_PASSWORD code does not register.
	if r := k.sendCode(t, "a@example.com", "RESET_PASSWORD"); r.StatusCode() != 200 {
		t.Fatalf("reset code to an unknown address: %d", r.StatusCode())
	}
	if n := len(k.sink.To("a@example.com")); n != 0 {
		t.Fatalf("a RESET_PASSWORD code was mailed to an address without an account")
	}
	k.register(t, "b@example.com", "B")
	k.exec(t, `DELETE FROM rate_events`) // as if a minute had passed
	// A taken address answers as a free one; only the mail tells its owner.
	unknown := k.sendCode(t, "e@example.com", "REGISTER")
	for _, purpose := range []string{"REGISTER", "SUB_ACCOUNT"} {
		before := len(k.sink.To("b@example.com"))
		r := k.sendCode(t, "b@example.com", purpose)
		if r.StatusCode() != unknown.StatusCode() || string(r.Body) != string(unknown.Body) {
			t.Errorf("%s to a taken address: %d %s; to a free one: %d %s", purpose, r.StatusCode(), r.Body, unknown.StatusCode(), unknown.Body)
		}
		m := k.sink.Last(t, "b@example.com", before)
		if codeInMail.MatchString(m.Body) || !strings.Contains(m.Body, "already belongs to a XuqmGroup account") {
			t.Errorf("the mail of %s to a taken address:\n%s", purpose, m.Body)
		}
	}
	// Cooldowns count per address and purpose: the REGISTER mail just sent does not hold back a
	// password reset, but a second reset within the minute waits.
	if r := k.sendCode(t, "b@example.com", "RESET_PASSWORD"); r.StatusCode() != 200 {
		t.Errorf("RESET_PASSWORD to an account right after a REGISTER mail: %d %s", r.StatusCode(), r.Body)
	}
	resetCode := k.mailedCode(t, "b@example.com", 3)
	if r := k.sendCode(t, "b@example.com", "RESET_PASSWORD"); r.StatusCode() != 429 || r.HTTPResponse.Header.Get("Retry-After") == "" {
		t.Errorf("a second reset mail to b within a minute: %d %s", r.StatusCode(), r.Body)
	}

	k.sendCode(t, "c@example.com", "SUB_ACCOUNT")
	subCode := k.mailedCode(t, "c@example.com", 0)
	if r := reg("c@example.com", subCode); r.StatusCode() != 400 {
		t.Errorf("a SUB_ACCOUNT code registered: %d", r.StatusCode())
	}
	if r := reg("c@example.com", resetCode); r.StatusCode() != 400 {
		t.Errorf("another address's code registered: %d", r.StatusCode())
	}

	// Expired.
	k.sendCode(t, "d@example.com", "REGISTER")
	code := k.mailedCode(t, "d@example.com", 0)
	k.exec(t, `UPDATE email_codes SET expires_at = now() - interval '1 second' WHERE email = 'd@example.com'`)
	if r := reg("d@example.com", code); r.StatusCode() != 400 || fieldOf(r.JSON400) != "code" {
		t.Errorf("expired code: %d %s", r.StatusCode(), r.Body)
	}

	// Five wrong answers kill the code.
	k.sendCode(t, "e@example.com", "REGISTER")
	code = k.mailedCode(t, "e@example.com", 0)
	wrong := "999999"
	if code == wrong {
		wrong = "888888"
	}
	for range 5 {
		if r := reg("e@example.com", wrong); r.StatusCode() != 400 {
			t.Fatalf("wrong code: %d", r.StatusCode())
		}
	}
	if r := reg("e@example.com", code); r.StatusCode() != 400 {
		t.Errorf("the right code after 5 wrong ones: %d %s", r.StatusCode(), r.Body)
	}
	// A new code replaces the dead one.
	k.exec(t, `DELETE FROM rate_events`)
	k.sendCode(t, "e@example.com", "REGISTER")
	if r := reg("e@example.com", k.mailedCode(t, "e@example.com", 1)); r.StatusCode() != 200 {
		t.Errorf("a new code: %d %s", r.StatusCode(), r.Body)
	}

	// Bad input is a 400 naming the field, never a 500.
	code2, env, _ := k.call(t, "POST", "/api/auth/send-email-code", "", `{"email":"not-an-address","purpose":"REGISTER"}`)
	// The generated decoder refuses the address before the handler: the field is in the message.
	if code2 != 400 || !strings.Contains(env.Message, "email") {
		t.Errorf("bad address: %d %s %s", code2, env.Data, env.Message)
	}
	code2, env, _ = k.call(t, "POST", "/api/auth/send-email-code", "", `{"email":"f@example.com","purpose":"LOGIN"}`)
	if code2 != 400 || !strings.Contains(string(env.Data), "purpose") {
		t.Errorf("bad purpose: %d %s", code2, env.Data)
	}
}

// Twenty mails an hour from one client address.
func TestMailLimitPerClientAddress(t *testing.T) {
	k := newConsole(t, nil)
	for i := range 20 {
		if r := k.sendCode(t, path("user%d@example.com", i), "REGISTER"); r.StatusCode() != 200 {
			t.Fatalf("mail %d: %d %s", i, r.StatusCode(), r.Body)
		}
	}
	r := k.sendCode(t, "user20@example.com", "REGISTER")
	if r.StatusCode() != 429 || r.Headers429 == nil || r.HTTPResponse.Header.Get("Retry-After") == "" {
		t.Fatalf("21st mail in an hour: %d %s", r.StatusCode(), r.Body)
	}
	fr, err := k.c.ForgotPasswordWithResponse(context.Background(), api.ForgotPasswordJSONRequestBody{Email: "user21@example.com"})
	if err != nil || fr.StatusCode() != 429 {
		t.Errorf("forgot-password past the limit: %v %d", err, fr.StatusCode())
	}
}
