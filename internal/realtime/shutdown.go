package realtime

import (
	"context"
	"sync"
)

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
	h.unsubscribe()
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
