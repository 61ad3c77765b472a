package realtime_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/xuqmgroup/xuqm/internal/im"
	"github.com/xuqmgroup/xuqm/internal/realtime"
)

// announce puts a message event for user with seq on the bus, as the IM core does once
// it has stored one.
func (h *hubServer) announce(app, user string, seq int64, content string) {
	h.t.Helper()
	d := im.Delivery{AppID: h.apps[app], Type: im.EventMessage, Recipients: []im.Recipient{{UserID: user, Seq: seq}},
		Data: []byte(`{"id":"` + strconv.FormatInt(seq, 10) + `","clientMsgId":null,"fromId":"alice","toId":"` + user +
			`","chatType":"SINGLE","msgType":"TEXT","content":"` + content + `","seq":` + strconv.FormatInt(seq, 10) +
			`,"createdAt":"2026-01-01T00:00:00Z","editedAt":null,"revoked":false}`)}
	realtime.NewAnnouncer(h.bus, nil).Announce(context.Background(), im.Announcement{Users: []im.Delivery{d}})
}

func TestEarlyEventsWaitForTheirTurn(t *testing.T) {
	h := startHub(t, realtime.Options{GapWait: time.Minute}, hubExtras{})
	bob := h.dial("one", "bob")
	h.announce("one", "bob", 3, "third")
	h.announce("one", "bob", 2, "second")
	h.announce("one", "bob", 2, "second again")
	if !bob.quiet(100 * time.Millisecond) {
		t.Fatal("an event came before the ones it follows")
	}
	h.announce("one", "bob", 1, "first")
	for i, want := range []string{"first", "second", "third"} {
		if f := bob.next(); f.Seq != int64(i+1) || !strings.Contains(string(f.Data), `"content":"`+want+`"`) {
			t.Fatalf("event %d: %s", i, f.raw)
		}
	}
	h.announce("one", "bob", 2, "late repeat")
	h.announce("one", "bob", 4, "fourth")
	if f := bob.next(); f.Seq != 4 {
		t.Fatalf("after a repeat: %s", f.raw)
	}
}

func TestGapsAreFilledFromTheDatabase(t *testing.T) {
	h := startHub(t, realtime.Options{GapWait: 50 * time.Millisecond}, hubExtras{})
	bob := h.dial("one", "bob")
	// Sends through a service on another bus are stored but never announced here, as when
	// an instance's announcement is lost.
	unheard := im.New(h.pool, im.Options{})
	for _, text := range []string{"lost one", "lost two"} {
		if _, err := unheard.Send(context.Background(), im.User{AppID: h.apps["one"], UserID: "alice"},
			im.SendInput{ToID: "bob", ChatType: im.Single, MsgType: im.Text, Content: text}); err != nil {
			t.Fatal(err)
		}
	}
	h.send("one", "alice", "bob", "heard")
	for i, want := range []string{"lost one", "lost two", "heard"} {
		if f := bob.next(); f.Type != "message" || f.Seq != int64(i+1) || !strings.Contains(string(f.Data), `"content":"`+want+`"`) {
			t.Fatalf("event %d: %s", i, f.raw)
		}
	}
	// An event whose predecessors are nowhere (announced by mistake) is delivered after
	// the wait, rather than never.
	h.announce("one", "bob", 9, "ninth")
	if f := bob.next(); f.Seq != 9 {
		t.Fatalf("after a gap of missing events: %s", f.raw)
	}
}

func TestTooManyEarlyEventsCloseTheConnection(t *testing.T) {
	h := startHub(t, realtime.Options{GapWait: time.Minute, MaxHeld: 5}, hubExtras{})
	bob := h.dial("one", "bob")
	for seq := int64(2); seq <= 7; seq++ {
		h.announce("one", "bob", seq, "early")
	}
	if code := bob.closedWith(); code != websocket.StatusTryAgainLater {
		t.Fatalf("closed with %d, want 1013", code)
	}
}

func TestClosingTheHubClosesEveryConnection(t *testing.T) {
	h := startHub(t, realtime.Options{}, hubExtras{})
	conns := []*client{h.dial("one", "alice"), h.dial("one", "bob"), h.dial("two", "carol")}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	h.hub.Close(ctx)
	for i, c := range conns {
		if code := c.closedWith(); code != websocket.StatusGoingAway {
			t.Fatalf("conn %d closed with %d, want 1001", i, code)
		}
	}
	if n := h.hub.Online(); n != 0 {
		t.Fatalf("%d still online", n)
	}
	// A hub that has closed refuses new connections.
	ws, resp, err := websocket.Dial(ctx, h.socketURL("one", "alice", 0), nil)
	if err == nil {
		_ = ws.CloseNow()
		t.Fatal("a closed hub took a connection")
	}
	if resp == nil || resp.StatusCode == 101 {
		t.Fatalf("dial a closed hub: %v", resp)
	}
}
