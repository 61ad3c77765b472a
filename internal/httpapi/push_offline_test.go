package httpapi_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/push/pushtest"
	"github.com/xuqmgroup/xuqm/internal/testserver"
)

// Offline push across two instances sharing one database: a message to a user with no
// WebSocket anywhere reaches his device; none while he is connected to the other instance;
// none in a conversation he muted.
func TestOfflinePushOfIMMessages(t *testing.T) {
	gw := pushtest.Start(t)
	env := gatewayEnv(t, gw)
	w := newWorldWith(t, env)
	env["DATABASE_URL"] = w.s.DatabaseURL
	other := testserver.Start(t, env) // the second instance
	ctx := context.Background()
	w.exec(t, `UPDATE im_accounts SET nickname = 'Alice W' WHERE app_id = $1 AND user_id = 'alice'`, w.appID)
	w.exec(t, `INSERT INTO im_accounts (app_id, user_id) VALUES ($1, 'bob'), ($1, 'carol')`, w.appID)
	setCredentials(t, w, gw)
	imToken := func(user string) string {
		return w.token(t, auth.Claims{Typ: auth.KindIM, AppID: w.appID, AppKeyClaim: w.appKey, TenantID: w.tenantID}, user)
	}
	bob, carol := imToken("bob"), imToken("carol")
	for user, tok := range map[string]string{"bob": bob, "carol": carol} {
		r, err := w.s.Client.RegisterPushDeviceWithResponse(ctx, &api.RegisterPushDeviceParams{AppId: w.appKey},
			api.PushRegistration{DeviceToken: user + "-pixel-0001", Platform: "ANDROID", Vendor: "FCM"}, testserver.Bearer(tok))
		if err != nil || r.StatusCode() != 200 {
			t.Fatalf("register %s: %v %s", user, err, r.Body)
		}
	}
	send := func(to, text string) {
		t.Helper()
		r, err := w.s.Client.SendMessageWithResponse(ctx, &api.SendMessageParams{AppId: w.appKey},
			api.SendMessage{ToId: to, ChatType: "SINGLE", MsgType: "TEXT", Content: text}, testserver.Bearer(w.im))
		if err != nil || r.StatusCode() != 200 {
			t.Fatalf("send to %s: %v %s", to, err, r.Body)
		}
	}
	pushed := func(token string) []pushtest.Request {
		var out []pushtest.Request
		for _, r := range gw.Taken() {
			if r.Token == token {
				out = append(out, r)
			}
		}
		return out
	}
	waitPushed := func(token string, n int) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for len(pushed(token)) < n {
			if time.Now().After(deadline) {
				t.Fatalf("%s got %d pushes, want %d", token, len(pushed(token)), n)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitPresence := func(want int64) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for imAcctScan(t, w, `SELECT count(*) FROM presence_connections WHERE app_id = $1 AND user_id = 'bob'`, w.appID) != want {
			if time.Now().After(deadline) {
				t.Fatalf("bob's presence rows never became %d", want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// carol stays offline: her push shows that the messages sent before it were looked at.
	marker := 0
	noNewPushFor := func(token string, had int) {
		t.Helper()
		marker++
		send("carol", "marker")
		waitPushed("carol-pixel-0001", marker)
		time.Sleep(300 * time.Millisecond) // the offline workers run side by side
		if n := len(pushed(token)); n != had {
			t.Errorf("%s got %d pushes, want %d", token, n, had)
		}
	}

	// bob is offline everywhere: his device gets the message.
	send("bob", "hello bob")
	waitPushed("bob-pixel-0001", 1)
	got := pushed("bob-pixel-0001")[0].Body
	n, _ := got["notification"].(map[string]any)
	data, _ := got["data"].(map[string]any)
	if n["title"] != "Alice W" || n["body"] != "hello bob" || data["chatType"] != "SINGLE" || data["targetId"] != "alice" || data["messageId"] == "" {
		t.Errorf("push %v", got)
	}

	// bob connected to the other instance: no push.
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(other.URL, "http")+"/ws/im?token="+url.QueryEscape(bob), nil)
	if err != nil {
		t.Fatal(err)
	}
	go func() { // read, so that the server's frames and pings are answered
		for {
			if _, _, err := ws.Read(ctx); err != nil {
				return
			}
		}
	}()
	waitPresence(1)
	send("bob", "are you there")
	noNewPushFor("bob-pixel-0001", 1)

	// Gone again, and the conversation muted: no push.
	_ = ws.Close(websocket.StatusNormalClosure, "bye")
	waitPresence(0)
	mute := func(muted bool) {
		t.Helper()
		r, err := w.s.Client.SetConversationMutedWithResponse(ctx, "alice", &api.SetConversationMutedParams{AppId: w.appKey, ChatType: "SINGLE"},
			api.SetConversationMutedJSONRequestBody{Muted: muted}, testserver.Bearer(bob))
		if err != nil || r.JSON200 == nil || r.JSON200.Data.Muted != muted {
			t.Fatalf("mute %v: %v %s", muted, err, r.Body)
		}
	}
	mute(true)
	send("bob", "muted")
	noNewPushFor("bob-pixel-0001", 1)
	mute(false)
	send("bob", "unmuted")
	waitPushed("bob-pixel-0001", 2)
	if body := pushed("bob-pixel-0001")[1].Body["notification"].(map[string]any)["body"]; body != "unmuted" {
		t.Errorf("second push %v", body)
	}
	// The mute route is the caller's own: another app's token is refused.
	r, _ := w.s.Client.SetConversationMutedWithResponse(ctx, "alice", &api.SetConversationMutedParams{AppId: "ak_push_mute_other", ChatType: "SINGLE"},
		api.SetConversationMutedJSONRequestBody{Muted: true}, testserver.Bearer(bob))
	if r.StatusCode() != 403 && r.StatusCode() != 404 {
		t.Errorf("another app's mute: %d", r.StatusCode())
	}

	// A group message is read-diffused (the send names no recipients), yet its offline
	// members are pushed, with the group as the conversation.
	gid := "push_group"
	if r, err := w.s.Client.CreateGroupWithResponse(ctx, &api.CreateGroupParams{AppId: w.appKey},
		api.GroupCreate{Name: "Team", GroupId: &gid, MemberIds: []api.UserId{"bob", "carol"}}, testserver.Bearer(w.im)); err != nil || r.StatusCode() != 200 {
		t.Fatalf("create group: %v %s", err, r.Body)
	}
	had := len(pushed("carol-pixel-0001"))
	if r, err := w.s.Client.SendMessageWithResponse(ctx, &api.SendMessageParams{AppId: w.appKey},
		api.SendMessage{ToId: gid, ChatType: "GROUP", MsgType: "TEXT", Content: "to the team"}, testserver.Bearer(w.im)); err != nil || r.StatusCode() != 200 {
		t.Fatalf("group send: %v %s", err, r.Body)
	}
	waitPushed("carol-pixel-0001", had+1)
	last := pushed("carol-pixel-0001")[had].Body
	if d, _ := last["data"].(map[string]any); d["chatType"] != "GROUP" || d["targetId"] != gid {
		t.Errorf("group push %v", last)
	}
	for _, f := range gw.Failures() {
		t.Errorf("gateway: %s", f)
	}
}
