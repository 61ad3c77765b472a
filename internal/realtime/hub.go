// Package realtime is the IM WebSocket (/ws/im): the hub of this instance's connections,
// the frames of openapi/asyncapi.yaml, live delivery of the events the IM core announces
// on the event bus, and sync from the event log.
package realtime

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/xuqmgroup/xuqm/internal/eventbus"
	"github.com/xuqmgroup/xuqm/internal/fault"
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
	// Offline, when set, is told of each one-to-one message event whose recipient has no
	// conn on this instance (offline push); group messages, read-diffused, name no
	// recipients. It must not block.
	Offline func(appID int64, userID string, d *im.Delivery)
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
	set := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	set(&o.PingInterval, 30*time.Second)
	set(&o.IdleTimeout, 75*time.Second)
	set(&o.WriteTimeout, 10*time.Second)
	set(&o.GapWait, 200*time.Millisecond)
	if o.MaxFrameBytes <= 0 {
		o.MaxFrameBytes = 64 << 10
	}
	if o.SendQueue <= 0 {
		o.SendQueue = 512
	}
	if o.SendQueueBytes <= 0 {
		o.SendQueueBytes = 1 << 20
	}
	if o.MaxHeld <= 0 {
		o.MaxHeld = 4096
	}
	if o.FramesPerSecond <= 0 {
		o.FramesPerSecond = 50
	}
	if o.FrameBurst <= 0 {
		o.FrameBurst = 2 * o.FramesPerSecond
	}
	if o.SyncBatchBytes <= 0 {
		o.SyncBatchBytes = 1 << 20
	}
	if o.MaxPerUser <= 0 {
		o.MaxPerUser = 10
	}
	if o.MaxPerAddr <= 0 {
		o.MaxPerAddr = 1000
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
	sub, err := bus.Subscribe(DeliverySubject, h.onDeliveries)
	if err != nil {
		return nil, err
	}
	h.subs = append(h.subs, sub)
	if sub, err = bus.Subscribe(KickSubject, h.onKick); err != nil {
		return nil, err
	}
	h.subs = append(h.subs, sub)
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
	c.holding = false
	if c.closeCode != 0 { // kicked during the upgrade: the kicked frame, then the close
		c.writing = true
		go c.writeLoop()
	} else {
		c.release()
		c.releaseGroups(nil)
		if len(c.held) > 0 && c.gapTimer == nil {
			c.gapTimer = time.AfterFunc(c.hub.opts.GapWait, c.fillGap)
		}
	}
	c.mu.Unlock()
	// A fresh goroutine rather than this one, whose stack grew serving the upgrade.
	go c.run()
	return nil
}

// add registers c, within the limits: past MaxPerAddr it is refused; past MaxPerUser the
// user's oldest conn is kicked, so that a device that reconnects before its old conn has
// timed out is never locked out by it.
func (h *Hub) add(c *conn) error {
	k := userKey{c.user.AppID, c.user.UserID}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return fault.Unavailablef(time.Second, "the server is shutting down; reconnect in a moment")
	}
	if c.addr != "" && h.addrs[c.addr] >= h.opts.MaxPerAddr {
		h.mu.Unlock()
		return fault.RateLimitedf(time.Minute, "too many WebSockets from this address; at most %d at once", h.opts.MaxPerAddr)
	}
	list := h.conns[k]
	var oldest []*conn
	if n := len(list) + 1 - h.opts.MaxPerUser; n > 0 {
		oldest = list[:n]
	}
	h.conns[k] = append(slices.Clone(list), c)
	if c.addr != "" {
		h.addrs[c.addr]++
	}
	h.online.Add(1)
	h.mu.Unlock()
	if h.opts.Presence != nil {
		h.opts.Presence.Connected(k.app, k.user)
	}
	for _, o := range oldest {
		o.kick(KickTooManyConnections, "more than "+itoa(h.opts.MaxPerUser)+" connections of this user; the oldest is closed")
	}
	return nil
}

