package realtime

// Connected reports, for the admin's user list, which of ids have a WebSocket open on this
// instance.
func (h *Hub) Connected(appID int64, ids []string) map[string]bool {
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		if len(h.lookup(userKey{app: appID, user: id})) > 0 {
			out[id] = true
		}
	}
	return out
}
