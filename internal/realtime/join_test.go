package realtime_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/xuqmgroup/xuqm/internal/testserver"
)

type joinRequest struct {
	RequestID string `json:"requestId"`
	UserID    string `json:"userId"`
	Status    string `json:"status"`
}

func TestJoinRequests(t *testing.T) {
	s := testserver.Start(t, map[string]string{"XUQM_IM_GROUP_MAX_MEMBERS": "3"})
	a := newApp(t, s, "ak_join", "alice", "bob", "carol", "dave", "erin")
	other := newApp(t, s, "ak_join_other", "zed")
	alice, bob, carol, dave, erin := a.token(t, "alice"), a.token(t, "bob"), a.token(t, "carol"), a.token(t, "dave"), a.token(t, "erin")
	a.call(t, 200, "POST", "/api/im/groups", alice, nil, `{"groupId":"g_pub","name":"open house","memberIds":["bob"],"public":true}`)
	a.call(t, 200, "POST", "/api/im/groups", alice, nil, `{"groupId":"g_priv","name":"private","memberIds":[]}`)
	aliceWS, carolWS := dial(t, s, alice), dial(t, s, carol)

	a.call(t, 403, "POST", "/api/im/groups/g_priv/join-requests", carol, nil, "")
	a.call(t, 404, "POST", "/api/im/groups/nope/join-requests", carol, nil, "")
	a.call(t, 409, "POST", "/api/im/groups/g_pub/join-requests", bob, nil, "")
	a.call(t, 403, "POST", "/api/im/groups/g_pub/join-requests", other.token(t, "zed"), nil, "")
	req := decode[joinRequest](t, a.call(t, 200, "POST", "/api/im/groups/g_pub/join-requests", carol, url.Values{"remark": {"请让我加入"}}, ""))
	if req.Status != "PENDING" {
		t.Fatalf("join request: %+v", req)
	}
	// The owner is told live (after the events of the groups' creation).
	for f := aliceWS.nextOf("group.event"); !strings.Contains(string(f.Data), `"JOIN_REQUESTED"`); f = aliceWS.nextOf("group.event") {
	}
	a.call(t, 409, "POST", "/api/im/groups/g_pub/join-requests", carol, nil, "")
	dr := decode[joinRequest](t, a.call(t, 200, "POST", "/api/im/groups/g_pub/join-requests", dave, nil, ""))

	// Only the owner and admins see and answer them.
	a.call(t, 403, "GET", "/api/im/groups/g_pub/join-requests", bob, nil, "")
	a.call(t, 403, "POST", "/api/im/groups/g_pub/join-requests/"+req.RequestID+"/accept", bob, nil, "")
	list := decode[page[joinRequest]](t, a.call(t, 200, "GET", "/api/im/groups/g_pub/join-requests", alice, url.Values{"size": {"1"}}, ""))
	if list.TotalElements != 2 || list.TotalPages != 2 || list.Content[0].UserID != "carol" {
		t.Fatalf("pending requests: %+v", list)
	}
	if got := decode[joinRequest](t, a.call(t, 200, "POST", "/api/im/groups/g_pub/join-requests/"+req.RequestID+"/accept", alice, nil, "")); got.Status != "ACCEPTED" {
		t.Fatalf("accepted: %+v", got)
	}
	if f := carolWS.nextOf("group.event"); !strings.Contains(string(f.Data), `"MEMBERS_ADDED"`) || !strings.Contains(string(f.Data), `"carol"`) {
		t.Fatalf("carol learns live: %s", f.raw)
	}
	a.call(t, 409, "POST", "/api/im/groups/g_pub/join-requests/"+req.RequestID+"/reject", alice, nil, "")
	a.call(t, 200, "POST", "/api/im/messages/send", carol, nil, `{"toId":"g_pub","chatType":"GROUP","msgType":"TEXT","content":"hi all"}`)

	// The group is full now (limit 3): dave's request cannot be accepted, erin cannot ask.
	if env := a.call(t, 403, "POST", "/api/im/groups/g_pub/join-requests/"+dr.RequestID+"/accept", alice, nil, ""); !strings.Contains(env.Message, "full") {
		t.Errorf("full group: %q", env.Message)
	}
	a.call(t, 403, "POST", "/api/im/groups/g_pub/join-requests", erin, nil, "")
	if got := decode[joinRequest](t, a.call(t, 200, "POST", "/api/im/groups/g_pub/join-requests/"+dr.RequestID+"/reject", alice, nil, "")); got.Status != "REJECTED" {
		t.Fatalf("rejected: %+v", got)
	}
	a.call(t, 404, "POST", "/api/im/groups/g_priv/join-requests/"+dr.RequestID+"/accept", alice, nil, "")
}
