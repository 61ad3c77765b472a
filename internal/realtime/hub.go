// Package realtime is the IM WebSocket (/ws/im): the hub of this instance's connections,
// the frames of openapi/asyncapi.yaml, live delivery of the events the IM core announces
// on the event bus, and sync from the event log.
package realtime

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/xuqmgroup/xuqm/internal/eventbus"
	"github.com/xuqmgroup/xuqm/internal/im"
)

// Backend is what the hub asks of the IM core: the sends and reads of client frames, and
// the stored events of sync. It never decodes nor builds frames: those are the hub's.
type Backend interface {
	Send(ctx context.Context, u im.User, in im.SendInput) (im.Message, error)
	MarkRead(ctx context.Context, u im.User, t im.ChatType, target string, seq *int64) (im.ReadMark, error)
	// EventsAfter and GroupEventsAfter return at most limit events, whose data is at most
	// maxBytes, or one event.
	EventsAfter(ctx context.Context, u im.User, after int64, limit, maxBytes int) ([]im.StoredEvent, error)
	LatestEventSeq(ctx context.Context, u im.User) (int64, error)
	GroupPositions(ctx context.Context, u im.User) ([]im.GroupPosition, error)
	GroupEventsAfter(ctx context.Context, u im.User, groupID string, after int64, limit, maxBytes int) ([]im.StoredEvent, error)
	GroupMembers(ctx context.Context, appID int64, groupID string) (membersSeq int64, users []string, err error)
}

// Options tune the hub; zero values take the defaults of asyncapi.yaml.
type Options struct {
	Log *slog.Logger
	// OriginPatterns are the origins (host globs) an upgrade may come from; "*" allows any.
	OriginPatterns  []string
	PingInterval    time.Duration // 30s
	IdleTimeout     time.Duration // 75s: a conn silent this long is closed
	MaxFrameBytes   int64         // 64 KiB: a larger client frame closes the conn (1009)
	SendQueue       int           // frames waiting per conn before it is cut off (1013)
	MaxHeld         int           // live events held per conn while a sync runs or a gap fills (and SendQueueBytes of them)
	FramesPerSecond int           // client frames a conn may send per second
	WriteTimeout    time.Duration
	GapWait         time.Duration // how long an early event waits before the gap is read from the database
	// SyncBatchBytes is the byte budget of one page of events that a sync reads and queues
	// (XUQM_WS_SYNC_BATCH_BYTES, 1 MiB): the events' data, but at least one event.
	SyncBatchBytes int
	// SendQueueBytes bounds the bytes waiting per conn, those being written included
	// (XUQM_WS_SEND_QUEUE_BYTES, 1 MiB): past it the conn is cut off (1013). A client's own
	// answers and a sync's events fill at most half, waiting for room.
	SendQueueBytes int
	// FrameBurst is how many client frames a conn may send at once (XUQM_WS_FRAME_BURST,
	// twice FramesPerSecond, XUQM_WS_FRAMES_PER_SECOND): past it frames are refused (429)
	// until the bucket refills; a client that sends a burst's worth more regardless is
	// closed (1008).
	FrameBurst int
	// MaxPerUser is how many conns one user may hold (XUQM_WS_MAX_PER_USER, 10): one more
	// closes his oldest. MaxPerAddr is how many one client address may hold
	// (XUQM_WS_MAX_PER_ADDR, 1000): one more is refused (429).
	MaxPerUser int
	MaxPerAddr int
	// Presence, when set, is told of every conn opened and closed (shared presence). It must
	// not block.
	Presence Presence
}

// Presence is told of this instance's connections.
type Presence interface {
	Connected(appID int64, userID string)
	Disconnected(appID int64, userID string)
}

func (o *Options) defaults() {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	orDefault(&o.PingInterval, 30*time.Second)
	orDefault(&o.IdleTimeout, 75*time.Second)
	orDefault(&o.WriteTimeout, 10*time.Second)
	orDefault(&o.GapWait, 200*time.Millisecond)
	orDefault(&o.MaxFrameBytes, 64<<10)
	orDefault(&o.SendQueue, 512)
	orDefault(&o.SendQueueBytes, 1<<20)
	orDefault(&o.MaxHeld, 4096)
	orDefault(&o.FramesPerSecond, 50)
	orDefault(&o.FrameBurst, 2*o.FramesPerSecond)
	orDefault(&o.SyncBatchBytes, 1<<20)
	orDefault(&o.MaxPerUser, 10)
	orDefault(&o.MaxPerAddr, 1000)
}

