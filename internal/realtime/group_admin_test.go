package realtime_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xuqmgroup/xuqm/internal/testserver"
)

type groupMember struct {
	UserID     string     `json:"userId"`
	Role       string     `json:"role"`
	MutedUntil *time.Time `json:"mutedUntil"`
}

type groupInfo struct {
	GroupID     string `json:"groupId"`
	OwnerID     string `json:"ownerId"`
	MemberCount int    `json:"memberCount"`
	JoinPolicy  string `json:"joinPolicy"`
	MutedAll    bool   `json:"mutedAll"`
	Joinable    *bool  `json:"joinable"`
}

type groupEventData struct {
	Event      string   `json:"event"`
	OperatorID string   `json:"operatorId"`
	UserIDs    []string `json:"userIds"`
	Role       string   `json:"role"`
	GroupSeq   int64    `json:"groupSeq"`
}

// groupEvent is c's next group.event of kind event (earlier ones of other kinds are dropped).
func groupEventOf(t *testing.T, c *client, event string) (frame, groupEventData) {
	t.Helper()
	for {
		f := c.nextOf("group.event")
		var e groupEventData
		if err := json.Unmarshal(f.Data, &e); err != nil {
			t.Fatal(err)
		}
		if e.Event == event {
			return f, e
		}
	}
}

// sendWS sends a group text over c's WebSocket and returns the answer frame (ack or error).
func sendWS(t *testing.T, c *client, id, group, text string) frame {
	t.Helper()
	c.send(map[string]any{"type": "send", "id": id, "data": map[string]any{"toId": group, "chatType": "GROUP", "msgType": "TEXT", "content": text}})
	for {
		f := c.read()
		if (f.Type == "ack" || f.Type == "error") && f.ID == id {
			return f
		}
		c.backlog = append(c.backlog, f)
	}
}

func wsCode(t *testing.T, f frame) int {
	t.Helper()
	if f.Type == "ack" {
		return 200
	}
	var e struct {
		Code int `json:"code"`
	}
	_ = json.Unmarshal(f.Data, &e)
	return e.Code
}

func groupText(group, text string) string {
	return fmt.Sprintf(`{"toId":%q,"chatType":"GROUP","msgType":"TEXT","content":%q}`, group, text)
}

// notices are the texts of the NOTIFY messages in a group's history, oldest first.
func notices(t *testing.T, a *app, token, group string) []string {
	t.Helper()
	p := decode[page[struct {
		MsgType string `json:"msgType"`
		FromID  string `json:"fromId"`
		Content string `json:"content"`
	}]](t, a.call(t, 200, "GET", "/api/im/messages/group-history/"+group, token, url.Values{"size": {"100"}, "msgType": {"NOTIFY"}}, ""))
	var out []string
	for i := len(p.Content) - 1; i >= 0; i-- {
		var c struct {
			Text string `json:"text"`
		}
		_ = json.Unmarshal([]byte(p.Content[i].Content), &c)
		out = append(out, c.Text)
	}
	return out
}