func (h *Hub) remove(c *conn) {
	k := userKey{c.user.AppID, c.user.UserID}
	h.mu.Lock()
	defer h.mu.Unlock()
	list := h.conns[k]
	i := slices.Index(list, c)
	if i < 0 {
		return
	}
	list = slices.Delete(slices.Clone(list), i, i+1)
	if len(list) == 0 {
		delete(h.conns, k)
	} else {
		h.conns[k] = list
	}
	if c.addr != "" {
		if h.addrs[c.addr]--; h.addrs[c.addr] <= 0 {
			delete(h.addrs, c.addr)
		}
	}
	h.online.Add(-1)
	if h.opts.Presence != nil {
		h.opts.Presence.Disconnected(k.app, k.user)
	}
}

// lookup is the user's conns; the slice is never changed in place.
func (h *Hub) lookup(k userKey) []*conn {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.conns[k]
}

func (h *Hub) all() []*conn {
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := make([]*conn, 0, h.online.Load())
	for _, list := range h.conns {
		out = append(out, list...)
	}
	return out
}

func (h *Hub) onDeliveries(_ string, data []byte) {
	a, err := decodeAnnouncement(data)
	if err != nil {
		h.opts.Log.Warn("drop IM deliveries", "err", err)
		return
	}
	for i := range a.Users {
		d := &a.Users[i]
		for _, r := range d.Recipients {
			conns := h.lookup(userKey{d.AppID, r.UserID})
			if len(conns) == 0 {
				if h.opts.Offline != nil && d.Type == im.EventMessage {
					h.opts.Offline(d.AppID, r.UserID, d)
				}
				continue
			}
			frame := eventFrame(d.Type, r.Seq, d.Data)
			for _, c := range conns {
				c.deliver(r.Seq, frame)
			}
		}
	}
	for i := range a.Groups {
		h.fanOut(&a.Groups[i])
	}
}

// fanOut delivers a group event to the conns of its members on this instance: one frame,
// built once, from the cached member set.
func (h *Hub) fanOut(g *im.GroupDelivery) {
	users, ok, err := h.members.members(g.AppID, g.GroupID, g.MembersSeq)
	if !ok {
		// The members sync it: live delivery is the fast path.
		h.opts.Log.Warn("load group members; the group event waits for sync", "group", g.GroupID, "err", err)
		return
	}
	var frame []byte
	for _, u := range users {
		if slices.Contains(g.Skip, u) {
			continue
		}
		conns := h.lookup(userKey{g.AppID, u})
		if len(conns) == 0 {
			continue
		}
		if frame == nil {
			frame = groupFrame(g.Type, g.GroupID, g.Seq, g.Data)
		}
		for _, c := range conns {
			c.deliverGroup(g.GroupID, g.Seq, frame)
		}
	}
}

// KickSubject is the bus subject of kicks, so that a kick reaches every instance.
const KickSubject = "im.kick"

// Kick reasons (Kicked.reason).
const (
	KickAccountDeleted  = "ACCOUNT_DELETED"
	KickTokenExpired    = "TOKEN_EXPIRED"
	KickTenantDisabled  = "TENANT_DISABLED"
	KickAppDeleted      = "APP_DELETED"
	KickServiceDisabled = "SERVICE_DISABLED"
	// KickTooManyConnections closes a user's oldest conn when he opens more than allowed;
	// unlike the others, that device may reconnect.
	KickTooManyConnections = "TOO_MANY_CONNECTIONS"
)

// Kick closes WebSockets for good: one user's (UserID set) or a whole app's.
type Kick struct {
	AppID   int64  `json:"appId"`
	UserID  string `json:"userId,omitempty"`
	Reason  string `json:"reason"`
	Message string `json:"message,omitempty"`
}

// PublishKick kicks the matching WebSockets on every instance.
func PublishKick(ctx context.Context, bus eventbus.Bus, k Kick) error {
	b, err := json.Marshal(k)
	if err != nil {
		return err
	}
	return bus.Publish(ctx, KickSubject, b)
}

