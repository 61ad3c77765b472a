package realtime_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/eventbus/natstest"
	"github.com/xuqmgroup/xuqm/internal/testserver"
)

// The platform's changes reach live WebSockets at once: the server kicks the connections
// whose credentials no longer hold, on every instance (through the event bus).

func tokens(t *testing.T, s *testserver.Server, a *app) (tenant, ops string) {
	t.Helper()
	ctx := context.Background()
	conn := connectDB(t, s)
	defer conn.Close(ctx)
	var accountID, operatorID int64
	if err := conn.QueryRow(ctx, `INSERT INTO tenant_accounts (tenant_id, email, name, password_hash, role)
		VALUES ($1, $2 || '-owner@example.com', 'Owner', 'x', 'MAIN') RETURNING id`, a.tenant, a.key).Scan(&accountID); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, `SELECT id FROM operators WHERE username = 'admin'`).Scan(&operatorID); err != nil {
		t.Fatal(err)
	}
	tenant, _, err := s.Tokens.Issue(auth.Claims{Typ: auth.KindTenant, TenantID: a.tenant, Role: auth.RoleMain}, fmt.Sprint(accountID))
	if err != nil {
		t.Fatal(err)
	}
	ops, _, err = s.Tokens.Issue(auth.Claims{Typ: auth.KindOps}, fmt.Sprint(operatorID))
	if err != nil {
		t.Fatal(err)
	}
	return tenant, ops
}

func expectKicked(t *testing.T, c *client, reason string) {
	t.Helper()
	f := c.nextOf("kicked")
	var data struct{ Reason string }
	if err := json.Unmarshal(f.Data, &data); err != nil || data.Reason != reason {
		t.Errorf("kicked with %s, want %s", f.Data, reason)
	}
}

func TestKickedWhenCredentialsStopHolding(t *testing.T) {
	s := testserver.Start(t, nil)
	for _, tc := range []struct {
		reason string
		change func(a *app, tenant, ops string) (method, path, token, body string)
	}{
		{"ACCOUNT_DELETED", func(a *app, _, ops string) (string, string, string, string) {
			return "DELETE", "/api/im/accounts/alice?appId=" + a.key, ops, ""
		}},
		{"SERVICE_DISABLED", func(a *app, tenant, _ string) (string, string, string, string) {
			return "POST", fmt.Sprintf("/api/apps/%d/services/toggle", a.id), tenant, `{"serviceType":"IM","enabled":false}`
		}},
		{"APP_DELETED", func(a *app, tenant, _ string) (string, string, string, string) {
			return "DELETE", fmt.Sprintf("/api/apps/%d", a.id), tenant, ""
		}},
		{"TENANT_DISABLED", func(a *app, _, ops string) (string, string, string, string) {
			return "POST", fmt.Sprintf("/api/ops/tenants/%d/toggle-status", a.tenant), ops, `{"enabled":false}`
		}},
	} {
		t.Run(tc.reason, func(t *testing.T) {
			a := newApp(t, s, "ak_kick_"+strings.ToLower(strings.ReplaceAll(tc.reason, "_", "")), "alice", "bob")
			tenant, ops := tokens(t, s, a)
			alice, bob := dial(t, s, a.token(t, "alice")), dial(t, s, a.token(t, "bob"))
			method, path, token, body := tc.change(a, tenant, ops)
			if code, env, _ := s.Call(t, method, path, token, body); code != 200 {
				t.Fatalf("%s %s: %d %s", method, path, code, env.Message)
			}
			expectKicked(t, alice, tc.reason)
			if tc.reason == "ACCOUNT_DELETED" {
				if !bob.quiet(300_000_000) {
					t.Error("another user of the app was disturbed by alice's deletion")
				}
				return
			}
			expectKicked(t, bob, tc.reason)
		})
	}
}

