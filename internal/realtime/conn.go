package realtime

import (
	"bufio"
	"context"
	"encoding/json"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/im"
)

// heldEvent is a live event that waits for an earlier one (or for a sync to end).
type heldEvent struct {
	seq   int64
	frame []byte
}

// heldGroupEvent is a live group event that waits for a sync (or the upgrade) to end.
type heldGroupEvent struct {
	group string
	seq   int64
	frame []byte
}

// conn is one device's WebSocket. An idle conn holds one goroutine (its reader, parked in
// a shallow wait: see waitIdle) and no buffers beyond the socket's small ones: the writer
// goroutine exists only while frames wait to be written.
//
// User events reach the device in seq order, each once: lastSeq is the highest event seq
// sent; a live event after a gap is held until the gap fills (from the bus, or from the
// database when the gap outlasts GapWait). Group events are sent as they come (the client
// orders them by groupSeq and fills gaps by sync), except during a sync, when they are held
// and then sent unless the sync replayed them.
type conn struct {
	hub *Hub
	ws  *websocket.Conn
	br  *bufio.Reader // ws's reader (smallBuffers), for waitIdle
	// readable waits until the socket has bytes to read; nil: not a socket (waitIdle
	// then waits in ws.Read).
	readable func()
	// ahead: bytes read ahead of the upgrade wait in ws's reader, but not in its buffer,
	// until the first read (coder/websocket's Accept moves them out of it).
	ahead   bool
	user    im.User
	expires time.Time
	addr    string

	lastActive atomic.Int64 // unix nanoseconds of the last frame or pong read
	lastPing   atomic.Int64

	mu        sync.Mutex
	space     sync.Cond // signalled when the queue shrinks or the conn closes
	lastSeq   int64
	holding   bool // before the first seq is known, and during a sync
	held      []heldEvent
	heldGroup []heldGroupEvent
	heldBytes int // of held and heldGroup
	gapTimer  *time.Timer
	queue     [][]byte
	queued    int // bytes in queue
	inflight  int // bytes of the batch being written
	peak      int // the most bytes queued and in flight at once
	writing   bool
	closed    bool
	closeCode websocket.StatusCode // set: close once the queue is written
	closeWhy  string
	gone      chan struct{} // closed once finish has closed the socket (or had none)
	busy      int           // client frames being handled
	idle      chan struct{} // closed when busy drops to 0, for a shutdown waiting

	// The bucket of client frames (see allow); the reader goroutine's only.
	tokens   float64
	refused  float64
	tokensAt int64 // unix nanoseconds; 0: the bucket is full
}

func (c *conn) touch() { c.lastActive.Store(time.Now().UnixNano()) }

// deliver offers a live event; see conn.
func (c *conn) deliver(seq int64, frame []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	if c.holding {
		c.hold(seq, frame)
		return
	}
	c.offer(seq, frame)
}

// offer sends the event when it is the next one and holds it when it is early. c.mu held.
func (c *conn) offer(seq int64, frame []byte) {
	switch {
	case seq <= c.lastSeq:
		return
	case seq == c.lastSeq+1:
		c.lastSeq = seq
		c.enqueue(frame)
		c.release()
	default:
		c.hold(seq, frame)
		c.armGap()
	}
}

// armGap starts the wait (GapWait) after which the gap before the first held event is read
// from the database, unless it runs already or nothing is held. c.mu held.
func (c *conn) armGap() {
	if len(c.held) > 0 && c.gapTimer == nil {
		c.gapTimer = time.AfterFunc(c.hub.opts.GapWait, c.fillGap)
	}
}

// disarmGap stops the wait for a gap. c.mu held.
func (c *conn) disarmGap() {
	if c.gapTimer != nil {
		c.gapTimer.Stop()
		c.gapTimer = nil
	}
}

// stopHolding ends the holding of live events (the upgrade or a sync is done): the held
// events that are next are sent, the group events but those replayed (see releaseGroups),
// and the wait for a gap begins. c.mu held.
func (c *conn) stopHolding(replayed map[string]int64) {
	c.holding = false
	c.release()
	c.releaseGroups(replayed)
	c.armGap()
}

// deliverGroup offers a live group event; see conn.
func (c *conn) deliverGroup(group string, seq int64, frame []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	if c.holding {
		if !c.canHold(len(frame)) {
			c.closeLocked(websocket.StatusTryAgainLater, "too many events waiting; reconnect and sync")
			return
		}
		c.heldGroup = append(c.heldGroup, heldGroupEvent{group, seq, frame})
		c.heldBytes += len(frame)
		return
	}
	c.enqueue(frame)
}

