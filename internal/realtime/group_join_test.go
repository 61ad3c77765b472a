package realtime_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuqmgroup/xuqm/internal/testserver"
)

// Join policies FREE, APPROVAL and CLOSED, and the member limit on create, invite and join.
func TestJoinPoliciesAndFullGroups(t *testing.T) {
	s := testserver.Start(t, map[string]string{"XUQM_IM_GROUP_MAX_MEMBERS": "4"})
	a := newApp(t, s, "ak_policy", "alice", "bob", "carol", "dave", "erin", "fred")
	alice, bob, carol, dave, erin := a.token(t, "alice"), a.token(t, "bob"), a.token(t, "carol"), a.token(t, "dave"), a.token(t, "erin")

	// Five members do not fit in a group of at most four.
	if env := a.call(t, 403, "POST", "/api/im/groups", alice, nil, `{"name":"crowd","memberIds":["bob","carol","dave","erin"]}`); !strings.Contains(env.Message, "full") {
		t.Errorf("create a full group: %q", env.Message)
	}
	a.call(t, 400, "POST", "/api/im/groups", alice, nil, `{"name":"x","memberIds":[],"joinPolicy":"OPEN"}`)
	g := decode[groupInfo](t, a.call(t, 200, "POST", "/api/im/groups", alice, nil, `{"groupId":"free","name":"Free","memberIds":["bob"],"public":true,"joinPolicy":"FREE"}`))
	if g.JoinPolicy != "FREE" || g.MutedAll {
		t.Fatalf("free group: %+v", g)
	}
	closed := decode[groupInfo](t, a.call(t, 200, "POST", "/api/im/groups", alice, nil, `{"groupId":"shut","name":"Shut","memberIds":[],"public":true,"joinPolicy":"CLOSED"}`))
	if closed.Joinable != nil && *closed.Joinable {
		t.Fatalf("closed group: %+v", closed)
	}
	if d := decode[groupInfo](t, a.call(t, 200, "GET", "/api/im/groups/shut", carol, nil, "")); d.Joinable == nil || *d.Joinable {
		t.Fatalf("a closed group is not joinable: %+v", d)
	}
	// The default is APPROVAL.
	if d := decode[groupInfo](t, a.call(t, 200, "POST", "/api/im/groups", alice, nil, `{"groupId":"ask","name":"Ask","memberIds":[],"public":true}`)); d.JoinPolicy != "APPROVAL" {
		t.Fatalf("default join policy: %+v", d)
	}
	bobWS, carolWS := dial(t, s, bob), dial(t, s, carol)

	// FREE: a join request is a joining, at once.
	if r := decode[joinRequest](t, a.call(t, 200, "POST", "/api/im/groups/free/join-requests", carol, nil, "")); r.Status != "ACCEPTED" {
		t.Fatalf("free join: %+v", r)
	}
	if f, e := groupEventOf(t, carolWS, "MEMBERS_ADDED"); f.Seq == 0 || fmt.Sprint(e.UserIDs) != "[carol]" {
		t.Fatalf("carol's own joining: %s", f.raw)
	}
	if f, _ := groupEventOf(t, bobWS, "MEMBERS_ADDED"); f.GroupID != "free" {
		t.Fatalf("bob sees carol join: %s", f.raw)
	}
	if f := bobWS.nextOf("message"); f.GroupID != "free" || !strings.Contains(string(f.Data), `carol joined the group`) || !strings.Contains(string(f.Data), `"NOTIFY"`) {
		t.Fatalf("the notice, live: %s", f.raw)
	}
	if f := carolWS.nextOf("message"); !strings.Contains(string(f.Data), `carol joined the group`) {
		t.Fatalf("the joiner gets the notice too: %s", f.raw)
	}

	// CLOSED: refused with a sentence; the owner may open it for approval.
	if env := a.call(t, 403, "POST", "/api/im/groups/shut/join-requests", carol, nil, ""); !strings.Contains(env.Message, "closed") {
		t.Errorf("closed group: %q", env.Message)
	}
	a.call(t, 403, "PUT", "/api/im/groups/shut", carol, nil, `{"joinPolicy":"APPROVAL"}`)
	if u := decode[groupInfo](t, a.call(t, 200, "PUT", "/api/im/groups/shut", alice, nil, `{"joinPolicy":"APPROVAL"}`)); u.JoinPolicy != "APPROVAL" {
		t.Fatalf("reopened: %+v", u)
	}
	// APPROVAL: the request waits for the owner.
	req := decode[joinRequest](t, a.call(t, 200, "POST", "/api/im/groups/shut/join-requests", carol, nil, ""))
	if req.Status != "PENDING" {
		t.Fatalf("approval join: %+v", req)
	}
	a.call(t, 200, "POST", "/api/im/groups/shut/join-requests/"+req.RequestID+"/accept", alice, nil, "")
	if env := a.call(t, 409, "POST", "/api/im/groups/shut/join-requests/"+req.RequestID+"/accept", alice, nil, ""); !strings.Contains(env.Message, "already") {
		t.Errorf("handled twice: %q", env.Message)
	}

	// free has alice, bob, carol: one more fits, two do not, nor a joiner after him.
	if env := a.call(t, 403, "POST", "/api/im/groups/free/members", bob, nil, `{"memberIds":["dave","erin"]}`); !strings.Contains(env.Message, "full") {
		t.Errorf("invite into a full group: %q", env.Message)
	}
	if g := decode[groupInfo](t, a.call(t, 200, "POST", "/api/im/groups/free/members", bob, nil, `{"memberIds":["dave"]}`)); g.MemberCount != 4 {
		t.Fatalf("four members: %+v", g)
	}
	if env := a.call(t, 403, "POST", "/api/im/groups/free/join-requests", erin, nil, ""); !strings.Contains(env.Message, "full") {
		t.Errorf("join a full group: %q", env.Message)
	}
	// A member leaves: there is room again.
	a.call(t, 200, "DELETE", "/api/im/groups/free/members/dave", dave, nil, "")
	a.call(t, 200, "POST", "/api/im/groups/free/join-requests", erin, nil, "")

	// Renames leave a notice; other updates do not.
	a.call(t, 200, "PUT", "/api/im/groups/free", alice, nil, `{"notice":"be nice"}`)
	groupEventOf(t, bobWS, "UPDATED")
	a.call(t, 200, "PUT", "/api/im/groups/free", alice, nil, `{"name":"Freedom"}`)
	groupEventOf(t, bobWS, "RENAMED")
	a.call(t, 200, "DELETE", "/api/im/groups/free/members/erin", alice, nil, "")
	want := "[carol joined the group bob added dave dave left the group erin joined the group alice renamed the group to \"Freedom\" alice removed erin]"
	if got := fmt.Sprint(notices(t, a, bob, "free")); got != want {
		t.Fatalf("notices %s, want %s", got, want)
	}
	// The owner dissolves it: the members get the last notice, then their own DISSOLVED.
	a.call(t, 200, "DELETE", "/api/im/groups/free", alice, nil, "")
	for f := bobWS.nextOf("message"); !strings.Contains(string(f.Data), "alice dissolved the group"); f = bobWS.nextOf("message") {
	}
	if f, _ := groupEventOf(t, bobWS, "DISSOLVED"); f.Seq == 0 {
		t.Fatalf("bob's own dissolution: %s", f.raw)
	}
}

