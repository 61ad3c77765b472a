package realtime_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/xuqmgroup/xuqm/internal/testserver"
)

// Friends, the blacklist and the app's friends-only rule, over HTTP and the WebSocket.

// call sends method path?appId=… with the query q; it fails the test unless the status is want.
func (a *app) call(t *testing.T, want int, method, path, token string, q url.Values, body string) testserver.Envelope {
	t.Helper()
	if q == nil {
		q = url.Values{}
	}
	q.Set("appId", a.key)
	code, env, _ := a.s.Call(t, method, path+"?"+q.Encode(), token, body)
	if code != want {
		t.Fatalf("%s %s: %d %s, want %d", method, path, code, env.Message, want)
	}
	return env
}

func decode[T any](t *testing.T, env testserver.Envelope) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(env.Data, &v); err != nil {
		t.Fatalf("decode %s: %v", env.Data, err)
	}
	return v
}

type friendRequest struct {
	RequestID  string `json:"requestId"`
	FromUserID string `json:"fromUserId"`
	ToUserID   string `json:"toUserId"`
	Remark     string `json:"remark"`
	Status     string `json:"status"`
}

type page[T any] struct {
	Content       []T   `json:"content"`
	Page          int32 `json:"page"`
	Size          int32 `json:"size"`
	TotalElements int64 `json:"totalElements"`
	TotalPages    int32 `json:"totalPages"`
}

func sendText(from, to, text string) string {
	b, _ := json.Marshal(map[string]string{"toId": to, "chatType": "SINGLE", "msgType": "TEXT", "content": text})
	return string(b)
}

