package realtime_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/xuqmgroup/xuqm/internal/eventbus"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/im"
	"github.com/xuqmgroup/xuqm/internal/postgres/pgtest"
	"github.com/xuqmgroup/xuqm/internal/realtime"
)

// hubServer is a hub with its own options in front of the real IM core, on a fresh
// database, for what the whole server cannot show quickly: its timeouts, limits and
// kicks. Its WebSocket trusts ?app= and ?user= in place of a token; ?ttl= sets how long
// the session lasts, ?addr= the client address.
type hubServer struct {
	t    *testing.T
	pool *pgxpool.Pool
	hub  *realtime.Hub
	bus  eventbus.Bus
	im   *im.Service
	url  string
	apps map[string]int64
}

// hubExtras change what startHub builds: the listener, and the backend in front of the
// IM core.
type hubExtras struct {
	listen  func(net.Listener) net.Listener
	backend func(realtime.Backend) realtime.Backend
}

func startHub(t *testing.T, opts realtime.Options, extras hubExtras) *hubServer {
	t.Helper()
	pool := pgtest.NewDB(t)
	bus := eventbus.NewLocal()
	svc := im.New(pool, im.Options{Announcer: realtime.NewAnnouncer(bus, nil)})
	var backend realtime.Backend = svc
	if extras.backend != nil {
		backend = extras.backend(svc)
	}
	hub, err := realtime.NewHub(backend, bus, opts)
	if err != nil {
		t.Fatal(err)
	}
	h := &hubServer{t: t, pool: pool, hub: hub, bus: bus, im: svc, apps: map[string]int64{}}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		s := realtime.Session{User: im.User{AppID: h.apps[q.Get("app")], UserID: q.Get("user")}, Addr: q.Get("addr")}
		if ttl, err := time.ParseDuration(q.Get("ttl")); err == nil {
			s.ExpiresAt = time.Now().Add(ttl)
		}
		if err := hub.Serve(w, r, s); err != nil {
			http.Error(w, err.Error(), fault.As(err).Kind.Status())
		}
	}))
	if extras.listen != nil {
		srv.Listener = extras.listen(srv.Listener)
	}
	srv.Start()
	h.url = "ws" + strings.TrimPrefix(srv.URL, "http")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hub.Close(ctx)
		srv.Close()
	})
	for _, app := range []string{"one", "two"} {
		var tenant, id int64
		if err := pool.QueryRow(context.Background(), `INSERT INTO tenants (name, email) VALUES ($1, $1 || '@example.com') RETURNING id`, app).Scan(&tenant); err != nil {
			t.Fatal(err)
		}
		if err := pool.QueryRow(context.Background(), `INSERT INTO apps (tenant_id, app_key, app_secret, name) VALUES ($1, $2, 's', $2) RETURNING id`, tenant, "ak_"+app).Scan(&id); err != nil {
			t.Fatal(err)
		}
		if _, err := pool.Exec(context.Background(), `INSERT INTO im_accounts (app_id, user_id) SELECT $1, unnest('{alice,bob,carol}'::text[])`, id); err != nil {
			t.Fatal(err)
		}
		h.apps[app] = id
	}
	return h
}

// socketURL is the WebSocket URL of user of app, for a session of ttl (0: no expiry).
func (h *hubServer) socketURL(app, user string, ttl time.Duration) string {
	q := url.Values{"app": {app}, "user": {user}}
	if ttl > 0 {
		q.Set("ttl", ttl.String())
	}
	return h.url + "/?" + q.Encode()
}

// dial opens a WebSocket that reads and checks every frame as it comes.
func (h *hubServer) dial(app, user string) *client {
	h.t.Helper()
	return dialURL(h.t, h.socketURL(app, user, 0), nil)
}

// dialDeaf opens a WebSocket that reads nothing until the test does: it answers no ping.
func (h *hubServer) dialDeaf(app, user string, opts *websocket.DialOptions) *websocket.Conn {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, h.socketURL(app, user, 0), opts)
	if err != nil {
		h.t.Fatal(err)
	}
	ws.SetReadLimit(1 << 20)
	h.t.Cleanup(func() { _ = ws.CloseNow() })
	return ws
}