// The operators' statistics count what every area stores, and the users online (the shared
// presence, which the instance writes a moment after the WebSocket opens).
func TestStatisticsCountEveryArea(t *testing.T) {
	s := testserver.Start(t, nil)
	a := newApp(t, s, "ak_stats_app_01", "alice", "bob")
	_, ops := tokens(t, s, a)
	read := func() map[string]int64 {
		t.Helper()
		code, env, _ := s.Call(t, "GET", "/api/ops/statistics", ops, "")
		if code != 200 {
			t.Fatalf("statistics: %d %s", code, env.Message)
		}
		var m map[string]any
		if err := json.Unmarshal(env.Data, &m); err != nil {
			t.Fatal(err)
		}
		out := map[string]int64{}
		for k, v := range m {
			if f, ok := v.(float64); ok {
				out[k] = int64(f)
			}
		}
		return out
	}
	before := read()
	alice := a.token(t, "alice")
	dial(t, s, alice)
	for range 3 {
		if r := sendHTTP(t, a, alice, api.SendMessage{ToId: "bob", ChatType: api.SINGLE, MsgType: api.MsgTypeTEXT, Content: "hi"}); r.StatusCode() != 200 {
			t.Fatalf("send: %d %s", r.StatusCode(), r.Body)
		}
	}
	if r, err := s.Client.CreateGroupWithResponse(context.Background(), &api.CreateGroupParams{AppId: a.key},
		api.GroupCreate{Name: "g", MemberIds: []api.UserId{"bob"}}, testserver.Bearer(alice)); err != nil || r.StatusCode() != 200 {
		t.Fatalf("create group: %v %v", err, r)
	}
	ctx := context.Background()
	conn := connectDB(t, s)
	defer conn.Close(ctx)
	hash := strings.Repeat("ab", 32)
	for _, sql := range []string{
		`INSERT INTO files (hash, size, content_type, name) VALUES ('` + hash + `', 1000, 'text/plain', 'a.txt')`,
		fmt.Sprintf(`INSERT INTO app_versions (app_id, platform, version_code, version_name, sha256, size) VALUES (%d, 'ANDROID', 1, '1.0', '%s', 1000)`, a.id, strings.Repeat("cd", 32)),
		fmt.Sprintf(`INSERT INTO rn_bundles (app_id, platform, module_id, version, sha256, size, min_app_version, file_name) VALUES (%d, 'ANDROID', 'home', '1.0.0', '%s', 1000, '1.0', 'home.bundle')`, a.id, hash),
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	after := read()
	for deadline := time.Now().Add(10 * time.Second); after["onlineConnections"] == before["onlineConnections"] && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		after = read()
	}
	for name, want := range map[string]int64{
		"messagesToday": 3, "messagesLast7Days": 3, "groups": 1, "onlineConnections": 1,
		"files": 1, "appVersions": 1, "rnBundles": 1,
		"bytesStored": 2000, // the bundle has the file's bytes: one blob, counted once
	} {
		if got := after[name] - before[name]; got != want {
			t.Errorf("%s went up by %d, want %d", name, got, want)
		}
	}
}

// Update checks are answered from caches; switching the UPDATE service off holds from the
// very next check all the same.
func TestUpdateCheckFollowsTheSwitchAtOnce(t *testing.T) {
	s := testserver.Start(t, nil)
	a := newApp(t, s, "ak_switch_update", "alice")
	tenant, _ := tokens(t, s, a)
	ctx := context.Background()
	conn := connectDB(t, s)
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `INSERT INTO app_services (app_id, service_type, secret_key) VALUES ($1, 'UPDATE', 'u')`, a.id); err != nil {
		t.Fatal(err)
	}
	check := "/api/v1/updates/app/check?appId=" + a.key + "&platform=ANDROID&currentVersionCode=1"
	for range 3 { // warm the caches
		if code, env, _ := s.Call(t, "GET", check, "", ""); code != 200 {
			t.Fatalf("check: %d %s", code, env.Message)
		}
	}
	if code, env, _ := s.Call(t, "POST", fmt.Sprintf("/api/apps/%d/services/toggle", a.id), tenant, `{"serviceType":"UPDATE","enabled":false}`); code != 200 {
		t.Fatalf("toggle: %d %s", code, env.Message)
	}
	if code, env, _ := s.Call(t, "GET", check, "", ""); code != 403 {
		t.Errorf("check right after the switch: %d %s, want 403", code, env.Message)
	}
}

// Two instances on one database and one NATS server: a message accepted by one reaches a
// WebSocket held by the other, and so does a kick.
func TestTwoInstancesOverNATS(t *testing.T) {
	nats := map[string]string{"XUQM_NATS_URL": natstest.URL(t), "XUQM_NATS_PREFIX": "test" + auth.RandomHex(6)}
	a1 := testserver.Start(t, nats)
	second := map[string]string{"DATABASE_URL": a1.DatabaseURL}
	for k, v := range nats {
		second[k] = v
	}
	a2 := testserver.Start(t, second)
	a := newApp(t, a1, "ak_two_instances", "alice", "bob")
	alice := dial(t, a2, a.token(t, "alice"))
	bobOnA1 := &app{id: a.id, tenant: a.tenant, key: a.key, s: a1}
	r := sendHTTP(t, bobOnA1, a.token(t, "bob"), api.SendMessage{ToId: "alice", ChatType: api.SINGLE, MsgType: api.MsgTypeTEXT, Content: "across instances"})
	if r.StatusCode() != 200 {
		t.Fatalf("send on instance 1: %d %s", r.StatusCode(), r.Body)
	}
	f := alice.nextOf("message")
	if !strings.Contains(string(f.Data), "across instances") {
		t.Errorf("instance 2 delivered %s", f.Data)
	}
	_, ops := tokens(t, a1, a)
	if code, env, _ := a1.Call(t, "DELETE", "/api/im/accounts/alice?appId="+a.key, ops, ""); code != 200 {
		t.Fatalf("delete on instance 1: %d %s", code, env.Message)
	}
	expectKicked(t, alice, "ACCOUNT_DELETED")
}
