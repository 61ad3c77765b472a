package realtime

import (
	"context"
	"encoding/json"

	"github.com/xuqmgroup/xuqm/internal/eventbus"
)

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