// releaseGroups sends the group events held during a sync, but those it replayed (at or
// below replayed[group]). c.mu held.
func (c *conn) releaseGroups(replayed map[string]int64) {
	held := c.heldGroup
	c.heldGroup = nil
	for _, e := range held {
		c.heldBytes -= len(e.frame)
		if e.seq > replayed[e.group] {
			c.enqueue(e.frame)
		}
	}
}

func (c *conn) hold(seq int64, frame []byte) {
	if !c.canHold(len(frame)) {
		c.closeLocked(websocket.StatusTryAgainLater, "too many events waiting; reconnect and sync")
		return
	}
	i, found := slices.BinarySearchFunc(c.held, seq, func(e heldEvent, s int64) int { return int(e.seq - s) })
	if !found {
		c.held = slices.Insert(c.held, i, heldEvent{seq, frame})
		c.heldBytes += len(frame)
	}
}

// canHold tells whether one more event of n bytes may be held: at most MaxHeld of them, and
// no more bytes than the send buffer takes (SendQueueBytes), which they must all fit in once
// released. c.mu held.
func (c *conn) canHold(n int) bool {
	return len(c.held)+len(c.heldGroup) < c.hub.opts.MaxHeld && (c.heldBytes == 0 || c.heldBytes+n <= c.hub.opts.SendQueueBytes)
}

// release sends the held events that have become next. c.mu held.
func (c *conn) release() {
	for len(c.held) > 0 && c.held[0].seq <= c.lastSeq+1 {
		e := c.held[0]
		c.held = c.held[1:]
		c.heldBytes -= len(e.frame)
		if e.seq == c.lastSeq+1 {
			c.lastSeq = e.seq
			c.enqueue(e.frame)
		}
	}
	if len(c.held) == 0 {
		c.held = nil
		c.disarmGap()
	}
}

