package loadtest_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/xuqmgroup/xuqm/internal/loadtest"
	"github.com/xuqmgroup/xuqm/internal/postgres/pgtest"
	"github.com/xuqmgroup/xuqm/internal/testserver"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const secret = "loadtest-demo-secret"

func env(t *testing.T) *loadtest.Env {
	t.Helper()
	s := testserver.Start(t, map[string]string{"XUQM_DEMO_APP_SECRET": secret})
	target, err := loadtest.NewTarget(s.URL, "ak_demo_chat", secret)
	if err != nil {
		t.Fatal(err)
	}
	// The in-process server's pid is this process's: the probe then reads real /proc figures.
	return &loadtest.Env{Target: target, Users: loadtest.NewUsers(target, "lt"), Probe: &loadtest.Probe{ServerPID: os.Getpid()}}
}

// The tool's own correctness, not the server's speed: at a gentle rate every message sent
// in the window is accepted and delivered exactly once to the receiver it was for.
func TestOneToOneDeliversEverything(t *testing.T) {
	e := env(t)
	for _, ws := range []bool{false, true} {
		name := map[bool]string{false: "http", true: "websocket"}[ws]
		t.Run(name, func(t *testing.T) {
			o := loadtest.OneToOne{Name: name, Receivers: 4, Senders: 3, InFlight: 2, Rate: 40,
				Warmup: 300 * time.Millisecond, Duration: 1500 * time.Millisecond, Drain: 10 * time.Second, WebSocketSend: ws}
			r, err := o.Run(context.Background(), e)
			if err != nil {
				t.Fatal(err)
			}
			assertComplete(t, r, 1)
		})
	}
}

func TestGroupDeliversToEveryMember(t *testing.T) {
	e := env(t)
	g := loadtest.Group{Name: "group", Members: 5, Senders: 2, InFlight: 2, Rate: 10,
		Warmup: 300 * time.Millisecond, Duration: time.Second, Drain: 10 * time.Second}
	r, err := g.Run(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	assertComplete(t, r, 5)
	if r.Tally.LastDelivery.Count() != r.Tally.Accepted {
		t.Errorf("%d messages have a last-member latency, %d were accepted", r.Tally.LastDelivery.Count(), r.Tally.Accepted)
	}
}

func assertComplete(t *testing.T, r *loadtest.MessageResult, perMessage int) {
	t.Helper()
	tl := r.Tally
	if tl.Sent == 0 || tl.Accepted != tl.Sent || tl.RefusedTotal() != 0 {
		t.Errorf("sent %d, accepted %d, refused %v", tl.Sent, tl.Accepted, tl.Refused)
	}
	if tl.Delivered != tl.Accepted*perMessage || tl.Lost != 0 || tl.Duplicated != 0 || tl.Misrouted != 0 || tl.Complete != tl.Accepted {
		t.Errorf("delivered %d of %d, lost %d, duplicated %d, misrouted %d", tl.Delivered, tl.Accepted*perMessage, tl.Lost, tl.Duplicated, tl.Misrouted)
	}
	if tl.Delivery.Count() != tl.Delivered || tl.Publish.Count() != tl.Accepted {
		t.Errorf("%d delivery and %d publish latencies for %d deliveries of %d messages", tl.Delivery.Count(), tl.Publish.Count(), tl.Delivered, tl.Accepted)
	}
	if !r.Usage.Measured || r.Usage.ServerRSS == 0 {
		t.Errorf("no CPU/RSS figures: %+v", r.Usage)
	}
}
