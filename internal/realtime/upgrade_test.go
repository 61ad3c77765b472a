package realtime_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/xuqmgroup/xuqm/internal/im"
	"github.com/xuqmgroup/xuqm/internal/realtime"
)

// pausedUpgrade is a backend that holds each upgrade at its one database call, between
// the conn's registration and the upgrade itself, until the test lets it go.
type pausedUpgrade struct {
	realtime.Backend
	reached chan struct{}
	proceed chan struct{}
}

func (p *pausedUpgrade) LatestEventSeq(ctx context.Context, u im.User) (int64, error) {
	p.reached <- struct{}{}
	<-p.proceed
	return p.Backend.LatestEventSeq(ctx, u)
}

// upgradeDuring dials alice while the hub is paused in her upgrade, runs during there,
// and returns her conn once upgraded.
func upgradeDuring(t *testing.T, during func(h *hubServer)) *websocket.Conn {
	t.Helper()
	paused := &pausedUpgrade{reached: make(chan struct{}), proceed: make(chan struct{})}
	h := startHub(t, realtime.Options{}, hubExtras{backend: func(b realtime.Backend) realtime.Backend {
		paused.Backend = b
		return paused
	}})
	dialed := make(chan *websocket.Conn, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		ws, _, err := websocket.Dial(ctx, h.socketURL("one", "alice", 0), nil)
		if err != nil {
			t.Error(err)
		}
		dialed <- ws
	}()
	<-paused.reached
	during(h)
	close(paused.proceed)
	ws := <-dialed
	if ws == nil {
		t.FailNow()
	}
	t.Cleanup(func() { _ = ws.CloseNow() })
	return ws
}

func TestKickDuringTheUpgrade(t *testing.T) {
	ws := upgradeDuring(t, func(h *hubServer) {
		if err := realtime.PublishKick(context.Background(), h.bus, realtime.Kick{AppID: h.apps["one"], UserID: "alice", Reason: realtime.KickTenantDisabled}); err != nil {
			t.Fatal(err)
		}
	})
	frames, code := readAll(t, ws)
	if len(frames) != 1 || frames[0].Type != "kicked" || !strings.Contains(string(frames[0].Data), "TENANT_DISABLED") || code != websocket.StatusPolicyViolation {
		t.Fatalf("got %d frames and close %d, want the kicked frame and 1008", len(frames), code)
	}
}

func TestHubClosedDuringTheUpgrade(t *testing.T) {
	ws := upgradeDuring(t, func(h *hubServer) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		h.hub.Close(ctx)
	})
	frames, code := readAll(t, ws)
	if len(frames) != 0 || code != websocket.StatusGoingAway {
		t.Fatalf("got %d frames and close %d, want none and 1001", len(frames), code)
	}
}