// fillGap loads the events a held one waits for from the database: they are stored
// before any later one is (a user's event seqs are given under a row lock).
func (c *conn) fillGap() {
	c.mu.Lock()
	c.gapTimer = nil
	if c.closed || c.holding || len(c.held) == 0 {
		c.mu.Unlock()
		return
	}
	from, until := c.lastSeq, c.held[0].seq
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	events, err := c.hub.backend.EventsAfter(ctx, c.user, from, int(min(until-from-1, 500)), c.hub.opts.SyncBatchBytes)
	if err != nil {
		c.hub.opts.Log.Warn("fill event gap", "err", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range events {
		if e.Seq < until {
			c.offer(e.Seq, eventFrame(e.Type, e.Seq, e.Data))
		}
	}
	if len(c.held) > 0 && c.held[0].seq > c.lastSeq+1 && c.lastSeq < until-1 && len(events) == 0 {
		c.lastSeq = until - 1 // nothing to wait for: the events are gone
		c.release()
	}
	c.armGap()
}

// enqueue queues a frame without waiting; a full queue closes the conn (1013), so that a
// slow client cannot hold anyone up, nor the server's memory. c.mu held.
func (c *conn) enqueue(frame []byte) {
	if c.closed || c.closeCode != 0 {
		return
	}
	if !c.room(len(frame), 1) {
		c.closeLocked(websocket.StatusTryAgainLater, "the client reads too slowly; reconnect and sync")
		return
	}
	c.push(frame)
}

// room tells whether a frame of n bytes fits in the share of the send buffer (1: all of
// it; 2: half) of SendQueue frames and SendQueueBytes bytes, those being written included.
// A frame always fits an empty buffer, however large. c.mu held.
func (c *conn) room(n, share int) bool {
	pending := c.queued + c.inflight
	return len(c.queue) < max(c.hub.opts.SendQueue/share, 1) && (pending == 0 || pending+n <= c.hub.opts.SendQueueBytes/share)
}

// push queues a frame and starts the writer. c.mu held.
func (c *conn) push(frame []byte) {
	c.queue = append(c.queue, frame)
	c.queued += len(frame)
	if p := c.queued + c.inflight; p > c.peak {
		c.peak = p
		c.hub.notePeak(p)
	}
	if !c.writing {
		c.writing = true
		go c.writeLoop()
	}
}

// enqueueWait queues a frame of the conn's own (a reply, a sync's events), waiting for room
// in half the send buffer, so that live events always find the other half.
func (c *conn) enqueueWait(frame []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.enqueueWaitLocked(frame)
}

func (c *conn) enqueueWaitLocked(frame []byte) bool {
	for !c.closed && c.closeCode == 0 && !c.room(len(frame), 2) {
		c.space.Wait()
	}
	if c.closed || c.closeCode != 0 {
		return false
	}
	c.push(frame)
	return true
}

func (c *conn) writeLoop() {
	for {
		c.mu.Lock()
		c.inflight = 0
		if c.closed || len(c.queue) == 0 {
			c.writing = false
			code, why, closed := c.closeCode, c.closeWhy, c.closed
			c.queue, c.queued = nil, 0
			c.space.Broadcast()
			c.mu.Unlock()
			if code != 0 && !closed {
				c.finish(code, why)
			}
			return
		}
		batch := c.queue
		c.queue, c.inflight, c.queued = nil, c.queued, 0
		c.space.Broadcast()
		c.mu.Unlock()
		if !c.write(batch) {
			c.finish(websocket.StatusInternalError, "")
			return
		}
	}
}

// write writes frames until they are written or the conn is to close. One timer bounds
// them all: a context with a deadline would cost each frame a timer of its own.
func (c *conn) write(frames [][]byte) bool {
	stuck := time.AfterFunc(c.hub.opts.WriteTimeout, func() { _ = c.ws.CloseNow() })
	defer stuck.Stop()
	for _, f := range frames {
		if err := c.ws.Write(context.Background(), websocket.MessageText, f); err != nil {
			return false
		}
		if c.cutOff() {
			break
		}
	}
	return true
}

// cutOff tells whether the frames still to write are dropped: the conn is closed, or
// fell too far behind (1013; the client syncs).
func (c *conn) cutOff() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed || c.closeCode == websocket.StatusTryAgainLater
}

// closeLocked ends the conn with code once what is queued is written. c.mu held.
func (c *conn) closeLocked(code websocket.StatusCode, why string) {
	if c.closed || c.closeCode != 0 {
		return
	}
	c.closeCode, c.closeWhy = code, why
	c.held, c.heldGroup, c.heldBytes = nil, nil, 0
	if code == websocket.StatusTryAgainLater {
		c.queue, c.queued = nil, 0 // the client syncs anyway
	}
	c.space.Broadcast()            // an own frame waiting for room is not sent now
	if !c.writing && c.ws != nil { // else the upgrade starts the writer
		c.writing = true
		go c.writeLoop()
	}
}

// finish closes the socket and forgets the conn.
func (c *conn) finish(code websocket.StatusCode, why string) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	c.closeCode, c.closeWhy = code, why // for an upgrade still under way
	c.held, c.heldGroup, c.heldBytes, c.queue, c.queued = nil, nil, 0, nil, 0
	c.disarmGap()
	c.space.Broadcast()
	c.mu.Unlock()
	c.hub.remove(c)
	ws := c.socket()
	if ws == nil {
		close(c.gone)
		return
	}
	if code == 0 {
		_ = ws.CloseNow()
		close(c.gone)
		return
	}
	// Close waits for the client's answer; nobody should wait for that but a shutdown.
	go func() {
		defer close(c.gone)
		_ = ws.Close(code, why)
	}()
}

// goAway closes the conn for a shutdown (1001) once what is queued is written, and waits
// for that until ctx ends.
func (c *conn) goAway(ctx context.Context) {
	c.mu.Lock()
	if c.busy > 0 { // a send under way is answered first
		idle := make(chan struct{})
		c.idle = idle
		c.mu.Unlock()
		select {
		case <-idle:
		case <-ctx.Done():
		}
		c.mu.Lock()
	}
	if c.closed {
		c.mu.Unlock()
		return
	}
	if c.ws == nil { // an upgrade under way closes the socket itself
		c.closed = true
		c.closeCode, c.closeWhy = websocket.StatusGoingAway, "the server is shutting down"
		c.space.Broadcast()
		c.mu.Unlock()
		c.hub.remove(c)
		return
	}
	c.stopHolding(nil) // nothing more is coming to wait for
	c.closeLocked(websocket.StatusGoingAway, "the server is shutting down")
	code := c.closeCode
	c.mu.Unlock()
	select {
	case <-c.gone:
	case <-ctx.Done():
		c.finish(code, "the server is shutting down")
	}
}

