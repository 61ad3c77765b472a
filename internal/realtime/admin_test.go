package realtime_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/testserver"
)

// The IM admin routes: who may call them, what they show, and the operation log of every
// change made through them.

// subAccount is a token of a new sub-account of a's tenant with role.
func subAccount(t *testing.T, s *testserver.Server, a *app, role string) string {
	t.Helper()
	ctx := context.Background()
	conn := connectDB(t, s)
	defer conn.Close(ctx)
	var id int64
	if err := conn.QueryRow(ctx, `INSERT INTO tenant_accounts (tenant_id, email, name, password_hash, role)
		VALUES ($1, $2, 'Sub', 'x', $3) RETURNING id`, a.tenant, a.key+"-"+role+"@example.com", role).Scan(&id); err != nil {
		t.Fatal(err)
	}
	tok, _, err := s.Tokens.Issue(auth.Claims{Typ: auth.KindTenant, TenantID: a.tenant, Role: role}, fmt.Sprint(id))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (a *app) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	ctx := context.Background()
	conn := connectDB(t, a.s)
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		t.Fatal(err)
	}
}

type logEntry struct {
	ActorType  string         `json:"actorType"`
	ActorID    string         `json:"actorId"`
	Action     string         `json:"action"`
	TargetType string         `json:"targetType"`
	TargetID   string         `json:"targetId"`
	Detail     map[string]any `json:"detail"`
}

func TestAdminRoutesRefuseOthers(t *testing.T) {
	s := testserver.Start(t, nil)
	a := newApp(t, s, "ak_admin_refuse", "alice", "bob")
	b := newApp(t, s, "ak_admin_refuse_b", "zed")
	otherTenant, _ := tokens(t, s, b)
	viewer := subAccount(t, s, a, auth.RoleViewer)
	alice := a.token(t, "alice")
	a.call(t, 200, "POST", "/api/im/messages/send", alice, nil, sendText("alice", "bob", "x"))
	routes := []struct{ method, path, body string }{
		{"GET", "/api/im/admin/users", ""}, {"GET", "/api/im/admin/groups", ""},
		{"GET", "/api/im/admin/messages?userA=alice&userB=bob", ""}, {"GET", "/api/im/admin/operation-logs", ""},
		{"POST", "/api/im/admin/messages/1/revoke", ""}, {"DELETE", "/api/im/admin/groups/g1", ""},
		{"GET", "/api/im/admin/settings", ""}, {"PUT", "/api/im/admin/settings", `{"friendsOnly":true}`},
		{"GET", "/api/im/admin/webhooks", ""}, {"POST", "/api/im/admin/webhooks", `{"url":"https://example.com/h","events":["message.sent"]}`},
		{"POST", "/api/im/accounts/import", `{"userId":"mallory"}`}, {"DELETE", "/api/im/accounts/bob", ""},
	}
	for _, r := range routes {
		sep := "?"
		if strings.Contains(r.path, "?") {
			sep = "&"
		}
		path := r.path + sep + "appId=" + a.key
		for who, tok := range map[string]string{"an IM token": alice, "another tenant": otherTenant} {
			if code, env, _ := s.Call(t, r.method, path, tok, r.body); code != 403 {
				t.Errorf("%s %s with %s: %d %s", r.method, r.path, who, code, env.Message)
			}
		}
		if r.method != "GET" || strings.HasPrefix(r.path, "/api/im/accounts") {
			if code, env, _ := s.Call(t, r.method, path, viewer, r.body); code != 403 {
				t.Errorf("%s %s by a VIEWER: %d %s", r.method, r.path, code, env.Message)
			}
		}
	}
	// Nothing changed: bob is there, the message is not revoked, nothing is logged.
	h := decode[page[struct{ Revoked bool }]](t, a.call(t, 200, "GET", "/api/im/messages/history/bob", alice, nil, ""))
	if h.TotalElements != 1 || h.Content[0].Revoked {
		t.Fatalf("history after refused calls: %+v", h)
	}
	tenant, _ := tokens(t, s, a)
	if logs := decode[page[logEntry]](t, a.call(t, 200, "GET", "/api/im/admin/operation-logs", tenant, nil, "")); logs.TotalElements != 0 {
		t.Fatalf("refused calls were logged: %+v", logs)
	}
}

