package realtime

import (
	"slices"
	"time"

	"github.com/xuqmgroup/xuqm/internal/fault"
)

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