// run reads client frames until the conn closes.
func (c *conn) run() {
	ctx := context.Background()
	for {
		c.waitIdle()
		typ, data, err := c.ws.Read(ctx)
		if err != nil {
			c.finish(0, "")
			return
		}
		c.touch()
		if typ != websocket.MessageText {
			c.replyError(nil, fault.Invalidf("frames are JSON text"))
			continue
		}
		if c.closing() {
			continue // read until the close, but answer nothing more
		}
		switch c.allow() {
		case frameThrottled:
			c.replyError(nil, fault.RateLimitedf(time.Second, "too many frames; at most %d a second", c.hub.opts.FramesPerSecond))
			continue
		case frameFlood:
			c.mu.Lock()
			c.closeLocked(websocket.StatusPolicyViolation, "too many frames: more than "+itoa(c.hub.opts.FramesPerSecond)+" a second")
			c.mu.Unlock()
			continue
		}
		c.mu.Lock()
		c.busy++
		c.mu.Unlock()
		c.handle(ctx, data)
		c.mu.Lock()
		if c.busy--; c.busy == 0 && c.idle != nil {
			close(c.idle)
			c.idle = nil
		}
		c.mu.Unlock()
	}
}

// waitIdle waits, when the reader has nothing buffered, until the client sends something.
// The reader of an idle conn is the one goroutine it holds, and what its stack costs is
// a large part of what the conn costs: parked inside ws.Read, sixteen calls deep, it keeps a 4 KiB
// stack, while parked here, eight calls deep, the garbage collector shrinks it to 2 KiB. The
// trade-off: a frame after an idle spell grows the stack again (a copy of a few KiB), and
// costs a recv(MSG_PEEK) call before the read.
func (c *conn) waitIdle() {
	if c.readable == nil || c.ahead {
		c.ahead = false
		return
	}
	// ws reads c.br in ws.Read, on this goroutine, and in its closing handshake (ws.Close),
	// which finish starts only after marking c closed under c.mu: with c.mu held and c
	// open, c.br is this goroutine's alone.
	c.mu.Lock()
	wait := !c.closed && c.br.Buffered() == 0
	c.mu.Unlock()
	if wait {
		c.readable()
	}
}

// What allow makes of a client frame.
const (
	frameServed = iota
	frameThrottled
	frameFlood
)

// allow takes a token from the conn's bucket, which refills at FramesPerSecond up to
// FrameBurst: a frame with one is served; one without is refused (throttled). Refusals
// drain at the same rate; a client that runs up more than FrameBurst of them keeps sending
// regardless, and is closed (frameFlood).
func (c *conn) allow() int {
	rate, burst := float64(c.hub.opts.FramesPerSecond), float64(c.hub.opts.FrameBurst)
	now := time.Now().UnixNano()
	if c.tokensAt == 0 {
		c.tokens = burst
	} else {
		refill := float64(now-c.tokensAt) / float64(time.Second) * rate
		c.tokens, c.refused = min(burst, c.tokens+refill), max(0, c.refused-refill)
	}
	c.tokensAt = now
	switch {
	case c.tokens >= 1:
		c.tokens--
		return frameServed
	case c.refused+1 > burst:
		return frameFlood
	}
	c.refused++
	return frameThrottled
}

// closing tells whether the conn is closed or about to be.
func (c *conn) closing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed || c.closeCode != 0
}

func (c *conn) handle(ctx context.Context, data []byte) {
	f, err := parseFrame(data)
	if err != nil {
		c.replyError(f.ID, err)
		return
	}
	switch f.Type {
	case framePing:
		c.enqueueWait(pongFrame(f.ID))
	case frameSync:
		c.sync(ctx, *f.AfterSeq, f.Groups, f.ID)
	case frameSend:
		in, err := f.sendInput()
		if err != nil {
			c.replyError(f.ID, err)
			return
		}
		m, err := c.hub.backend.Send(ctx, c.user, in)
		if err != nil {
			c.replyError(f.ID, err)
			return
		}
		b, err := json.Marshal(m)
		if err != nil {
			c.replyError(f.ID, err)
			return
		}
		c.enqueueWait(ackFrame(f.ID, b))
	case frameRead:
		d, err := f.readInput()
		if err != nil {
			c.replyError(f.ID, err)
			return
		}
		if _, err := c.hub.backend.MarkRead(ctx, c.user, im.ChatType(d.ChatType), d.TargetID, d.Seq); err != nil {
			c.replyError(f.ID, err)
		}
	}
}

// replyError answers a failed frame with the status the same request would get over HTTP.
func (c *conn) replyError(id *string, err error) {
	f := fault.As(err)
	code := f.Kind.Status()
	msg := f.Message
	if code == 500 {
		c.hub.opts.Log.Error("IM frame failed", "user", c.user.UserID, "err", err)
		msg = "internal error"
	}
	c.enqueueWait(errorFrame(id, code, msg))
}