// orDefault sets *v to d unless it is positive.
func orDefault[T int | int64 | time.Duration](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}

type userKey struct {
	app  int64
	user string
}

// Hub holds this instance's connections.
type Hub struct {
	backend Backend
	bus     eventbus.Bus
	opts    Options
	subs    []eventbus.Subscription

	members *memberCache

	mu     sync.RWMutex
	conns  map[userKey][]*conn
	addrs  map[string]int // conns per client address
	closed bool
	online atomic.Int64

	queuePeak atomic.Int64 // see QueuePeak

	stop chan struct{}
	done chan struct{}
}

// NewHub starts a hub that delivers the events announced on bus.
func NewHub(backend Backend, bus eventbus.Bus, opts Options) (*Hub, error) {
	opts.defaults()
	h := &Hub{backend: backend, bus: bus, opts: opts, members: newMemberCache(backend), conns: map[userKey][]*conn{}, addrs: map[string]int{},
		stop: make(chan struct{}), done: make(chan struct{})}
	if err := h.subscribe(); err != nil {
		return nil, err
	}
	go h.sweep()
	return h, nil
}

// Online is the number of WebSockets open on this instance.
func (h *Hub) Online() int64 { return h.online.Load() }

// Session is who a WebSocket belongs to, known from its token.
type Session struct {
	User      im.User
	ExpiresAt time.Time // the token's expiry: the conn is kicked then
	Addr      string    // the client's address, for the limit per address; "": none
}

// Serve upgrades the request and serves the WebSocket; it returns once the upgrade is
// done, the connection living on in its own goroutine. Authenticate before calling it. An
// error means no upgrade happened and nothing was written.
func (h *Hub) Serve(w http.ResponseWriter, r *http.Request, s Session) error {
	c := &conn{hub: h, user: s.User, expires: s.ExpiresAt, addr: s.Addr, holding: true, gone: make(chan struct{})}
	c.space.L = &c.mu
	c.touch()
	c.lastPing.Store(time.Now().UnixNano())
	// Registered before the upgrade, and knowing the user's latest event, so that every
	// event after the upgrade is delivered live: held until the socket is there.
	if err := h.add(c); err != nil {
		return err
	}
	latest, err := h.backend.LatestEventSeq(r.Context(), s.User)
	if err != nil {
		h.remove(c)
		return err
	}
	c.mu.Lock()
	c.lastSeq = latest
	c.mu.Unlock()
	opts := &websocket.AcceptOptions{
		OriginPatterns:  h.opts.OriginPatterns,
		CompressionMode: websocket.CompressionDisabled,
		OnPongReceived:  func(context.Context, []byte) { c.touch() },
	}
	if slices.Contains(h.opts.OriginPatterns, "*") {
		opts.InsecureSkipVerify = true
	}
	sb := &smallBuffers{ResponseWriter: w}
	ws, err := websocket.Accept(sb, r, opts)
	if err != nil {
		h.remove(c)
		return nil // Accept has answered
	}
	ws.SetReadLimit(h.opts.MaxFrameBytes)
	c.mu.Lock()
	if c.closed { // the hub closed, or the sweep gave up on the conn, during the upgrade
		code, why := c.closeCode, c.closeWhy
		c.mu.Unlock()
		h.remove(c)
		if code == 0 {
			_ = ws.CloseNow()
		} else {
			_ = ws.Close(code, why)
		}
		return nil
	}
	c.ws, c.br, c.readable, c.ahead = ws, sb.br, readableFunc(sb.nc), sb.ahead
	if c.closeCode != 0 { // kicked during the upgrade: the kicked frame, then the close
		c.holding = false
		c.writing = true
		go c.writeLoop()
	} else {
		c.stopHolding(nil)
	}
	c.mu.Unlock()
	// A fresh goroutine rather than this one, whose stack grew serving the upgrade.
	go c.run()
	return nil
}

func itoa(n int) string { return strconv.Itoa(n) }