// waitOnline waits until n WebSockets are open.
func (h *hubServer) waitOnline(n int64) {
	h.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for h.hub.Online() != n {
		if time.Now().After(deadline) {
			h.t.Fatalf("%d WebSockets open, want %d", h.hub.Online(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (h *hubServer) send(app, from, to, content string) im.Message {
	h.t.Helper()
	m, err := h.im.Send(context.Background(), im.User{AppID: h.apps[app], UserID: from},
		im.SendInput{ToID: to, ChatType: im.Single, MsgType: im.Text, Content: content})
	if err != nil {
		h.t.Fatal(err)
	}
	return m
}

// readAll reads a deaf conn's frames until it closes; it returns them and the close status.
func readAll(t *testing.T, ws *websocket.Conn) ([]frame, websocket.StatusCode) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var frames []frame
	for {
		_, b, err := ws.Read(ctx)
		if err != nil {
			return frames, websocket.CloseStatus(err)
		}
		checkServerFrame(t, b)
		var f frame
		_ = json.Unmarshal(b, &f)
		f.raw = b
		frames = append(frames, f)
	}
}

// closedWith waits for the client's connection to close and returns the status.
func (c *client) closedWith() websocket.StatusCode {
	c.t.Helper()
	for {
		select {
		case _, ok := <-c.frames:
			if !ok {
				return websocket.CloseStatus(<-c.closed)
			}
		case <-time.After(15 * time.Second):
			c.t.Fatal("the connection is still open")
		}
	}
}

func TestKickedConnectionsGetTheFrameThenClose(t *testing.T) {
	h := startHub(t, realtime.Options{}, hubExtras{})
	bob1, bob2, alice, otherBob := h.dial("one", "bob"), h.dial("one", "bob"), h.dial("one", "alice"), h.dial("two", "bob")
	h.waitOnline(4)
	h.send("one", "alice", "bob", "before the kick")
	if err := realtime.PublishKick(context.Background(), h.bus, realtime.Kick{AppID: h.apps["one"], UserID: "bob", Reason: realtime.KickAccountDeleted, Message: "gone"}); err != nil {
		t.Fatal(err)
	}
	for i, c := range []*client{bob1, bob2} {
		if f := c.next(); f.Type != "message" {
			t.Fatalf("device %d: %s before the kick", i, f.raw)
		}
		f := c.next()
		if f.Type != "kicked" || f.Seq != 1 || !strings.Contains(string(f.Data), `"reason":"ACCOUNT_DELETED"`) {
			t.Fatalf("device %d: %s, want the kicked frame", i, f.raw)
		}
		if code := c.closedWith(); code != websocket.StatusPolicyViolation {
			t.Fatalf("device %d closed with %d, want 1008", i, code)
		}
	}
	// The others keep their connections: alice of the same app, and bob of another.
	for _, c := range []*client{alice, otherBob} {
		c.send(map[string]any{"type": "ping", "id": "still"})
		if f := c.nextOf("pong"); f.ID != "still" {
			t.Fatalf("pong: %s", f.raw)
		}
	}
	h.waitOnline(2)

	// A kick of a whole app closes its connections only.
	if err := realtime.PublishKick(context.Background(), h.bus, realtime.Kick{AppID: h.apps["one"], Reason: realtime.KickAppDeleted}); err != nil {
		t.Fatal(err)
	}
	if f := alice.nextOf("kicked"); !strings.Contains(string(f.Data), `"reason":"APP_DELETED"`) {
		t.Fatalf("app kick: %s", f.raw)
	}
	if code := alice.closedWith(); code != websocket.StatusPolicyViolation {
		t.Fatalf("closed with %d, want 1008", code)
	}
	h.waitOnline(1)
	otherBob.send(map[string]any{"type": "ping"})
	otherBob.nextOf("pong")
}

func TestSilentConnectionsAreClosed(t *testing.T) {
	h := startHub(t, realtime.Options{PingInterval: 30 * time.Millisecond, IdleTimeout: 150 * time.Millisecond}, hubExtras{})
	// alice's client answers the server's pings; bob's reads nothing, so answers none.
	alice := h.dial("one", "alice")
	bob := h.dialDeaf("one", "bob", nil)
	h.waitOnline(1) // bob's, closed by the sweep
	frames, code := readAll(t, bob)
	if code != websocket.StatusPolicyViolation || len(frames) != 0 {
		t.Fatalf("bob's connection closed with %d after %d frames, want 1008 after none", code, len(frames))
	}
	// alice, silent as long but answering pings, is still there.
	alice.send(map[string]any{"type": "ping", "id": "p"})
	if f := alice.nextOf("pong"); f.ID != "p" {
		t.Fatalf("pong: %s", f.raw)
	}
}

func TestExpiredTokenIsKicked(t *testing.T) {
	h := startHub(t, realtime.Options{PingInterval: 30 * time.Millisecond, IdleTimeout: time.Minute}, hubExtras{})
	c := dialURL(t, h.socketURL("one", "alice", 200*time.Millisecond), nil)
	f := c.nextOf("kicked")
	if !strings.Contains(string(f.Data), `"reason":"TOKEN_EXPIRED"`) {
		t.Fatalf("kicked: %s", f.raw)
	}
	if code := c.closedWith(); code != websocket.StatusPolicyViolation {
		t.Fatalf("closed with %d, want 1008", code)
	}
}

func TestTooManyFramesAreRefused(t *testing.T) {
	h := startHub(t, realtime.Options{FramesPerSecond: 5}, hubExtras{})
	c := h.dial("one", "alice")
	// 16 frames at once against a bucket of 10 (twice the rate): some are refused, fewer
	// than would close the connection.
	const n = 16
	for i := range n {
		c.send(map[string]any{"type": "ping", "id": strconv.Itoa(i)})
	}
	refused := 0
	for range n {
		switch f := c.next(); f.Type {
		case "pong":
		case "error":
			var e struct{ Code int }
			_ = json.Unmarshal(f.Data, &e)
			if e.Code != http.StatusTooManyRequests || f.ID != "" {
				t.Fatalf("refusal: %s", f.raw)
			}
			refused++
		default:
			t.Fatalf("answer: %s", f.raw)
		}
	}
	if refused == 0 {
		t.Fatalf("none of %d frames refused", n)
	}
	// The connection stays open: once the bucket refills, frames are served again.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.send(map[string]any{"type": "ping", "id": "later"})
		if f := c.next(); f.Type == "pong" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no frame served after the burst")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// smallBuffers makes every accepted connection's kernel send buffer small, so that a
// client that reads nothing soon stops the server's writes.
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(4096)
	}
	return c, err
}

func TestSlowClientIsCutOffWithoutSlowingOthers(t *testing.T) {
	h := startHub(t, realtime.Options{SendQueue: 16, WriteTimeout: time.Minute},
		hubExtras{listen: func(l net.Listener) net.Listener { return smallBuffers{l} }})
	fast := h.dial("one", "bob")
	small := &net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	slow := h.dialDeaf("one", "bob", &websocket.DialOptions{HTTPClient: &http.Client{Transport: &http.Transport{DialContext: small.DialContext}}})
	h.waitOnline(2)

	// Frames of some 2 KB: a few fill the sockets' buffers, and 16 more the queue. bob's
	// other device gets each message before the next is sent, while the slow one reads
	// nothing.
	const n = 200
	text := strings.Repeat("你", 600)
	for i := range n {
		h.send("one", "alice", "bob", strconv.Itoa(i)+text)
		if f := fast.nextOf("message"); f.Seq != int64(i+1) {
			t.Fatalf("fast device: event %d has seq %d", i, f.Seq)
		}
	}
	// The slow one, reading at last, finds its connection cut off: 1013, the rest dropped.
	frames, code := readAll(t, slow)
	t.Logf("the slow device got %d of %d messages", len(frames), n)
	if code != websocket.StatusTryAgainLater || len(frames) >= n {
		t.Fatalf("slow device: closed with %d after %d frames, want 1013 before all %d", code, len(frames), n)
	}
	for i, f := range frames {
		if f.Type != "message" || f.Seq != int64(i+1) {
			t.Fatalf("slow device: frame %d is %s", i, f.raw[:min(len(f.raw), 80)])
		}
	}
	h.waitOnline(1)
	// It reconnects and syncs the rest.
	again := h.dial("one", "bob")
	again.send(map[string]any{"type": "sync", "afterSeq": len(frames)})
	for i := len(frames); i < n; i++ {
		if f := again.next(); f.Type != "message" || f.Seq != int64(i+1) {
			t.Fatalf("sync: event %d is %s", i, f.raw[:min(len(f.raw), 80)])
		}
	}
	if f := again.next(); f.Type != "synced" || f.Seq != n {
		t.Fatalf("synced: %s", f.raw)
	}
}