func TestFriendRequestsLiveAndInSync(t *testing.T) {
	s := testserver.Start(t, nil)
	a := newApp(t, s, "ak_friends", "alice", "bob", "carol")
	other := newApp(t, s, "ak_friends_other", "dave")
	alice, bob, carol := a.token(t, "alice"), a.token(t, "bob"), a.token(t, "carol")
	bobWS := dial(t, s, bob)
	aliceWS := dial(t, s, alice)

	// Refusals first: oneself, nobody, another app's user, a remark too long.
	a.call(t, 400, "POST", "/api/im/friend-requests", alice, url.Values{"toUserId": {"alice"}}, "")
	a.call(t, 404, "POST", "/api/im/friend-requests", alice, url.Values{"toUserId": {"ghost"}}, "")
	a.call(t, 404, "POST", "/api/im/friend-requests", alice, url.Values{"toUserId": {"dave"}}, "")
	a.call(t, 400, "POST", "/api/im/friend-requests", alice, url.Values{"toUserId": {"bob"}, "remark": {strings.Repeat("x", 201)}}, "")
	// An IM token of another app does not open this app's routes.
	a.call(t, 403, "GET", "/api/im/friends", other.token(t, "dave"), nil, "")

	req := decode[friendRequest](t, a.call(t, 200, "POST", "/api/im/friend-requests", alice, url.Values{"toUserId": {"bob"}, "remark": {"hi 你好"}}, ""))
	if req.Status != "PENDING" || req.Remark != "hi 你好" || req.FromUserID != "alice" {
		t.Fatalf("new request: %+v", req)
	}
	for name, c := range map[string]*client{"bob": bobWS, "alice": aliceWS} {
		f := c.nextOf("friend.request")
		if got := decode[friendRequest](t, testserver.Envelope{Data: f.Data}); got.RequestID != req.RequestID || got.Status != "PENDING" {
			t.Fatalf("%s's live event: %s", name, f.raw)
		}
	}
	// The same request again, or the other way round, is a conflict that says what to do.
	a.call(t, 409, "POST", "/api/im/friend-requests", alice, url.Values{"toUserId": {"bob"}}, "")
	if env := a.call(t, 409, "POST", "/api/im/friend-requests", bob, url.Values{"toUserId": {"alice"}}, ""); !strings.Contains(env.Message, "accept it") {
		t.Errorf("reverse request: %q", env.Message)
	}
	a.call(t, 200, "POST", "/api/im/friend-requests", carol, url.Values{"toUserId": {"bob"}}, "")

	// bob's incoming list is paged; alice's outgoing one has hers.
	in := decode[page[friendRequest]](t, a.call(t, 200, "GET", "/api/im/friend-requests", bob, url.Values{"size": {"1"}}, ""))
	if in.TotalElements != 2 || in.TotalPages != 2 || len(in.Content) != 1 || in.Content[0].FromUserID != "carol" {
		t.Fatalf("bob's incoming, page 0 of size 1: %+v", in)
	}
	in = decode[page[friendRequest]](t, a.call(t, 200, "GET", "/api/im/friend-requests", bob, url.Values{"size": {"1"}, "page": {"1"}}, ""))
	if len(in.Content) != 1 || in.Content[0].FromUserID != "alice" {
		t.Fatalf("bob's incoming, page 1: %+v", in)
	}
	out := decode[page[friendRequest]](t, a.call(t, 200, "GET", "/api/im/friend-requests", alice, url.Values{"direction": {"outgoing"}, "size": {"100"}}, ""))
	if out.TotalElements != 1 || out.Size != 100 || out.Content[0].ToUserID != "bob" {
		t.Fatalf("alice's outgoing: %+v", out)
	}

	// Only the receiver answers, and only once.
	path := "/api/im/friend-requests/" + req.RequestID
	a.call(t, 403, "POST", path+"/accept", carol, nil, "")
	a.call(t, 403, "POST", path+"/accept", alice, nil, "")
	a.call(t, 404, "POST", "/api/im/friend-requests/999999/accept", bob, nil, "")
	if got := decode[friendRequest](t, a.call(t, 200, "POST", path+"/accept", bob, nil, "")); got.Status != "ACCEPTED" {
		t.Fatalf("accepted: %+v", got)
	}
	if f := aliceWS.nextOf("friend.request"); !strings.Contains(string(f.Data), `"ACCEPTED"`) {
		t.Fatalf("alice learns live: %s", f.raw)
	}
	if env := a.call(t, 409, "POST", path+"/reject", bob, nil, ""); !strings.Contains(env.Message, "accepted already") {
		t.Errorf("answered twice: %q", env.Message)
	}
	a.call(t, 409, "POST", "/api/im/friend-requests", alice, url.Values{"toUserId": {"bob"}}, "")

	type friend struct {
		UserID string `json:"userId"`
		Remark string `json:"remark"`
	}
	for user, tok := range map[string]string{"alice": alice, "bob": bob} {
		fs := decode[page[friend]](t, a.call(t, 200, "GET", "/api/im/friends", tok, nil, ""))
		if fs.TotalElements != 1 || fs.Content[0].Remark != "hi 你好" {
			t.Fatalf("%s's friends: %+v", user, fs)
		}
	}
	pending := decode[page[friendRequest]](t, a.call(t, 200, "GET", "/api/im/friend-requests", bob, url.Values{"status": {"PENDING"}}, ""))
	if pending.TotalElements != 1 || pending.Content[0].FromUserID != "carol" {
		t.Fatalf("bob's pending: %+v", pending)
	}
	rejected := decode[friendRequest](t, a.call(t, 200, "POST", "/api/im/friend-requests/"+pending.Content[0].RequestID+"/reject", bob, nil, ""))
	if rejected.Status != "REJECTED" {
		t.Fatalf("rejected: %+v", rejected)
	}

	// A device that was away gets the friend events by sync.
	late := dial(t, s, carol)
	late.send(map[string]any{"type": "sync", "afterSeq": 0})
	var statuses []string
	for {
		f := late.next()
		if f.Type == "synced" {
			break
		}
		if f.Type == "friend.request" {
			statuses = append(statuses, decode[friendRequest](t, testserver.Envelope{Data: f.Data}).Status)
		}
	}
	if strings.Join(statuses, ",") != "PENDING,REJECTED" {
		t.Fatalf("carol's synced friend events: %v", statuses)
	}

	a.call(t, 200, "DELETE", "/api/im/friends/bob", alice, nil, "")
	a.call(t, 404, "DELETE", "/api/im/friends/bob", alice, nil, "")
	if fs := decode[page[friend]](t, a.call(t, 200, "GET", "/api/im/friends", bob, nil, "")); fs.TotalElements != 0 {
		t.Fatalf("bob's friends after the deletion: %+v", fs)
	}

	// Both sides learn of the deletion live (the deleter's own devices too) and by sync.
	type friendDeleted struct {
		UserIDs   []string `json:"userIds"`
		DeletedBy string   `json:"deletedBy"`
	}
	want := `{[alice bob] alice}`
	var bobSeq int64
	for name, c := range map[string]*client{"bob": bobWS, "alice": aliceWS} {
		f := c.nextOf("friend.deleted")
		if got := fmt.Sprint(decode[friendDeleted](t, testserver.Envelope{Data: f.Data})); got != want {
			t.Errorf("%s's live friend.deleted: %s, want %s", name, got, want)
		}
		if f.Seq == 0 {
			t.Errorf("%s's friend.deleted carries no user seq", name)
		}
		if name == "bob" {
			bobSeq = f.Seq
		}
	}
	away := dial(t, s, bob)
	away.send(map[string]any{"type": "sync", "afterSeq": bobSeq - 1})
	var synced []string
	for {
		f := away.next()
		if f.Type == "synced" {
			break
		}
		synced = append(synced, f.Type+" "+fmt.Sprint(decode[friendDeleted](t, testserver.Envelope{Data: f.Data})))
	}
	if len(synced) != 1 || synced[0] != "friend.deleted "+want {
		t.Fatalf("bob's synced events after seq %d: %v", bobSeq-1, synced)
	}
}

