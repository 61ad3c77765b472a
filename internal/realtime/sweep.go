package realtime

import (
	"context"
	"time"

	"github.com/coder/websocket"
)

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