func (h *Hub) onKick(_ string, data []byte) {
	var k Kick
	if err := json.Unmarshal(data, &k); err != nil {
		h.opts.Log.Warn("drop kick", "err", err)
		return
	}
	var conns []*conn
	if k.UserID != "" {
		conns = h.lookup(userKey{k.AppID, k.UserID})
	} else {
		for _, c := range h.all() {
			if c.user.AppID == k.AppID {
				conns = append(conns, c)
			}
		}
	}
	for _, c := range conns {
		c.kick(k.Reason, k.Message)
	}
}

// sweep pings the conns silent for PingInterval, closes those silent too long and kicks those whose token expired.
func (h *Hub) sweep() {
	defer close(h.done)
	tick := time.NewTicker(min(h.opts.PingInterval, h.opts.IdleTimeout) / 3)
	defer tick.Stop()
	for {
		select {
		case <-h.stop:
			return
		case now := <-tick.C:
			for _, c := range h.all() {
				switch {
				case now.Sub(time.Unix(0, c.lastActive.Load())) > h.opts.IdleTimeout:
					c.finish(websocket.StatusPolicyViolation, "silent for too long")
				case !c.expires.IsZero() && now.After(c.expires):
					c.kick(KickTokenExpired, "the token has expired; log in again and reconnect with the new token")
				case now.Sub(time.Unix(0, c.lastActive.Load())) >= h.opts.PingInterval &&
					now.Sub(time.Unix(0, c.lastPing.Load())) >= h.opts.PingInterval:
					// Only a conn silent for PingInterval is pinged: one whose client sends
					// frames (the SDK's ping frames every 25 s) shows it is alive, and its
					// reader, never woken by a pong, stays parked in waitIdle's shallow wait
					// (a pong is read inside ws.Read, which then waits for the next frame
					// there, on a stack twice as large).
					c.lastPing.Store(now.UnixNano())
					go c.ping()
				}
			}
		}
	}
}

func (c *conn) ping() {
	if c.socket() == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.hub.opts.IdleTimeout)
	defer cancel()
	if c.ws.Ping(ctx) == nil {
		c.touch()
	}
}

// Close closes every WebSocket (1001) once what is queued for it is written, and stops the
// hub; ctx bounds the wait. Drain the IM core first (im.Service.Drain), so that the events
// of the last sends are queued before.
func (h *Hub) Close(ctx context.Context) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	h.mu.Unlock()
	for _, s := range h.subs {
		_ = s.Unsubscribe()
	}
	close(h.stop)
	<-h.done
	var wg sync.WaitGroup
	for _, c := range h.all() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.goAway(ctx)
		}()
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-ctx.Done():
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// bufferSize is the size of a conn's read and write buffers. net/http hands a hijacked
// connection 4 KiB buffers each; frames are small, and an idle conn should cost little.
const bufferSize = 512

// smallBuffers gives the WebSocket small bufio buffers in place of net/http's, and keeps
// the connection and the reader for the conn's idle wait (conn.waitIdle).
type smallBuffers struct {
	http.ResponseWriter
	nc    net.Conn
	br    *bufio.Reader
	ahead bool // bytes were read ahead of the upgrade
}

func (s *smallBuffers) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(s.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	if err := brw.Writer.Flush(); err != nil {
		_ = nc.Close()
		return nil, nil, err
	}
	// Bytes the server read ahead (the start of the first frame) must be in the new
	// reader's buffer: coder/websocket keeps only what is buffered when it takes over.
	n := brw.Reader.Buffered()
	if n == 0 {
		s.nc, s.br = nc, bufio.NewReaderSize(nc, bufferSize)
		return nc, bufio.NewReadWriter(s.br, bufio.NewWriterSize(nc, bufferSize)), nil
	}
	ahead, _ := brw.Reader.Peek(n)
	br := bufio.NewReaderSize(io.MultiReader(bytes.NewReader(bytes.Clone(ahead)), nc), max(bufferSize, n))
	if _, err := br.Peek(n); err != nil {
		_ = nc.Close()
		return nil, nil, err
	}
	s.nc, s.br, s.ahead = nc, br, true
	return nc, bufio.NewReadWriter(br, bufio.NewWriterSize(nc, bufferSize)), nil
}