func TestBlockedUserCannotReachTheBlocker(t *testing.T) {
	s := testserver.Start(t, nil)
	a := newApp(t, s, "ak_block", "alice", "bob", "carol")
	alice, bob, carol := a.token(t, "alice"), a.token(t, "bob"), a.token(t, "carol")

	a.call(t, 400, "POST", "/api/im/blacklist", bob, url.Values{"blockedUserId": {"bob"}}, "")
	a.call(t, 404, "POST", "/api/im/blacklist", bob, url.Values{"blockedUserId": {"ghost"}}, "")
	a.call(t, 404, "DELETE", "/api/im/blacklist", bob, url.Values{"blockedUserId": {"alice"}}, "")
	a.call(t, 200, "POST", "/api/im/messages/send", alice, nil, sendText("alice", "bob", "before"))

	for range 2 { // blocking twice keeps one entry
		a.call(t, 200, "POST", "/api/im/blacklist", bob, url.Values{"blockedUserId": {"alice"}}, "")
	}
	a.call(t, 200, "POST", "/api/im/blacklist", bob, url.Values{"blockedUserId": {"carol"}}, "")
	type blocked struct {
		UserID string `json:"userId"`
	}
	list := decode[page[blocked]](t, a.call(t, 200, "GET", "/api/im/blacklist", bob, url.Values{"size": {"1"}}, ""))
	if list.TotalElements != 2 || list.TotalPages != 2 || list.Content[0].UserID != "carol" {
		t.Fatalf("bob's blacklist: %+v", list)
	}

	// alice can neither message bob (HTTP or WebSocket), friend-request him nor invite him.
	if env := a.call(t, 403, "POST", "/api/im/messages/send", alice, nil, sendText("alice", "bob", "let me in")); !strings.Contains(env.Message, "bob has blocked you") {
		t.Errorf("HTTP send: %q", env.Message)
	}
	ws := dial(t, s, alice)
	ws.send(map[string]any{"type": "send", "id": "s1", "data": map[string]any{"toId": "bob", "chatType": "SINGLE", "msgType": "TEXT", "content": "psst"}})
	if f := ws.nextOf("error"); f.ID != "s1" || !strings.Contains(string(f.Data), `"code":403`) || !strings.Contains(string(f.Data), "bob has blocked you") {
		t.Fatalf("WebSocket send: %s", f.raw)
	}
	if env := a.call(t, 403, "POST", "/api/im/friend-requests", alice, url.Values{"toUserId": {"bob"}}, ""); !strings.Contains(env.Message, "bob has blocked you") {
		t.Errorf("friend request: %q", env.Message)
	}
	a.call(t, 200, "POST", "/api/im/groups", alice, nil, `{"groupId":"g_block","name":"party","memberIds":[]}`)
	if env := a.call(t, 403, "POST", "/api/im/groups/g_block/members", alice, nil, `{"memberIds":["bob"]}`); !strings.Contains(env.Message, "bob has blocked you") {
		t.Errorf("group invitation: %q", env.Message)
	}
	a.call(t, 403, "POST", "/api/im/groups", alice, nil, `{"name":"another","memberIds":["carol","bob"]}`)
	// The blocker still reaches alice; nothing reached bob.
	a.call(t, 200, "POST", "/api/im/messages/send", bob, nil, sendText("bob", "alice", "I can"))
	h := decode[page[struct{ Content string }]](t, a.call(t, 200, "GET", "/api/im/messages/history/alice", bob, nil, ""))
	if h.TotalElements != 2 {
		t.Fatalf("bob's history with alice: %+v", h)
	}

	a.call(t, 200, "DELETE", "/api/im/blacklist", bob, url.Values{"blockedUserId": {"alice"}}, "")
	a.call(t, 200, "POST", "/api/im/messages/send", alice, nil, sendText("alice", "bob", "after"))
	a.call(t, 200, "POST", "/api/im/groups/g_block/members", alice, nil, `{"memberIds":["bob"]}`)
	// carol is still blocked.
	a.call(t, 403, "POST", "/api/im/messages/send", carol, nil, sendText("carol", "bob", "hi"))
}

