package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Group is the group scenario: a group of Members users, every one online, into which
// Senders of them send over HTTP; each message must reach every member's connection, the
// sender's own included (a user's devices agree).
type Group struct {
	Name                    string
	Members, Senders        int
	InFlight                int
	Rate                    float64
	Warmup, Duration, Drain time.Duration
}

// Run creates the group (POST /api/im/groups as member 0), connects every member and sends.
func (g Group) Run(ctx context.Context, e *Env) (*MessageResult, error) {
	tokens, err := e.Users.Tokens(ctx, g.Members)
	if err != nil {
		return nil, err
	}
	run := e.runID()
	groupID := "lt-" + run
	ids := make([]string, 0, g.Members-1)
	for i := 1; i < g.Members; i++ {
		ids = append(ids, e.Users.ID(i))
	}
	body, _ := json.Marshal(map[string]any{"groupId": groupID, "name": "load " + run, "memberIds": ids})
	h := http.Header{"Authorization": {"Bearer " + tokens[0]}}
	if err := e.Target.call(ctx, http.MethodPost, "/api/im/groups?appId="+e.Target.AppKey, body, "application/json", h, nil); err != nil {
		return nil, fmt.Errorf("create the group: %w", err)
	}
	conns, err := dialAll(ctx, e.Target, tokens)
	if err != nil {
		return nil, err
	}
	defer closeAll(conns)
	s := Schedule{Start: time.Now().Add(500 * time.Millisecond), Rate: g.Rate, Warmup: g.Warmup, Duration: g.Duration}
	l := NewLedger(s.Capacity(), g.Members, s.Window())
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	for _, ws := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			receive(rctx, ws, run, l.Inbox(), func(f *serverFrame) bool {
				return f.groupOf() == groupID
			})
		}()
	}
	// Senders are spread over the members so that no one member's rate limit (if any) decides.
	senders := make([]string, g.Senders)
	for i := range senders {
		senders[i] = tokens[i*g.Members/g.Senders]
	}
	to := func(int) (string, string) { return groupID, "GROUP" }
	e.logf("%s: %d members online, %d senders, %.0f msg/s offered", g.Name, g.Members, g.Senders, g.Rate)
	send, sent, err := httpSend(e.Target, senders, max(g.InFlight, 1), to)
	if err != nil {
		return nil, err
	}
	defer sent()
	usage := measure(ctx, e.Probe, s.Window())
	drive(ctx, s, l, g.Senders, max(g.InFlight, 1), run, send)
	drain(ctx, l, g.Drain)
	stop()
	closeAll(conns)
	wg.Wait()
	return &MessageResult{Name: g.Name, Offered: g.Rate, Duration: g.Duration, PerMessage: g.Members, Tally: l.Tally(), Usage: <-usage}, nil
}
