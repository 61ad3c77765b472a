package realtime_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/xuqmgroup/xuqm/internal/im"
	"github.com/xuqmgroup/xuqm/internal/realtime"
)

// 1,000 clients of a group read nothing while its messages flow: each is cut off once its
// send buffer is full and forgotten by the server, the bytes waiting for any one of them
// never pass the per-connection bound (nor the hub's total 1,000 of those), and a client in
// the same group that reads gets every message, in order.
func TestNonReadersAreCutOffWithinBoundedMemory(t *testing.T) {
	const deaf, perConn, n = 1000, 24 << 10, 12
	h := startHub(t, realtime.Options{SendQueueBytes: perConn, WriteTimeout: 2 * time.Second, MaxPerAddr: 2 * deaf},
		hubExtras{listen: func(l net.Listener) net.Listener { return smallBuffers{l} }})
	ctx := context.Background()
	users := make([]string, deaf)
	for i := range users {
		users[i] = fmt.Sprintf("u%04d", i)
	}
	if _, err := h.pool.Exec(ctx, `INSERT INTO im_accounts (app_id, user_id) SELECT $1, unnest($2::text[])`, h.apps["one"], users); err != nil {
		t.Fatal(err)
	}
	alice := im.User{AppID: h.apps["one"], UserID: "alice"}
	if _, err := h.im.CreateGroup(ctx, alice, im.GroupCreate{GroupID: "crowd", Name: "Crowd", MemberIDs: []string{"bob"}}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < deaf; i += 500 {
		if _, err := h.im.AddMembers(ctx, alice, "crowd", users[i:i+500]); err != nil {
			t.Fatal(err)
		}
	}

	// The non-readers, with small receive buffers (the server's send buffers are small too),
	// so that a few frames fill what the kernel holds.
	small := &net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	opts := &websocket.DialOptions{HTTPClient: &http.Client{Transport: &http.Transport{DialContext: small.DialContext}}}
	conns := make([]*websocket.Conn, deaf)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < deaf; i += 8 {
				dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				ws, _, err := websocket.Dial(dctx, h.socketURL("one", users[i], 0), opts)
				cancel()
				if err != nil {
					t.Errorf("dial %s: %v", users[i], err)
					return
				}
				conns[i] = ws
			}
		}()
	}
	wg.Wait()
	for _, ws := range conns {
		if ws != nil {
			t.Cleanup(func() { _ = ws.CloseNow() })
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	bob := h.dial("one", "bob")
	h.waitOnline(deaf + 1)

	// What waits to be written, sampled while the messages flow.
	var most int64
	stop, sampled := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			if _, b := h.hub.Queued(); b > most {
				most = b
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	text := strings.Repeat("a", 4000)
	for i := range n {
		if _, err := h.im.Send(ctx, alice, im.SendInput{ToID: "crowd", ChatType: im.Group, MsgType: im.Text, Content: strconv.Itoa(i) + text}); err != nil {
			t.Fatal(err)
		}
		// The reader gets each message before the next is sent.
		if f := bob.nextOf("message"); f.GroupID != "crowd" || !strings.Contains(string(f.Data), `"content":"`+strconv.Itoa(i)+"aaa") {
			t.Fatalf("the reader's message %d: %.100s", i, f.raw)
		}
	}
	close(stop)
	<-sampled

	peak := h.hub.QueuePeak()
	t.Logf("most bytes waiting for one connection %d, for all %d", peak, most)
	if peak > perConn || peak < perConn/2 {
		t.Errorf("most bytes waiting for one connection: %d, want the buffers filled to at most %d", peak, perConn)
	}
	if most > (deaf+1)*perConn {
		t.Errorf("%d bytes waiting in all, over %d connections × %d", most, deaf+1, perConn)
	}
	// The server lets go of every non-reader; each finds its connection closed, having been
	// sent fewer messages than were sent to the group.
	h.waitOnline(1)
	for i, ws := range conns {
		rctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		got := 0
		var err error
		for err == nil {
			if _, _, err = ws.Read(rctx); err == nil {
				got++
			}
		}
		cancel()
		if errors.Is(err, context.DeadlineExceeded) || got >= n {
			t.Fatalf("non-reader %d: %d of %d messages, then %v; want its connection closed by the server", i, got, n, err)
		}
	}
	if _, b := h.hub.Queued(); b != 0 {
		t.Errorf("%d bytes still waiting for the one reader", b)
	}
}

// A client that floods frames is throttled (429 for each frame past the bucket) and, as it
// goes on regardless, closed with 1008 and a reason; another client meanwhile is served.
func TestFloodingClientIsThrottledThenClosed(t *testing.T) {
	h := startHub(t, realtime.Options{FramesPerSecond: 5, FrameBurst: 5}, hubExtras{})
	flood, calm := h.dial("one", "alice"), h.dial("one", "bob")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := range 200 {
		if err := flood.ws.Write(ctx, websocket.MessageText, []byte(`{"type":"ping","id":"`+strconv.Itoa(i)+`"}`)); err != nil {
			break // closed by the server
		}
	}
	var pongs, throttled int
read:
	for {
		var f frame
		select {
		case got, ok := <-flood.frames:
			if !ok {
				break read
			}
			f = got
		case <-time.After(15 * time.Second):
			t.Fatalf("the flooder is still connected after %d pongs and %d refusals", pongs, throttled)
		}
		switch {
		case f.Type == "pong":
			pongs++
		case f.Type == "error" && strings.Contains(string(f.Data), `"code":429`):
			throttled++
		default:
			t.Fatalf("flooder got %s", f.raw)
		}
	}
	var ce websocket.CloseError
	if err := <-flood.closed; !errors.As(err, &ce) || ce.Code != websocket.StatusPolicyViolation || !strings.Contains(ce.Reason, "too many frames") {
		t.Fatalf("the flooder's connection ended with %v, want 1008 too many frames", err)
	}
	if throttled == 0 || pongs+throttled >= 200 {
		t.Fatalf("the flooder got %d pongs and %d refusals of 200 frames, want some refused, then the close", pongs, throttled)
	}
	for i := range 3 {
		calm.send(map[string]any{"type": "ping", "id": "calm" + strconv.Itoa(i)})
		if f := calm.next(); f.Type != "pong" || f.ID != "calm"+strconv.Itoa(i) {
			t.Fatalf("the other client's ping: %s", f.raw)
		}
	}
}

// A client that asks for a sync of a long backlog and reads nothing: the sync waits for room
// in its send buffer, the live events that come meanwhile are held for it within the same
// bound, and the connection is cut off rather than holding them all.
func TestLiveEventsHeldDuringAStuckSyncAreBounded(t *testing.T) {
	const perConn = 24 << 10
	h := startHub(t, realtime.Options{SendQueueBytes: perConn, WriteTimeout: 2 * time.Second},
		hubExtras{listen: func(l net.Listener) net.Listener { return smallBuffers{l} }})
	text := strings.Repeat("b", 4000)
	for i := range 30 {
		h.send("one", "alice", "bob", "backlog "+strconv.Itoa(i)+text)
	}
	small := &net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	deaf := h.dialDeaf("one", "bob", &websocket.DialOptions{HTTPClient: &http.Client{Transport: &http.Transport{DialContext: small.DialContext}}})
	h.waitOnline(1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := deaf.Write(ctx, websocket.MessageText, []byte(`{"type":"sync","afterSeq":0}`)); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		if _, b := h.hub.Queued(); b > 0 {
			break // the sync is under way, and cannot end: its events do not fit
		}
		if time.Now().After(deadline) {
			t.Fatal("the sync queued nothing")
		}
		time.Sleep(5 * time.Millisecond)
	}
	var most int64
	for i := range 30 {
		h.send("one", "alice", "bob", "live "+strconv.Itoa(i)+text)
		if _, b := h.hub.Queued(); b > most {
			most = b
		}
	}
	t.Logf("most bytes queued and held: %d", most)
	if most > 2*perConn {
		t.Errorf("%d bytes queued and held for one connection, over twice its %d", most, perConn)
	}
	h.waitOnline(0)
	frames, _ := readAll(t, deaf)
	if len(frames) >= 60 {
		t.Errorf("the stuck client got all %d events", len(frames))
	}
}

// A client frame of MaxFrameBytes is served; one byte more closes the connection with 1009.
func TestFrameOverTheLimitIsClosedWith1009(t *testing.T) {
	const limit = 1024
	h := startHub(t, realtime.Options{MaxFrameBytes: limit}, hubExtras{})
	c := h.dial("one", "alice")
	frame := func(id string, size int) []byte {
		head := `{"type":"ping","id":"` + id + `","pad":"`
		return []byte(head + strings.Repeat("x", size-len(head)-2) + `"}`)
	}
	c.sendRaw(frame("at", limit))
	if f := c.next(); f.Type != "pong" || f.ID != "at" {
		t.Fatalf("a frame at the limit: %s", f.raw)
	}
	c.sendRaw(frame("over", limit+1))
	if code := c.closedWith(); code != websocket.StatusMessageTooBig {
		t.Fatalf("a frame over the limit closed the connection with %d, want 1009", code)
	}
}