func TestAdminSeesRevokesAndDissolves(t *testing.T) {
	s := testserver.Start(t, nil)
	a := newApp(t, s, "ak_admin", "alice", "bob", "carol", "bobby")
	tenant, ops := tokens(t, s, a)
	developer := subAccount(t, s, a, auth.RoleDeveloper)
	alice, bob := a.token(t, "alice"), a.token(t, "bob")
	bobWS := dial(t, s, bob)
	ctx := context.Background()

	// Accounts: imported by a DEVELOPER, in a batch by the back end's signature, deleted by an operator.
	a.call(t, 200, "POST", "/api/im/accounts/import", developer, nil, `{"userId":"dora","nickname":"朵拉"}`)
	batch, err := s.Client.ImportImAccountsBatchWithResponse(ctx, &api.ImportImAccountsBatchParams{AppId: a.key},
		api.ImportImAccountsBatchJSONRequestBody{{UserId: "erin"}, {UserId: "frank"}}, testserver.Signed("k", time.Time{}, ""))
	if err != nil || batch.JSON200 == nil || batch.JSON200.Data.Created != 2 {
		t.Fatalf("signed batch import: %v %s", err, batch.Body)
	}
	a.call(t, 200, "DELETE", "/api/im/accounts/frank", ops, nil, "")

	users := decode[page[struct {
		UserID string `json:"userId"`
		Online bool   `json:"online"`
	}]](t, a.call(t, 200, "GET", "/api/im/admin/users", tenant, url.Values{"keyword": {"bob"}}, ""))
	if users.TotalElements != 2 {
		t.Fatalf("users matching bob: %+v", users)
	}
	for _, u := range users.Content {
		if u.Online != (u.UserID == "bob") {
			t.Errorf("online flags: %+v", users.Content)
		}
	}
	all := decode[page[struct{ UserID string }]](t, a.call(t, 200, "GET", "/api/im/admin/users", tenant, url.Values{"size": {"2"}}, ""))
	if all.TotalElements != 6 || all.TotalPages != 3 || len(all.Content) != 2 {
		t.Fatalf("users, paged: %+v", all)
	}
	if withDeleted := decode[page[struct{ UserID string }]](t, a.call(t, 200, "GET", "/api/im/admin/users", tenant, url.Values{"includeDeleted": {"true"}}, "")); withDeleted.TotalElements != 7 {
		t.Fatalf("users with the deleted: %+v", withDeleted)
	}
	if dora := decode[page[struct{ UserID string }]](t, a.call(t, 200, "GET", "/api/im/admin/users", tenant, url.Values{"keyword": {"朵"}}, "")); dora.TotalElements != 1 {
		t.Fatalf("users matching 朵: %+v", dora)
	}

	// Messages between two users, in either direction, paged.
	var firstID string
	for i := range 3 {
		m := decode[struct{ ID string }](t, a.call(t, 200, "POST", "/api/im/messages/send", alice, nil, sendText("alice", "bob", fmt.Sprint("m", i))))
		if i == 0 {
			firstID = m.ID
		}
	}
	a.call(t, 200, "POST", "/api/im/messages/send", bob, nil, sendText("bob", "alice", "reply"))
	msgs := decode[page[struct{ Content string }]](t, a.call(t, 200, "GET", "/api/im/admin/messages", tenant, url.Values{"userA": {"bob"}, "userB": {"alice"}, "size": {"3"}}, ""))
	if msgs.TotalElements != 4 || msgs.TotalPages != 2 || msgs.Content[0].Content != "reply" {
		t.Fatalf("messages between bob and alice: %+v", msgs)
	}
	a.call(t, 400, "GET", "/api/im/admin/messages", tenant, url.Values{"userA": {"bob"}, "userB": {"bob"}}, "")

	// A day-old message: past alice's own revoke window, not an administrator's.
	a.exec(t, `UPDATE im_messages SET created_at = now() - interval '1 day' WHERE id = $1`, firstID)
	a.call(t, 403, "POST", "/api/im/messages/"+firstID+"/revoke", alice, nil, "")
	for {
		if f := bobWS.next(); f.Type == "message" && strings.Contains(string(f.Data), `"reply"`) {
			break
		}
	}
	rev := decode[struct {
		Revoked bool
		Content string
	}](t, a.call(t, 200, "POST", "/api/im/admin/messages/"+firstID+"/revoke", tenant, nil, ""))
	if !rev.Revoked || rev.Content != "" {
		t.Fatalf("admin revoke: %+v", rev)
	}
	if f := bobWS.nextOf("message.revoked"); !strings.Contains(string(f.Data), `"revokedBy":""`) || !strings.Contains(string(f.Data), firstID) {
		t.Fatalf("bob sees the revoke live, by an admin: %s", f.raw)
	}
	a.call(t, 200, "POST", "/api/im/admin/messages/"+firstID+"/revoke", tenant, nil, "") // again: unchanged, not logged twice
	a.call(t, 404, "POST", "/api/im/admin/messages/99999999/revoke", tenant, nil, "")
	hist := decode[page[struct {
		ID      string `json:"id"`
		Revoked bool   `json:"revoked"`
	}]](t, a.call(t, 200, "GET", "/api/im/messages/history/alice", bob, nil, ""))
	if last := hist.Content[len(hist.Content)-1]; last.ID != firstID || !last.Revoked {
		t.Fatalf("history shows it revoked: %+v", hist)
	}

	// Groups: listed, dissolved by an administrator with the members told live.
	a.call(t, 200, "POST", "/api/im/groups", alice, nil, `{"groupId":"g_admin","name":"茶话会","memberIds":["bob","carol"]}`)
	a.call(t, 200, "POST", "/api/im/groups", bob, nil, `{"groupId":"g_other","name":"other","memberIds":[]}`)
	groups := decode[page[struct {
		GroupID     string `json:"groupId"`
		MemberCount int    `json:"memberCount"`
	}]](t, a.call(t, 200, "GET", "/api/im/admin/groups", tenant, url.Values{"keyword": {"茶"}}, ""))
	if groups.TotalElements != 1 || groups.Content[0].GroupID != "g_admin" || groups.Content[0].MemberCount != 3 {
		t.Fatalf("groups matching 茶: %+v", groups)
	}
	a.call(t, 200, "DELETE", "/api/im/admin/groups/g_admin", developer, nil, "")
	for {
		f := bobWS.nextOf("group.event")
		if strings.Contains(string(f.Data), `"DISSOLVED"`) {
			if !strings.Contains(string(f.Data), `"operatorId":""`) {
				t.Fatalf("dissolved by an administrator: %s", f.raw)
			}
			break
		}
	}
	a.call(t, 404, "DELETE", "/api/im/admin/groups/g_admin", developer, nil, "")
	a.call(t, 404, "POST", "/api/im/messages/send", alice, nil, `{"toId":"g_admin","chatType":"GROUP","msgType":"TEXT","content":"anyone?"}`)
	if live := decode[page[struct{ GroupID string }]](t, a.call(t, 200, "GET", "/api/im/admin/groups", tenant, nil, "")); live.TotalElements != 1 {
		t.Fatalf("live groups: %+v", live)
	}
	if every := decode[page[struct{ GroupID string }]](t, a.call(t, 200, "GET", "/api/im/admin/groups", tenant, url.Values{"includeDissolved": {"true"}}, "")); every.TotalElements != 2 {
		t.Fatalf("groups with the dissolved: %+v", every)
	}

	// Every change made through the admin routes is in the log, the newest first, paged.
	logs := decode[page[logEntry]](t, a.call(t, 200, "GET", "/api/im/admin/operation-logs", tenant, url.Values{"size": {"10"}}, ""))
	var got []string
	for _, l := range logs.Content {
		got = append(got, l.ActorType+" "+l.Action+" "+l.TargetType+" "+l.TargetID)
	}
	want := []string{
		"TENANT group.dissolve GROUP g_admin",
		"TENANT message.revoke MESSAGE " + firstID,
		"OPS account.delete ACCOUNT frank",
		"APP_SERVER account.import ACCOUNT batch",
		"TENANT account.import ACCOUNT dora",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("operation log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if logs.Content[3].ActorID != a.key || logs.Content[1].Detail["fromId"] != "alice" {
		t.Errorf("log details: %+v", logs.Content)
	}
	second := decode[page[logEntry]](t, a.call(t, 200, "GET", "/api/im/admin/operation-logs", tenant, url.Values{"size": {"2"}, "page": {"1"}}, ""))
	if second.TotalElements != 5 || second.TotalPages != 3 || second.Content[0].Action != "account.delete" {
		t.Fatalf("log page 1 of size 2: %+v", second)
	}
}
