package realtime

import (
	"slices"

	"github.com/xuqmgroup/xuqm/internal/eventbus"
	"github.com/xuqmgroup/xuqm/internal/im"
)

// subscribe follows the bus subjects the hub acts on: the IM core's deliveries and kicks.
func (h *Hub) subscribe() error {
	for _, s := range []struct {
		subject string
		handle  eventbus.Handler
	}{{DeliverySubject, h.onDeliveries}, {KickSubject, h.onKick}} {
		sub, err := h.bus.Subscribe(s.subject, s.handle)
		if err != nil {
			h.unsubscribe()
			return err
		}
		h.subs = append(h.subs, sub)
	}
	return nil
}

func (h *Hub) unsubscribe() {
	for _, s := range h.subs {
		_ = s.Unsubscribe()
	}
	h.subs = nil
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
