package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/testserver"
)

// imAcctLogin logs userID in to app as its back end does and returns the token.
func imAcctLogin(t *testing.T, w *world, appKey, secret, userID string) string {
	t.Helper()
	resp, err := w.s.Client.ImLoginWithResponse(context.Background(), &api.ImLoginParams{AppId: appKey, UserId: userID},
		testserver.Signed(secret, time.Time{}, ""))
	if err != nil {
		t.Fatal(err)
	}
	if resp.JSON200 == nil {
		t.Fatalf("login %s: %d %s", userID, resp.StatusCode(), resp.Body)
	}
	if !resp.JSON200.Data.ExpiresAt.After(time.Now()) {
		t.Errorf("expiresAt %v", resp.JSON200.Data.ExpiresAt)
	}
	return resp.JSON200.Data.Token
}

func imAcctScan(t *testing.T, w *world, sql string, args ...any) int64 {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, w.s.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int64
	if err := conn.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// imAcctOtherTenant adds a second tenant with an app of key appKey (services on, IM key
// "other-im-key", AppSecret "other-secret") and returns its main account's token.
func imAcctOtherTenant(t *testing.T, w *world, appKey string) string {
	t.Helper()
	tenantID := imAcctScan(t, w, `INSERT INTO tenants (name, email) VALUES ('Other', 'other@example.com') RETURNING id`)
	mainID := imAcctScan(t, w, `INSERT INTO tenant_accounts (tenant_id, email, name, password_hash, role) VALUES ($1, 'other-main@example.com', 'Other', 'x', 'MAIN') RETURNING id`, tenantID)
	appID := imAcctScan(t, w, `INSERT INTO apps (tenant_id, app_key, app_secret, name) VALUES ($1, $2, 'other-secret', 'Other app') RETURNING id`, tenantID, appKey)
	w.exec(t, `INSERT INTO app_services (app_id, service_type, secret_key)
		SELECT $1, s, CASE WHEN s = 'IM' THEN 'other-im-key' ELSE 'other-key-' || s END FROM unnest(ARRAY['IM','PUSH','FILE','UPDATE']) s`, appID)
	return w.token(t, auth.Claims{Typ: auth.KindTenant, TenantID: tenantID, Role: "MAIN"}, itoa(mainID))
}

func TestIMLoginCreatesTheAccountAndItsTokenWorks(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	tok := imAcctLogin(t, w, w.appKey, w.appSecret, "bob")

	resp, err := w.s.Client.GetImAccountWithResponse(ctx, "bob", &api.GetImAccountParams{AppId: w.appKey}, testserver.Bearer(tok))
	if err != nil {
		t.Fatal(err)
	}
	if resp.JSON200 == nil || resp.JSON200.Data.UserId != "bob" || len(resp.JSON200.Data.Extra) != 0 {
		t.Fatalf("bob's own profile: %d %s", resp.StatusCode(), resp.Body)
	}
	// alice reads bob's profile; bob checks that alice exists.
	resp, _ = w.s.Client.GetImAccountWithResponse(ctx, "bob", &api.GetImAccountParams{AppId: w.appKey}, testserver.Bearer(w.im))
	if resp.StatusCode() != 200 {
		t.Errorf("alice reads bob: %d %s", resp.StatusCode(), resp.Body)
	}
	ex, _ := w.s.Client.CheckImAccountExistsWithResponse(ctx, "alice", &api.CheckImAccountExistsParams{AppId: w.appKey}, testserver.Bearer(tok))
	if ex.JSON200 == nil || !ex.JSON200.Data.Exists {
		t.Errorf("exists alice: %d %s", ex.StatusCode(), ex.Body)
	}
	ex, _ = w.s.Client.CheckImAccountExistsWithResponse(ctx, "nobody", &api.CheckImAccountExistsParams{AppId: w.appKey}, testserver.Bearer(tok))
	if ex.JSON200 == nil || ex.JSON200.Data.Exists {
		t.Errorf("exists nobody: %d %s", ex.StatusCode(), ex.Body)
	}
	resp, _ = w.s.Client.GetImAccountWithResponse(ctx, "nobody", &api.GetImAccountParams{AppId: w.appKey}, testserver.Bearer(tok))
	if resp.StatusCode() != 404 {
		t.Errorf("profile of nobody: %d %s", resp.StatusCode(), resp.Body)
	}
}

func TestIMLoginRefusedSignatures(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	login := func(opts ...api.RequestEditorFn) int {
		resp, err := w.s.Client.ImLoginWithResponse(ctx, &api.ImLoginParams{AppId: w.appKey, UserId: "carol"}, opts...)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode()
	}
	for name, opt := range map[string]api.RequestEditorFn{
		"wrong secret":       testserver.Signed("wrong-secret", time.Time{}, ""),
		"IM service key":     testserver.Signed(w.imKey, time.Time{}, ""),
		"stale":              testserver.Signed(w.appSecret, time.Now().Add(-6*time.Minute), ""),
		"an IM user's token": testserver.Bearer(w.im),
	} {
		if code := login(opt); code != 401 && code != 403 {
			t.Errorf("%s: %d", name, code)
		}
	}
	if code := login(testserver.Signed(w.appSecret, time.Time{}, "replayed-nonce-01")); code != 200 {
		t.Fatalf("first use of a nonce: %d", code)
	}
	if code := login(testserver.Signed(w.appSecret, time.Time{}, "replayed-nonce-01")); code != 401 {
		t.Errorf("replayed: %d", code)
	}
}

func TestIMAccountDeletedStopsAtOnce(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	tok := imAcctLogin(t, w, w.appKey, w.appSecret, "bob")
	get := func(tok string) int {
		resp, err := w.s.Client.GetImAccountWithResponse(ctx, "bob", &api.GetImAccountParams{AppId: w.appKey}, testserver.Bearer(tok))
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode()
	}
	if code := get(tok); code != 200 {
		t.Fatalf("before delete: %d", code)
	}
	del, err := w.s.Client.DeleteImAccountWithResponse(ctx, "bob", &api.DeleteImAccountParams{AppId: w.appKey}, testserver.Bearer(w.tenant))
	if err != nil || del.StatusCode() != 200 {
		t.Fatalf("delete: %v %s", err, del.Body)
	}
	if code := get(tok); code != 401 {
		t.Errorf("the deleted account's token: %d, want 401", code)
	}
	if code := get(w.im); code != 404 {
		t.Errorf("another user reads the deleted account: %d, want 404", code)
	}
	del, _ = w.s.Client.DeleteImAccountWithResponse(ctx, "bob", &api.DeleteImAccountParams{AppId: w.appKey}, testserver.Bearer(w.tenant))
	if del.StatusCode() != 404 {
		t.Errorf("second delete: %d", del.StatusCode())
	}
	relogin, _ := w.s.Client.ImLoginWithResponse(ctx, &api.ImLoginParams{AppId: w.appKey, UserId: "bob"}, testserver.Signed(w.appSecret, time.Time{}, ""))
	if relogin.StatusCode() != 403 || !strings.Contains(string(relogin.Body), "import") {
		t.Errorf("login of a deleted account: %d %s", relogin.StatusCode(), relogin.Body)
	}

	imp, _ := w.s.Client.ImportImAccountWithResponse(ctx, &api.ImportImAccountParams{AppId: w.appKey}, api.ImAccountImport{UserId: "bob"},
		testserver.Signed(w.imKey, time.Time{}, ""))
	if imp.JSON200 == nil {
		t.Fatalf("re-import: %d %s", imp.StatusCode(), imp.Body)
	}
	fresh := imAcctLogin(t, w, w.appKey, w.appSecret, "bob")
	if code := get(fresh); code != 200 {
		t.Errorf("the re-imported account's new token: %d", code)
	}
	if code := get(tok); code != 401 {
		t.Errorf("the old token after re-import: %d, want 401", code)
	}
}

func TestIMAccountUpdateProfile(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	bob := imAcctLogin(t, w, w.appKey, w.appSecret, "bob")
	nick, avatar := "鲍勃", "https://example.com/bob.png"
	extra := map[string]any{"city": "Shanghai", "level": 3.0}
	resp, err := w.s.Client.UpdateImAccountWithResponse(ctx, "bob", &api.UpdateImAccountParams{AppId: w.appKey},
		api.ImAccountUpdate{Nickname: &nick, AvatarUrl: &avatar, Extra: &extra}, testserver.Bearer(bob))
	if err != nil {
		t.Fatal(err)
	}
	if resp.JSON200 == nil || resp.JSON200.Data.Nickname != nick || resp.JSON200.Data.Extra["city"] != "Shanghai" {
		t.Fatalf("update: %d %s", resp.StatusCode(), resp.Body)
	}
	// Another user's profile: 403, and nothing changes.
	mallory := "mallory"
	resp, _ = w.s.Client.UpdateImAccountWithResponse(ctx, "bob", &api.UpdateImAccountParams{AppId: w.appKey},
		api.ImAccountUpdate{Nickname: &mallory}, testserver.Bearer(w.im))
	if resp.StatusCode() != 403 {
		t.Errorf("alice updates bob: %d %s", resp.StatusCode(), resp.Body)
	}
	got, _ := w.s.Client.GetImAccountWithResponse(ctx, "bob", &api.GetImAccountParams{AppId: w.appKey}, testserver.Bearer(w.im))
	if got.JSON200 == nil || got.JSON200.Data.Nickname != nick {
		t.Errorf("after a refused update: %s", got.Body)
	}
	// Bad input: 400 naming the field.
	for field, body := range map[string]string{
		"nickname": `{"nickname":"` + strings.Repeat("x", 65) + `"}`,
		"extra":    `{"extra":{"k":"` + strings.Repeat("v", 9000) + `"}}`,
	} {
		code, env, _ := w.call(t, "PUT", "/api/im/accounts/bob?appId="+w.appKey, bob, body)
		if code != 400 || !strings.Contains(env.Message, field) || !strings.Contains(string(env.Data), field) {
			t.Errorf("%s: %d %s %s", field, code, env.Message, env.Data)
		}
	}
}

func TestIMAccountTokenOfAnotherApp(t *testing.T) {
	w := newWorld(t)
	imAcctOtherTenant(t, w, "ak_imacct_other")
	ctx := context.Background()
	resp, _ := w.s.Client.GetImAccountWithResponse(ctx, "alice", &api.GetImAccountParams{AppId: "ak_imacct_other"}, testserver.Bearer(w.im))
	if resp.StatusCode() != 403 {
		t.Errorf("get with another app's token: %d %s", resp.StatusCode(), resp.Body)
	}
	nick := "x"
	upd, _ := w.s.Client.UpdateImAccountWithResponse(ctx, "alice", &api.UpdateImAccountParams{AppId: "ak_imacct_other"},
		api.ImAccountUpdate{Nickname: &nick}, testserver.Bearer(w.im))
	if upd.StatusCode() != 403 {
		t.Errorf("update with another app's token: %d %s", upd.StatusCode(), upd.Body)
	}
	// An account of the other app is not seen from this one.
	imAcctLogin(t, w, "ak_imacct_other", "other-secret", "zed")
	ex, _ := w.s.Client.CheckImAccountExistsWithResponse(ctx, "zed", &api.CheckImAccountExistsParams{AppId: w.appKey}, testserver.Bearer(w.im))
	if ex.JSON200 == nil || ex.JSON200.Data.Exists {
		t.Errorf("another app's account exists here: %s", ex.Body)
	}
}

func TestIMAccountImportWhoMay(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	otherTenant := imAcctOtherTenant(t, w, "ak_imacct_other")
	params := &api.ImportImAccountParams{AppId: w.appKey}
	imp := func(userID string, opt api.RequestEditorFn) *api.ImportImAccountResponse {
		nick := "N " + userID
		resp, err := w.s.Client.ImportImAccountWithResponse(ctx, params, api.ImAccountImport{UserId: userID, Nickname: &nick}, opt)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	for name, opt := range map[string]api.RequestEditorFn{
		"owner":          testserver.Bearer(w.tenant),
		"operator":       testserver.Bearer(w.ops),
		"IM service key": testserver.Signed(w.imKey, time.Time{}, ""),
	} {
		id := "by_" + strings.ReplaceAll(name, " ", "_")
		resp := imp(id, opt)
		if resp.JSON200 == nil || resp.JSON200.Data.UserId != id || resp.JSON200.Data.Nickname != "N "+id {
			t.Errorf("%s: %d %s", name, resp.StatusCode(), resp.Body)
		}
	}
	for name, c := range map[string]struct {
		opt  api.RequestEditorFn
		code int
	}{
		"another tenant":    {testserver.Bearer(otherTenant), 403},
		"viewer":            {testserver.Bearer(w.viewer), 403},
		"IM user":           {testserver.Bearer(w.im), 403},
		"AppSecret":         {testserver.Signed(w.appSecret, time.Time{}, ""), 401},
		"another app's key": {testserver.Signed("other-im-key", time.Time{}, ""), 401},
		"no credential":     {func(context.Context, *http.Request) error { return nil }, 401},
	} {
		if resp := imp("intruder", c.opt); resp.StatusCode() != c.code {
			t.Errorf("%s: %d %s, want %d", name, resp.StatusCode(), resp.Body, c.code)
		}
	}
	if resp := imp("by_owner", testserver.Bearer(w.tenant)); resp.StatusCode() != 409 {
		t.Errorf("existing userId: %d %s", resp.StatusCode(), resp.Body)
	}
	for name, tok := range map[string]string{"owner": w.tenant, "operator": w.ops} {
		resp, _ := w.s.Client.ImportImAccountWithResponse(ctx, &api.ImportImAccountParams{AppId: "ak_no_such_app"}, api.ImAccountImport{UserId: "x"}, testserver.Bearer(tok))
		if resp.StatusCode() != 404 {
			t.Errorf("%s imports into an unknown app: %d %s", name, resp.StatusCode(), resp.Body)
		}
	}
	// Neither may delete.
	for name, tok := range map[string]string{"another tenant": otherTenant, "viewer": w.viewer} {
		del, _ := w.s.Client.DeleteImAccountWithResponse(ctx, "alice", &api.DeleteImAccountParams{AppId: w.appKey}, testserver.Bearer(tok))
		if del.StatusCode() != 403 {
			t.Errorf("%s deletes: %d %s", name, del.StatusCode(), del.Body)
		}
	}
	ex, _ := w.s.Client.CheckImAccountExistsWithResponse(ctx, "intruder", &api.CheckImAccountExistsParams{AppId: w.appKey}, testserver.Bearer(w.im))
	if ex.JSON200 == nil || ex.JSON200.Data.Exists {
		t.Errorf("a refused import was applied: %s", ex.Body)
	}
}

func TestIMAccountImportBatch(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	params := &api.ImportImAccountsBatchParams{AppId: w.appKey}
	nick := "Alice"
	resp, err := w.s.Client.ImportImAccountsBatchWithResponse(ctx, params, []api.ImAccountImport{
		{UserId: "alice", Nickname: &nick}, {UserId: "new_one"}, {UserId: "new_one"},
	}, testserver.Bearer(w.tenant))
	if err != nil {
		t.Fatal(err)
	}
	if resp.JSON200 == nil {
		t.Fatalf("batch: %d %s", resp.StatusCode(), resp.Body)
	}
	d := resp.JSON200.Data
	if d.Created != 1 || d.Updated != 1 || d.Failed != 1 || len(d.Items) != 3 ||
		d.Items[0].Result != "UPDATED" || d.Items[1].Result != "CREATED" || d.Items[2].Result != "ERROR" || d.Items[2].Message == "" {
		t.Errorf("batch result %+v", d)
	}

	var big strings.Builder
	big.WriteString("[")
	for i := range 101 {
		if i > 0 {
			big.WriteString(",")
		}
		fmt.Fprintf(&big, `{"userId":"u%03d"}`, i)
	}
	big.WriteString("]")
	code, env, _ := w.call(t, "POST", "/api/im/accounts/import/batch?appId="+w.appKey, w.tenant, big.String())
	if code != 400 {
		t.Errorf("101 items: %d %s", code, env.Message)
	}
	code, env, _ = w.call(t, "POST", "/api/im/accounts/import/batch?appId="+w.appKey, w.tenant, `[{"userId":"bad id!"}]`)
	if code != 400 || !strings.Contains(env.Message+string(env.Data), "userId") {
		t.Errorf("bad userId: %d %s %s", code, env.Message, env.Data)
	}
	code, env, _ = w.call(t, "POST", "/api/im/accounts/import/batch?appId="+w.appKey, w.viewer, `[{"userId":"v1"}]`)
	if code != 403 {
		t.Errorf("viewer batch: %d %s", code, env.Message)
	}
}

func TestIMAccountSearchIsPublicAndShowsPublicFieldsOnly(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	nick := "你好世界"
	extra := map[string]any{"secret": "do not show"}
	resp, _ := w.s.Client.ImportImAccountWithResponse(ctx, &api.ImportImAccountParams{AppId: w.appKey},
		api.ImAccountImport{UserId: "zhang", Nickname: &nick, Extra: &extra}, testserver.Bearer(w.tenant))
	if resp.StatusCode() != 200 {
		t.Fatalf("import: %s", resp.Body)
	}
	found, err := w.s.Client.SearchImAccountsWithResponse(ctx, &api.SearchImAccountsParams{AppId: w.appKey, Keyword: "你好"})
	if err != nil {
		t.Fatal(err)
	}
	if found.JSON200 == nil || found.JSON200.Data.TotalElements != 1 || found.JSON200.Data.Content[0].UserId != "zhang" ||
		found.JSON200.Data.TotalPages != 1 || found.JSON200.Data.Size != 20 {
		t.Fatalf("search: %d %s", found.StatusCode(), found.Body)
	}
	if strings.Contains(string(found.Body), "do not show") || strings.Contains(string(found.Body), "extra") {
		t.Errorf("search shows extra: %s", found.Body)
	}
	code, env, _ := w.call(t, "GET", "/api/im/accounts/search?keyword=x", "", "")
	if code != 400 || !strings.Contains(env.Message, "appId") {
		t.Errorf("without appId: %d %s", code, env.Message)
	}
	code, _, _ = w.call(t, "GET", "/api/im/accounts/search?appId=ak_no_such_app&keyword=x", "", "")
	if code != 404 {
		t.Errorf("unknown app: %d", code)
	}
	w.exec(t, `UPDATE app_services SET enabled = false WHERE service_type = 'IM'`)
	code, _, _ = w.call(t, "GET", "/api/im/accounts/search?appId="+w.appKey+"&keyword=x", "", "")
	if code != 403 {
		t.Errorf("IM service off: %d", code)
	}
}
