package hardening_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/testserver"
)

// tenantFix is a tenant with its main and VIEWER accounts and their tokens.
type tenantFix struct {
	id, mainID, viewerID int64
	main, viewer         string // tenant tokens
}

// appFix is an app made through the console, so its secrets are the server's own.
type appFix struct {
	id        int64
	key       string
	secret    string
	keys      map[string]string // service type -> key
	serviceID map[string]int64
	tenant    *tenantFix
}

// newTenant inserts a tenant with a MAIN and a VIEWER account and mints their tokens.
func newTenant(t *testing.T, s *testserver.Server, name string) *tenantFix {
	t.Helper()
	f := &tenantFix{}
	f.id = queryInt(t, s, `INSERT INTO tenants (name, email) VALUES ($1, $1 || '@example.com') RETURNING id`, name)
	f.mainID = queryInt(t, s, `INSERT INTO tenant_accounts (tenant_id, email, name, password_hash, role) VALUES ($1, $2 || '-main@example.com', 'Main', 'x', 'MAIN') RETURNING id`, f.id, name)
	f.viewerID = queryInt(t, s, `INSERT INTO tenant_accounts (tenant_id, email, name, password_hash, role) VALUES ($1, $2 || '-viewer@example.com', 'Viewer', 'x', 'VIEWER') RETURNING id`, f.id, name)
	f.main = mint(t, s, auth.Claims{Typ: auth.KindTenant, TenantID: f.id, Role: "MAIN"}, f.mainID)
	f.viewer = mint(t, s, auth.Claims{Typ: auth.KindTenant, TenantID: f.id, Role: "VIEWER"}, f.viewerID)
	return f
}

// newApp creates an app of tenant through POST /api/apps.
func newApp(t *testing.T, s *testserver.Server, tenant *tenantFix, name string) *appFix {
	t.Helper()
	code, env, _ := s.Call(t, "POST", "/api/apps", tenant.main, fmt.Sprintf(`{"name":%q,"description":"hardening"}`, name))
	if code != 200 {
		t.Fatalf("create app: %d %s", code, env.Message)
	}
	var app struct {
		ID       int64  `json:"id"`
		AppKey   string `json:"appKey"`
		Secret   string `json:"appSecret"`
		Services []struct {
			ID   int64  `json:"id"`
			Type string `json:"serviceType"`
			Key  string `json:"secretKey"`
		} `json:"services"`
	}
	if err := json.Unmarshal(env.Data, &app); err != nil {
		t.Fatal(err)
	}
	a := &appFix{id: app.ID, key: app.AppKey, secret: app.Secret, keys: map[string]string{}, serviceID: map[string]int64{}, tenant: tenant}
	for _, sv := range app.Services {
		a.keys[sv.Type], a.serviceID[sv.Type] = sv.Key, sv.ID
	}
	return a
}

// imToken makes the IM account user of app and mints its token.
func (a *appFix) imToken(t *testing.T, s *testserver.Server, user string) string {
	t.Helper()
	exec(t, s, `INSERT INTO im_accounts (app_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, a.id, user)
	return mint(t, s, auth.Claims{Typ: auth.KindIM, AppID: a.id, AppKeyClaim: a.key, TenantID: a.tenant.id}, user)
}

func mint(t *testing.T, s *testserver.Server, c auth.Claims, subject any) string {
	t.Helper()
	tok, _, err := s.Tokens.Issue(c, fmt.Sprint(subject))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func connect(t *testing.T, s *testserver.Server) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), s.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

func exec(t *testing.T, s *testserver.Server, sql string, args ...any) {
	t.Helper()
	conn := connect(t, s)
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func queryInt(t *testing.T, s *testserver.Server, sql string, args ...any) int64 {
	t.Helper()
	conn := connect(t, s)
	defer conn.Close(context.Background())
	var n int64
	if err := conn.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func queryStrings(t *testing.T, s *testserver.Server, sql string, args ...any) []string {
	t.Helper()
	conn := connect(t, s)
	defer conn.Close(context.Background())
	rows, err := conn.Query(context.Background(), sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return out
}

// signedStatus sends a request signed with secret as an app's back end (X-App-Key names the
// app when the path has no appId) and returns the status and raw body.
func signedStatus(t *testing.T, s *testserver.Server, method, path, appKey, secret, body string, at time.Time, nonce string) (int, string) {
	t.Helper()
	var req *http.Request
	var err error
	if body != "" {
		req, err = http.NewRequest(method, s.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	} else {
		req, err = http.NewRequest(method, s.URL+path, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-App-Key", appKey)
	if err := testserver.Signed(secret, at, nonce)(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	return do(t, s, req)
}

func do(t *testing.T, s *testserver.Server, req *http.Request) (int, string) {
	t.Helper()
	resp, err := s.HTTP.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, b.String()
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// field is a string field of a JSON object.
func field(t *testing.T, data json.RawMessage, name string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	v, _ := m[name].(string)
	if v == "" {
		t.Fatalf("no %s in %s", name, data)
	}
	return v
}

func opsClaims() auth.Claims { return auth.Claims{Typ: auth.KindOps} }