func TestFriendsOnlyApp(t *testing.T) {
	s := testserver.Start(t, nil)
	a := newApp(t, s, "ak_friends_only", "alice", "bob")
	b := newApp(t, s, "ak_friends_only_b", "zed")
	tenant, ops := tokens(t, s, a)
	otherTenant, _ := tokens(t, s, b)
	alice, bob := a.token(t, "alice"), a.token(t, "bob")

	if st := decode[struct{ FriendsOnly bool }](t, a.call(t, 200, "GET", "/api/im/admin/settings", tenant, nil, "")); st.FriendsOnly {
		t.Fatal("friendsOnly is on by default")
	}
	a.call(t, 200, "POST", "/api/im/messages/send", alice, nil, sendText("alice", "bob", "default: anyone"))

	// Neither an IM user nor another tenant changes the setting.
	a.call(t, 403, "PUT", "/api/im/admin/settings", alice, nil, `{"friendsOnly":true}`)
	a.call(t, 403, "PUT", "/api/im/admin/settings", otherTenant, nil, `{"friendsOnly":true}`)
	a.call(t, 400, "PUT", "/api/im/admin/settings", tenant, nil, `{}`)
	a.call(t, 200, "POST", "/api/im/messages/send", alice, nil, sendText("alice", "bob", "still anyone"))

	a.call(t, 200, "PUT", "/api/im/admin/settings", ops, nil, `{"friendsOnly":true}`)
	if env := a.call(t, 403, "POST", "/api/im/messages/send", alice, nil, sendText("alice", "bob", "stranger")); !strings.Contains(env.Message, "friends only") {
		t.Errorf("stranger's message: %q", env.Message)
	}
	req := decode[friendRequest](t, a.call(t, 200, "POST", "/api/im/friend-requests", alice, url.Values{"toUserId": {"bob"}}, ""))
	a.call(t, 200, "POST", "/api/im/friend-requests/"+req.RequestID+"/accept", bob, nil, "")
	a.call(t, 200, "POST", "/api/im/messages/send", alice, nil, sendText("alice", "bob", "friends now"))
	a.call(t, 200, "POST", "/api/im/messages/send", bob, nil, sendText("bob", "alice", "yes"))

	logs := decode[page[struct{ Action, ActorType string }]](t, a.call(t, 200, "GET", "/api/im/admin/operation-logs", tenant, nil, ""))
	if logs.TotalElements != 1 || logs.Content[0].Action != "settings.update" || logs.Content[0].ActorType != "OPS" {
		t.Fatalf("operation log: %+v", logs)
	}
	if code, _, _ := s.Call(t, http.MethodGet, "/api/im/admin/settings?appId="+a.key, otherTenant, ""); code != 403 {
		t.Errorf("another tenant reads the settings: %d", code)
	}
}
