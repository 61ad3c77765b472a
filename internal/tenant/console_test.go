package tenant_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/oapi-codegen/runtime/types"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/mail/mailtest"
	"github.com/xuqmgroup/xuqm/internal/testserver"
)

// console is a server whose mail goes to an SMTP sink on loopback, and what a tenant console
// does with it.
type console struct {
	s    *testserver.Server
	c    *api.ClientWithResponses
	sink *mailtest.Sink
}

func newConsole(t *testing.T, env map[string]string) *console {
	t.Helper()
	sink := mailtest.Start(t)
	e := map[string]string{"XUQM_SMTP_ADDR": sink.Addr(), "XUQM_SMTP_TLS": "none", "XUQM_SMTP_FROM": "noreply@xuqm.test"}
	for k, v := range env {
		e[k] = v
	}
	s := testserver.Start(t, e)
	return &console{s: s, c: s.Client, sink: sink}
}

var (
	codeInMail  = regexp.MustCompile(`Your verification code is: (\d{6})`)
	tokenInMail = regexp.MustCompile(`Reset token: ([0-9a-f]{64})`)
)

// mailedCode waits for a new mail to addr (after `before` earlier ones) and returns its code.
func (k *console) mailedCode(t *testing.T, addr string, before int) string {
	t.Helper()
	m := k.sink.Last(t, addr, before)
	got := codeInMail.FindStringSubmatch(m.Body)
	if got == nil {
		t.Fatalf("no code in the mail to %s:\n%s", addr, m.Body)
	}
	return got[1]
}

func (k *console) sendCode(t *testing.T, email, purpose string) *api.SendEmailCodeResponse {
	t.Helper()
	r, err := k.c.SendEmailCodeWithResponse(context.Background(), api.SendEmailCodeJSONRequestBody{Email: types.Email(email), Purpose: api.EmailCodePurpose(purpose)})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// register signs a new tenant up through the mail flow and returns its main account's session.
func (k *console) register(t *testing.T, email, name string) api.LoginResult {
	t.Helper()
	before := len(k.sink.To(email))
	if r := k.sendCode(t, email, "REGISTER"); r.StatusCode() != 200 {
		t.Fatalf("send code to %s: %d %s", email, r.StatusCode(), r.Body)
	}
	code := k.mailedCode(t, email, before)
	r, err := k.c.RegisterWithResponse(context.Background(), api.RegisterJSONRequestBody{Email: types.Email(email), Password: "passw0rd" + name, Code: code, Name: name})
	if err != nil {
		t.Fatal(err)
	}
	if r.JSON200 == nil {
		t.Fatalf("register %s: %d %s", email, r.StatusCode(), r.Body)
	}
	return r.JSON200.Data
}

// subAccount creates a sub-account of the tenant of token through the mail flow and signs it in.
func (k *console) subAccount(t *testing.T, token, email, role string) api.LoginResult {
	t.Helper()
	ctx := context.Background()
	before := len(k.sink.To(email))
	sr, err := k.c.SendSubAccountVerifyCodeWithResponse(ctx, api.SendSubAccountVerifyCodeJSONRequestBody{Email: types.Email(email)}, testserver.Bearer(token))
	if err != nil || sr.StatusCode() != 200 {
		t.Fatalf("send sub-account code: %v %s", err, sr.Body)
	}
	code := k.mailedCode(t, email, before)
	cr, err := k.c.CreateSubAccountWithResponse(ctx, api.CreateSubAccountJSONRequestBody{Email: types.Email(email), Password: "sub0pass" + role, Name: role + " one", Role: api.SubAccountRole(role), Code: code}, testserver.Bearer(token))
	if err != nil || cr.JSON200 == nil {
		t.Fatalf("create sub-account: %v %s", err, cr.Body)
	}
	return k.login(t, email, "sub0pass"+role)
}

func (k *console) login(t *testing.T, email, password string) api.LoginResult {
	t.Helper()
	r, err := k.c.LoginWithResponse(context.Background(), api.LoginJSONRequestBody{Email: types.Email(email), Password: password})
	if err != nil {
		t.Fatal(err)
	}
	if r.JSON200 == nil {
		t.Fatalf("login %s: %d %s", email, r.StatusCode(), r.Body)
	}
	return r.JSON200.Data
}

// createApp creates an app as token and returns it with its secrets in full.
func (k *console) createApp(t *testing.T, token, name string) api.App {
	t.Helper()
	r, err := k.c.CreateAppWithResponse(context.Background(), api.CreateAppJSONRequestBody{Name: name}, testserver.Bearer(token))
	if err != nil {
		t.Fatal(err)
	}
	if r.JSON200 == nil {
		t.Fatalf("create app: %d %s", r.StatusCode(), r.Body)
	}
	return r.JSON200.Data
}

// exec runs SQL on the server's database: for what no route does (expiring a code, reading a
// captcha's answer).
func (k *console) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, k.s.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		t.Fatal(err)
	}
}

func (k *console) queryString(t *testing.T, sql string, args ...any) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, k.s.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var out string
	if err := conn.QueryRow(ctx, sql, args...).Scan(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

type envelope struct {
	Code    int             `json:"code"`
	Status  string          `json:"status"`
	Data    json.RawMessage `json:"data"`
	Message string          `json:"message"`
}

// call sends a raw request through the validating client: for routes that the typed client
// cannot express (no body at all) or that belong to other areas.
func (k *console) call(t *testing.T, method, path, token, body string) (int, envelope, http.Header) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, k.s.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := k.s.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env envelope
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &env); err != nil {
		t.Fatalf("%s %s: not an envelope: %s", method, path, b)
	}
	return resp.StatusCode, env, resp.Header
}

// fieldOf is the first field error of a 400 answer.
func fieldOf(e *api.ErrorEnvelope) string {
	if e == nil || e.Data == nil || len(*e.Data) == 0 {
		return ""
	}
	return (*e.Data)[0].Field
}

func bearer(token string) api.RequestEditorFn { return testserver.Bearer(token) }

func path(format string, args ...any) string { return fmt.Sprintf(format, args...) }