// Roles, mutes and ownership, over HTTP and the WebSocket, each rule beside its refusal.
func TestGroupRolesAndMutes(t *testing.T) {
	s := testserver.Start(t, nil)
	a := newApp(t, s, "ak_roles", "alice", "bob", "carol", "dave", "erin")
	other := newApp(t, s, "ak_roles_other", "zed")
	alice, bob, carol, dave, erin := a.token(t, "alice"), a.token(t, "bob"), a.token(t, "carol"), a.token(t, "dave"), a.token(t, "erin")
	zed := other.token(t, "zed")
	a.call(t, 200, "POST", "/api/im/groups", alice, nil, `{"groupId":"team","name":"Team","memberIds":["bob","carol","dave"]}`)
	bobWS, carolWS, daveWS := dial(t, s, bob), dial(t, s, carol), dial(t, s, dave)

	// Appointing admins: the owner only.
	role := func(who, token, user, to string, want int) groupMember {
		t.Helper()
		return decode[groupMember](t, a.call(t, want, "PUT", "/api/im/groups/team/members/"+user+"/role", token, nil, `{"role":"`+to+`"}`))
	}
	if env := a.call(t, 403, "PUT", "/api/im/groups/team/members/carol/role", bob, nil, `{"role":"ADMIN"}`); !strings.Contains(env.Message, "only the owner") {
		t.Errorf("not the owner: %q", env.Message)
	}
	a.call(t, 400, "PUT", "/api/im/groups/team/members/carol/role", alice, nil, `{"role":"OWNER"}`)
	a.call(t, 403, "PUT", "/api/im/groups/team/members/alice/role", alice, nil, `{"role":"MEMBER"}`)
	a.call(t, 404, "PUT", "/api/im/groups/team/members/erin/role", alice, nil, `{"role":"ADMIN"}`)
	if m := role("alice", alice, "bob", "ADMIN", 200); m.Role != "ADMIN" || m.UserID != "bob" {
		t.Fatalf("bob appointed: %+v", m)
	}
	// Bob learns on his own stream, the others on the group's.
	if f, e := groupEventOf(t, bobWS, "ROLE_CHANGED"); f.Seq == 0 || e.Role != "ADMIN" || e.GroupSeq == 0 {
		t.Fatalf("bob's own role event: %s", f.raw)
	}
	if f, e := groupEventOf(t, carolWS, "ROLE_CHANGED"); f.GroupID != "team" || fmt.Sprint(e.UserIDs) != "[bob]" || e.OperatorID != "alice" {
		t.Fatalf("carol sees bob's role: %s", f.raw)
	}
	// An admin is not the owner: he appoints nobody.
	a.call(t, 403, "PUT", "/api/im/groups/team/members/carol/role", bob, nil, `{"role":"ADMIN"}`)
	role("alice", alice, "carol", "ADMIN", 200)

	// Mutes: the owner and admins; an admin mutes neither the owner nor another admin.
	until := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	mute := `{"mutedUntil":"` + until + `"}`
	if env := a.call(t, 403, "PUT", "/api/im/groups/team/members/carol/mute", dave, nil, mute); !strings.Contains(env.Message, "owner or an admin") {
		t.Errorf("not an admin: %q", env.Message)
	}
	a.call(t, 403, "PUT", "/api/im/groups/team/members/alice/mute", bob, nil, mute)
	if env := a.call(t, 403, "PUT", "/api/im/groups/team/members/carol/mute", bob, nil, mute); !strings.Contains(env.Message, "only the owner may mute admins") {
		t.Errorf("an admin mutes an admin: %q", env.Message)
	}
	a.call(t, 400, "PUT", "/api/im/groups/team/members/dave/mute", bob, nil, `{"mutedUntil":"2020-01-01T00:00:00Z"}`)
	a.call(t, 404, "PUT", "/api/im/groups/team/members/erin/mute", bob, nil, mute)
	if m := decode[groupMember](t, a.call(t, 200, "PUT", "/api/im/groups/team/members/dave/mute", bob, nil, mute)); m.MutedUntil == nil {
		t.Fatalf("dave muted: %+v", m)
	}
	if f, _ := groupEventOf(t, carolWS, "MEMBER_MUTED"); !strings.Contains(string(f.Data), `"mutedUntil"`) {
		t.Fatalf("the mute, live: %s", f.raw)
	}
	// A muted member is refused over HTTP and the WebSocket alike.
	if env := a.call(t, 403, "POST", "/api/im/messages/send", dave, nil, groupText("team", "can I?")); !strings.Contains(env.Message, "muted") {
		t.Errorf("muted HTTP send: %q", env.Message)
	}
	if f := sendWS(t, daveWS, "w1", "team", "can I?"); wsCode(t, f) != 403 {
		t.Fatalf("muted WS send: %s", f.raw)
	}
	members := decode[page[groupMember]](t, a.call(t, 200, "GET", "/api/im/groups/team/members", carol, nil, ""))
	for _, m := range members.Content {
		if (m.UserID == "dave") != (m.MutedUntil != nil) {
			t.Fatalf("members: %+v", members.Content)
		}
	}
	a.call(t, 403, "DELETE", "/api/im/groups/team/members/dave/mute", dave, nil, "")
	if m := decode[groupMember](t, a.call(t, 200, "DELETE", "/api/im/groups/team/members/dave/mute", bob, nil, "")); m.MutedUntil != nil {
		t.Fatalf("dave unmuted: %+v", m)
	}
	a.call(t, 200, "POST", "/api/im/messages/send", dave, nil, groupText("team", "thanks"))

	// The whole group muted: the owner and admins still speak, nobody else.
	a.call(t, 403, "PUT", "/api/im/groups/team/mute", dave, nil, "")
	if g := decode[groupInfo](t, a.call(t, 200, "PUT", "/api/im/groups/team/mute", carol, nil, "")); !g.MutedAll {
		t.Fatalf("muted group: %+v", g)
	}
	groupEventOf(t, daveWS, "GROUP_MUTED")
	if env := a.call(t, 403, "POST", "/api/im/messages/send", dave, nil, groupText("team", "hello?")); !strings.Contains(env.Message, "group team is muted") {
		t.Errorf("group muted HTTP send: %q", env.Message)
	}
	if f := sendWS(t, daveWS, "w2", "team", "hello?"); wsCode(t, f) != 403 {
		t.Fatalf("group muted WS send: %s", f.raw)
	}
	a.call(t, 200, "POST", "/api/im/messages/send", alice, nil, groupText("team", "owner speaks"))
	if f := sendWS(t, bobWS, "w3", "team", "admin speaks"); wsCode(t, f) != 200 {
		t.Fatalf("an admin in a muted group: %s", f.raw)
	}
	// The owner's mute of an admin holds even for him.
	a.call(t, 200, "PUT", "/api/im/groups/team/members/bob/mute", alice, nil, mute)
	a.call(t, 403, "POST", "/api/im/messages/send", bob, nil, groupText("team", "me too"))
	a.call(t, 200, "DELETE", "/api/im/groups/team/members/bob/mute", alice, nil, "")
	a.call(t, 200, "DELETE", "/api/im/groups/team/mute", bob, nil, "")
	a.call(t, 200, "POST", "/api/im/messages/send", dave, nil, groupText("team", "free again"))

	// Ownership: the owner hands it over and stays as a plain member.
	a.call(t, 403, "POST", "/api/im/groups/team/transfer", bob, nil, `{"userId":"dave"}`)
	a.call(t, 404, "POST", "/api/im/groups/team/transfer", alice, nil, `{"userId":"erin"}`)
	a.call(t, 400, "POST", "/api/im/groups/team/transfer", alice, nil, `{"userId":"alice"}`)
	a.call(t, 403, "DELETE", "/api/im/groups/team/members/alice", alice, nil, "")
	if g := decode[groupInfo](t, a.call(t, 200, "POST", "/api/im/groups/team/transfer", alice, nil, `{"userId":"carol"}`)); g.OwnerID != "carol" {
		t.Fatalf("transferred: %+v", g)
	}
	if f, e := groupEventOf(t, carolWS, "OWNER_TRANSFERRED"); f.Seq == 0 || fmt.Sprint(e.UserIDs) != "[carol alice]" {
		t.Fatalf("carol's own transfer event: %s", f.raw)
	}
	groupEventOf(t, daveWS, "OWNER_TRANSFERRED")
	members = decode[page[groupMember]](t, a.call(t, 200, "GET", "/api/im/groups/team/members", dave, nil, ""))
	roles := map[string]string{}
	for _, m := range members.Content {
		roles[m.UserID] = m.Role
	}
	if fmt.Sprint(roles) != "map[alice:MEMBER bob:ADMIN carol:OWNER dave:MEMBER]" {
		t.Fatalf("roles after the transfer: %v", roles)
	}
	a.call(t, 403, "PUT", "/api/im/groups/team/members/dave/role", alice, nil, `{"role":"ADMIN"}`)
	role("carol", carol, "bob", "MEMBER", 200)

	// Another app's user names the group in vain, with his app or with this one.
	for _, try := range []struct{ method, path, body string }{
		{"PUT", "/api/im/groups/team/members/dave/role", `{"role":"ADMIN"}`},
		{"PUT", "/api/im/groups/team/members/dave/mute", mute},
		{"DELETE", "/api/im/groups/team/members/dave/mute", ""},
		{"PUT", "/api/im/groups/team/mute", ""},
		{"DELETE", "/api/im/groups/team/mute", ""},
		{"POST", "/api/im/groups/team/transfer", `{"userId":"dave"}`},
	} {
		if code, _, _ := s.Call(t, try.method, try.path+"?appId="+other.key, zed, try.body); code != 404 {
			t.Errorf("%s %s from another app: %d, want 404", try.method, try.path, code)
		}
		if code, _, _ := s.Call(t, try.method, try.path+"?appId="+a.key, zed, try.body); code != 401 && code != 403 {
			t.Errorf("%s %s with another app's token: %d", try.method, try.path, code)
		}
	}
	_ = erin

	// Every change left its line in the history.
	want := []string{
		"alice made bob an admin", "alice made carol an admin",
		"bob muted dave until", "bob unmuted dave", "carol muted the group: only the owner and admins may post",
		"alice muted bob until", "alice unmuted bob", "bob unmuted the group",
		"alice transferred the group to carol", "carol removed bob as an admin",
	}
	got := notices(t, a, dave, "team")
	if len(got) != len(want) {
		t.Fatalf("notices %q, want %q", got, want)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Fatalf("notice %d: %q, want %q", i, got[i], want[i])
		}
	}
}
