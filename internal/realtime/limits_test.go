package realtime_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/im"
	"github.com/xuqmgroup/xuqm/internal/realtime"
)

// TestConnectionsPerUserAndAddress: a user's connection past the limit closes his oldest
// (kicked, 1008); one past the limit of an address is refused.
func TestConnectionsPerUserAndAddress(t *testing.T) {
	h := startHub(t, realtime.Options{MaxPerUser: 2, MaxPerAddr: 4}, hubExtras{})
	first, second := h.dial("one", "bob"), h.dial("one", "bob")
	h.waitOnline(2)
	third := h.dial("one", "bob")
	if f := first.nextOf("kicked"); !strings.Contains(string(f.Data), `"TOO_MANY_CONNECTIONS"`) {
		t.Fatalf("the oldest: %s", f.raw)
	}
	if code := first.closedWith(); code != websocket.StatusPolicyViolation {
		t.Fatalf("the oldest closed with %d, want 1008", code)
	}
	h.waitOnline(2)
	h.send("one", "alice", "bob", "still here")
	for i, c := range []*client{second, third} {
		if f := c.nextOf("message"); !strings.Contains(string(f.Data), "still here") {
			t.Fatalf("device %d: %s", i, f.raw)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, u := range []string{"alice", "carol", "alice", "carol"} {
		dialURL(t, h.socketURL("one", u, 0)+"&addr=10.0.0.1", nil)
	}
	h.waitOnline(6)
	ws, resp, err := websocket.Dial(ctx, h.socketURL("two", "bob", 0)+"&addr=10.0.0.1", nil)
	if err == nil {
		_ = ws.CloseNow()
		t.Fatal("a fifth connection from one address was taken")
	}
	if resp == nil || resp.StatusCode == http.StatusSwitchingProtocols {
		t.Fatalf("past the address limit: %v", resp)
	}
	// Another address is not held back.
	dialURL(t, h.socketURL("two", "bob", 0)+"&addr=10.0.0.2", nil)
	h.waitOnline(7)
}

// TestShutdownDrainsSendsThenGoesAway: a send under way when the shutdown starts is
// stored, acked and delivered before the connections close with 1001; a send after it is
// refused.
func TestShutdownDrainsSendsThenGoesAway(t *testing.T) {
	h := startHub(t, realtime.Options{}, hubExtras{})
	ctx := context.Background()
	alice, bob := h.dial("one", "alice"), h.dial("one", "bob")
	h.waitOnline(2)
	h.send("one", "alice", "bob", "warm up")
	bob.nextOf("message")
	// A slow database: the pair's chat is locked, so the next send waits.
	tx, err := h.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT 1 FROM im_chats WHERE chat_key = 'alice bob' FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	alice.send(map[string]any{"type": "send", "id": "s1", "data": map[string]any{"toId": "bob", "chatType": "SINGLE", "msgType": "TEXT", "content": "under way"}})
	deadline := time.Now().Add(10 * time.Second)
	for {
		var waiting bool
		if err := h.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%SendSingleMessages%')`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the send never reached the database")
		}
		time.Sleep(10 * time.Millisecond)
	}
	h.im.StopSends()
	if _, err := h.im.Send(ctx, im.User{AppID: h.apps["one"], UserID: "bob"}, im.SendInput{ToID: "alice", ChatType: im.Single, MsgType: im.Text, Content: "too late"}); !fault.Is(err, fault.Unavailable) {
		t.Fatalf("a send after the shutdown began: %v, want unavailable (503)", err)
	}
	drained := make(chan error, 1)
	go func() { drained <- h.im.Drain(ctx) }()
	select {
	case err := <-drained:
		t.Fatalf("the drain did not wait for the send under way (it answered %v)", err)
	case <-time.After(100 * time.Millisecond):
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-drained; err != nil {
		t.Fatal(err)
	}
	closeCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	h.hub.Close(closeCtx)
	if f := alice.nextOf("ack"); !strings.Contains(string(f.Data), "under way") {
		t.Fatalf("alice's ack: %s", f.raw)
	}
	if f := bob.nextOf("message"); !strings.Contains(string(f.Data), "under way") {
		t.Fatalf("bob: %s", f.raw)
	}
	for i, c := range []*client{alice, bob} {
		if code := c.closedWith(); code != websocket.StatusGoingAway {
			t.Fatalf("conn %d closed with %d, want 1001", i, code)
		}
	}
	// An upgrade once the hub is closed: 503, come back (fault.Unavailable).
	ws, resp, err := websocket.Dial(ctx, h.socketURL("one", "carol", 0), nil)
	if err == nil {
		_ = ws.CloseNow()
		t.Fatal("an upgrade after the shutdown was taken")
	}
	if resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("an upgrade after the shutdown: %v, want 503", resp)
	}
}

// TestSendWhileShuttingDownIs503: once the shutdown has begun, a send frame is answered by
// an error frame with the status POST /api/im/messages/send gets then (503).
func TestSendWhileShuttingDownIs503(t *testing.T) {
	h := startHub(t, realtime.Options{}, hubExtras{})
	alice := h.dial("one", "alice")
	h.waitOnline(1)
	h.im.StopSends()
	alice.send(map[string]any{"type": "send", "id": "late", "data": map[string]any{"toId": "bob", "chatType": "SINGLE", "msgType": "TEXT", "content": "too late"}})
	f := alice.nextOf("error")
	if f.ID != "late" || !strings.Contains(string(f.Data), `"code":503`) {
		t.Fatalf("a send during the shutdown: %s, want an error frame with code 503", f.raw)
	}
}