// syncPage is how many events a sync reads at a time (fewer when they pass
// Options.SyncBatchBytes); syncGroupEvents is the most it replays of one group (a group
// further behind is fetched through group history).
const (
	syncPage        = 200
	syncGroupEvents = 200
)

// sync replays the user's events after after, in order, page by page up to his latest, then
// those of each of groups that he is in, then says where they end (synced). Live events that
// come meanwhile are held and sent after it, those replayed dropped.
func (c *conn) sync(ctx context.Context, after int64, groups []syncGroup, id *string) {
	c.mu.Lock()
	c.holding = true
	c.mu.Unlock()
	last := after
	latest, err := c.hub.backend.LatestEventSeq(ctx, c.user)
	for err == nil && last < latest {
		var events []im.StoredEvent
		if events, err = c.hub.backend.EventsAfter(ctx, c.user, last, syncPage, c.hub.opts.SyncBatchBytes); err != nil || len(events) == 0 {
			break // none left: the rest are gone (an account's events deleted)
		}
		for _, e := range events {
			if !c.enqueueWait(eventFrame(e.Type, e.Seq, e.Data)) {
				return
			}
			last = e.Seq
		}
	}
	latest = max(latest, last)
	var positions []im.GroupPosition
	replayed := map[string]int64{}
	if err == nil {
		positions, err = c.hub.backend.GroupPositions(ctx, c.user)
	}
	if err == nil {
		var ok bool
		if ok, err = c.syncGroups(ctx, groups, positions, replayed); !ok {
			return
		}
	}
	if err != nil {
		c.mu.Lock()
		c.stopHolding(nil)
		c.mu.Unlock()
		c.replyError(id, err)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.enqueueWaitLocked(syncedFrame(id, latest, positions))
	c.lastSeq = max(c.lastSeq, last)
	c.stopHolding(replayed)
}

// syncGroups replays the events of the groups asked for that the user is in, page by page,
// up to syncGroupEvents of each, recording in replayed the last seq sent of each; false: the
// conn closed meanwhile.
func (c *conn) syncGroups(ctx context.Context, groups []syncGroup, positions []im.GroupPosition, replayed map[string]int64) (bool, error) {
	for _, g := range groups {
		i := slices.IndexFunc(positions, func(p im.GroupPosition) bool { return p.GroupID == g.GroupID })
		if i < 0 {
			continue // not his
		}
		last, sent := g.AfterSeq, 0
		for last < positions[i].LatestSeq && sent < syncGroupEvents {
			events, err := c.hub.backend.GroupEventsAfter(ctx, c.user, g.GroupID, last, syncGroupEvents-sent, c.hub.opts.SyncBatchBytes)
			if err != nil {
				return true, err
			}
			if len(events) == 0 {
				break // none he may see (he joined later)
			}
			for _, e := range events {
				if !c.enqueueWait(groupFrame(e.Type, g.GroupID, e.Seq, e.Data)) {
					return false, nil
				}
				replayed[g.GroupID], last = e.Seq, e.Seq
			}
			sent += len(events)
		}
	}
	return true, nil
}

func (c *conn) socket() *websocket.Conn {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ws
}

// kick sends the kicked frame and closes the conn (1008).
func (c *conn) kick(reason, message string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.closeCode != 0 {
		return
	}
	f := kickedFrame(c.lastSeq, reason, message)
	c.queue = append(c.queue, f)
	c.queued += len(f)
	c.closeLocked(websocket.StatusPolicyViolation, reason)
}

// Queued is what waits to be written to this instance's WebSockets: frames and bytes queued,
// the batches being written (one frame each here) and the live events held during syncs.
func (h *Hub) Queued() (frames, bytes int64) {
	for _, c := range h.all() {
		c.mu.Lock()
		frames += int64(len(c.queue) + len(c.held) + len(c.heldGroup))
		if c.inflight > 0 {
			frames++
		}
		bytes += int64(c.queued + c.inflight + c.heldBytes)
		c.mu.Unlock()
	}
	return frames, bytes
}

// QueuePeak is the most bytes one WebSocket has had waiting at once (Options.SendQueueBytes
// bounds it, but for a single larger frame).
func (h *Hub) QueuePeak() int64 { return h.queuePeak.Load() }

func (h *Hub) notePeak(n int) {
	for {
		old := h.queuePeak.Load()
		if int64(n) <= old || h.queuePeak.CompareAndSwap(old, int64(n)) {
			return
		}
	}
}