// hookReceiver records the events webhooks deliver to it.
type hookReceiver struct {
	*httptest.Server
	mu     sync.Mutex
	events []map[string]any
}

func newHookReceiver(t *testing.T) *hookReceiver {
	r := &hookReceiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		var v map[string]any
		_ = json.Unmarshal(b, &v)
		r.mu.Lock()
		r.events = append(r.events, v)
		r.mu.Unlock()
	}))
	t.Cleanup(r.Close)
	return r
}

// wait returns the events received once n have come.
func (r *hookReceiver) wait(t *testing.T, n int) []map[string]any {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r.mu.Lock()
		got := append([]map[string]any(nil), r.events...)
		r.mu.Unlock()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d webhook deliveries, want %d: %v", len(got), n, got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Group webhooks: created, members changed (invited, joined, left, removed), dissolved.
func TestGroupWebhooks(t *testing.T) {
	s := testserver.Start(t, map[string]string{"XUQM_WEBHOOK_ALLOW_PRIVATE": "true"})
	a := newApp(t, s, "ak_group_hooks", "alice", "bob", "carol")
	tenant, _ := tokens(t, s, a)
	rcv := newHookReceiver(t)
	a.call(t, 200, "POST", "/api/im/admin/webhooks", tenant, nil,
		`{"url":"`+rcv.URL+`/hook","events":["group.created","group.members.changed","group.dissolved"]}`)
	alice, bob, carol := a.token(t, "alice"), a.token(t, "bob"), a.token(t, "carol")

	// One at a time, so that they arrive in order.
	steps := []func(){
		func() {
			a.call(t, 200, "POST", "/api/im/groups", alice, nil, `{"groupId":"hooked","name":"Hooked","memberIds":[],"public":true,"joinPolicy":"FREE"}`)
		},
		func() { a.call(t, 200, "POST", "/api/im/groups/hooked/members", alice, nil, `{"memberIds":["bob"]}`) },
		func() { a.call(t, 200, "POST", "/api/im/groups/hooked/join-requests", carol, nil, "") },
		func() { a.call(t, 200, "DELETE", "/api/im/groups/hooked/members/bob", bob, nil, "") },
		func() { a.call(t, 200, "DELETE", "/api/im/groups/hooked/members/carol", alice, nil, "") },
		func() { a.call(t, 200, "DELETE", "/api/im/groups/hooked", alice, nil, "") },
	}
	var got []string
	for i, step := range steps {
		step()
		e := rcv.wait(t, i+1)[i]
		b, _ := json.Marshal(e["data"])
		got = append(got, fmt.Sprintf("%s %s", e["event"], b))
	}
	want := []string{
		`group.created {"groupId":"hooked","name":"Hooked","ownerId":"alice"}`,
		`group.members.changed {"added":["bob"],"groupId":"hooked","operatorId":"alice","removed":[]}`,
		`group.members.changed {"added":["carol"],"groupId":"hooked","operatorId":"carol","removed":[]}`,
		`group.members.changed {"added":[],"groupId":"hooked","operatorId":"bob","removed":["bob"]}`,
		`group.members.changed {"added":[],"groupId":"hooked","operatorId":"alice","removed":["carol"]}`,
		`group.dissolved {"groupId":"hooked","name":"Hooked","ownerId":"alice"}`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("webhook events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
