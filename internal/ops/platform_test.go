package ops_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/oapi-codegen/runtime/types"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/testserver"
)

// platform is a running server seen from the operations console, with a way to make tenants
// without the mail flow (the tenant package's tests drive that).
type platform struct {
	s   *testserver.Server
	c   *api.ClientWithResponses
	ops string // the admin's token
}

func newPlatform(t *testing.T, env map[string]string) *platform {
	t.Helper()
	s := testserver.Start(t, env)
	p := &platform{s: s, c: s.Client}
	pw := env["XUQM_ADMIN_PASSWORD"]
	if pw == "" {
		pw = "Admin@123456"
	}
	p.ops = p.opsLogin(t, "admin", pw)
	return p
}

func (p *platform) opsLogin(t *testing.T, user, pw string) string {
	t.Helper()
	r, err := p.c.OpsLoginWithResponse(context.Background(), api.OpsLoginJSONRequestBody{Username: user, Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	if r.JSON200 == nil {
		t.Fatalf("ops login %s: %d %s", user, r.StatusCode(), r.Body)
	}
	return r.JSON200.Data.Token
}

func (p *platform) db(t *testing.T) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), p.s.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// tenant registers a tenant whose main account signs in with password "passw0rd1", using the
// code the server keeps (its hash is of a code this test chooses).
type tenantAccount struct {
	id      int64
	token   string
	email   string
	account int64
}

func (p *platform) tenant(t *testing.T, name string) tenantAccount {
	t.Helper()
	ctx := context.Background()
	email := strings.ToLower(name) + "@example.com"
	// A code put in place as if mailed: the mail flow itself is the tenant package's to test.
	_, err := p.db(t).Exec(ctx, `INSERT INTO email_codes (email, purpose, code_hash, expires_at)
		VALUES ($1, 'REGISTER', encode(sha256('123456'), 'hex'), now() + interval '10 minutes')`, email)
	if err != nil {
		t.Fatal(err)
	}
	r, err := p.c.RegisterWithResponse(ctx, api.RegisterJSONRequestBody{Email: types.Email(email), Password: "passw0rd1", Code: "123456", Name: name})
	if err != nil || r.JSON200 == nil {
		t.Fatalf("register %s: %v %s", name, err, r.Body)
	}
	return tenantAccount{id: r.JSON200.Data.TenantId, token: r.JSON200.Data.Token, email: email, account: r.JSON200.Data.AccountId}
}

// addViewer gives the tenant a VIEWER sub-account (straight in the database) and its token.
func (p *platform) addViewer(t *testing.T, tn tenantAccount) string {
	t.Helper()
	var id int64
	err := p.db(t).QueryRow(context.Background(), `INSERT INTO tenant_accounts (tenant_id, email, name, password_hash, role)
		VALUES ($1, $2, 'Viewer', 'x', 'VIEWER') RETURNING id`, tn.id, "viewer."+tn.email).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := p.s.Tokens.Issue(auth.Claims{Typ: auth.KindTenant, TenantID: tn.id, Role: "VIEWER"}, fmt.Sprint(id))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (p *platform) createApp(t *testing.T, token, name string) api.App {
	t.Helper()
	r, err := p.c.CreateAppWithResponse(context.Background(), api.CreateAppJSONRequestBody{Name: name}, testserver.Bearer(token))
	if err != nil || r.JSON200 == nil {
		t.Fatalf("create app: %v %s", err, r.Body)
	}
	return r.JSON200.Data
}

// post sends a raw request through the validating client, for a body the typed client cannot
// leave out.
func (p *platform) post(t *testing.T, path, token, contentType, body string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", p.s.URL+path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := p.s.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func (p *platform) statistics(t *testing.T) api.OpsStatistics {
	t.Helper()
	r, err := p.c.GetStatisticsWithResponse(context.Background(), testserver.Bearer(p.ops))
	if err != nil || r.JSON200 == nil {
		t.Fatalf("statistics: %v %s", err, r.Body)
	}
	return r.JSON200.Data
}

func status[R interface{ StatusCode() int }](r R, err error) int {
	if err != nil {
		panic(err)
	}
	return r.StatusCode()
}

func newRequest(method, url, token string) (*http.Request, error) {
	req, err := http.NewRequest(method, url, nil)
	if err == nil && token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req, err
}
