package loadtest

import (
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"sync"
	"time"
)

// Env is what every scenario runs against.
type Env struct {
	Target *Target
	Users  *Users
	Probe  *Probe
	Log    io.Writer // progress lines; the report is returned
	runs   int
	start  time.Time
}

// runID names a run in its messages' content, so that a late delivery of an earlier run
// never counts in a later one.
func (e *Env) runID() string {
	e.runs++
	return strconv.FormatInt(time.Now().UnixMilli()%1e8, 36) + "r" + strconv.Itoa(e.runs)
}

func (e *Env) logf(format string, args ...any) {
	if e.Log == nil {
		return
	}
	if e.start.IsZero() {
		e.start = time.Now()
	}
	fmt.Fprintf(e.Log, "[%5.1fs] "+format+"\n", append([]any{time.Since(e.start).Seconds()}, args...)...)
}

// MessageResult is the report of a messaging scenario.
type MessageResult struct {
	Name       string
	Offered    float64 // messages a second
	Duration   time.Duration
	PerMessage int // deliveries each message must get
	Tally      Tally
	Usage      Usage
}

// Rate is accepted messages a second over the measured window.
func (r *MessageResult) Rate() float64 { return float64(r.Tally.Accepted) / r.Duration.Seconds() }

// DeliveryRate is deliveries a second over the measured window.
func (r *MessageResult) DeliveryRate() float64 {
	return float64(r.Tally.Delivered) / r.Duration.Seconds()
}

// CPUPerThousand is server plus PostgreSQL CPU, in cores, per 1,000 messages a second.
func (r *MessageResult) CPUPerThousand() float64 {
	if r.Rate() == 0 || !r.Usage.Measured {
		return math.NaN()
	}
	return (r.Usage.ServerCPU + r.Usage.PGCPU) / (r.Rate() / 1000)
}

// Write prints the full report.
func (r *MessageResult) Write(w io.Writer) {
	t := r.Tally
	fmt.Fprintf(w, "== %s: offered %.0f/s for %s\n", r.Name, r.Offered, r.Duration)
	fmt.Fprintf(w, "   sent %d  accepted %d  refused %d  delivered %d  lost %d  duplicated %d  misrouted %d  stray %d\n",
		t.Sent, t.Accepted, t.RefusedTotal(), t.Delivered, t.Lost, t.Duplicated, t.Misrouted, t.Stray)
	for _, reason := range t.RefusalReasons() {
		fmt.Fprintf(w, "   refused %s: %d\n", reason, t.Refused[reason])
	}
	fmt.Fprintf(w, "   achieved %.0f msg/s, %.0f deliveries/s\n", r.Rate(), r.DeliveryRate())
	fmt.Fprintf(w, "   publish (send→ack)      %s\n", t.Publish.Summarize())
	fmt.Fprintf(w, "   send→delivery           %s\n", t.Delivery.Summarize())
	if r.PerMessage > 1 {
		fmt.Fprintf(w, "   send→last member        %s  (%d of %d messages complete)\n", t.LastDelivery.Summarize(), t.Complete, t.Accepted)
	}
	r.Usage.write(w)
	if r.Usage.Measured {
		fmt.Fprintf(w, "   server+PostgreSQL CPU per 1,000 msg/s: %.0f%% of a core\n", 100*r.CPUPerThousand())
	}
}

func (u Usage) write(w io.Writer) {
	if u.Measured {
		fmt.Fprintf(w, "   server CPU %.0f%% of a core, RSS %s\n", 100*u.ServerCPU, mib(u.ServerRSS))
	}
	if u.PGMeasured {
		fmt.Fprintf(w, "   PostgreSQL CPU %.0f%% of a core, memory (PSS) %s\n", 100*u.PGCPU, mib(u.PGMemory))
	}
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// OneToOne is the one-to-one scenario: Receivers users online over WebSocket, Senders
// other users each with its own token, message k to receiver k mod Receivers.
type OneToOne struct {
	Name                         string
	Receivers, Senders, InFlight int
	Rate                         float64
	Warmup, Duration, Drain      time.Duration
	WebSocketSend                bool // send frames instead of POST /api/im/messages/send
}

// framesPerSecond is what one WebSocket may send (the server's per-connection limit is
// 50 a second); a WebSocket sender above it would be refused with 429.
const framesPerSecond = 40

// Run runs the scenario.
func (o OneToOne) Run(ctx context.Context, e *Env) (*MessageResult, error) {
	if o.WebSocketSend {
		o.Senders = max(o.Senders, int(math.Ceil(o.Rate/framesPerSecond)))
	}
	tokens, err := e.Users.Tokens(ctx, o.Receivers+o.Senders)
	if err != nil {
		return nil, err
	}
	receivers, err := dialAll(ctx, e.Target, tokens[:o.Receivers])
	if err != nil {
		return nil, err
	}
	defer closeAll(receivers)
	to := func(k int) (string, string) { return e.Users.ID(k % o.Receivers), "SINGLE" }
	senderTokens := tokens[o.Receivers:]
	send, sent, err := httpSend(e.Target, senderTokens, max(o.InFlight, 1), to)
	if err != nil {
		return nil, err
	}
	defer sent()
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	if o.WebSocketSend {
		conns, err := dialAll(ctx, e.Target, senderTokens)
		if err != nil {
			return nil, err
		}
		defer closeAll(conns)
		senders := make([]*wsSender, len(conns))
		for i, c := range conns {
			senders[i] = newWSSender(rctx, c)
		}
		send = wsSend(senders, to)
	}
	run := e.runID()
	s := Schedule{Start: time.Now().Add(200 * time.Millisecond), Rate: o.Rate, Warmup: o.Warmup, Duration: o.Duration}
	l := NewLedger(s.Capacity(), 1, s.Window())
	var wg sync.WaitGroup
	for i, ws := range receivers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			user := e.Users.ID(i)
			receive(rctx, ws, run, l.Inbox(), func(f *serverFrame) bool {
				r, k, _, _ := parseContent(f.Data.Content)
				return r == run && k%o.Receivers == i && f.Data.ToID == user && f.Data.ChatType == "SINGLE"
			})
		}()
	}
	e.logf("%s: %d receivers, %d senders, %.0f/s offered, %s warm-up, %s measured", o.Name, o.Receivers, o.Senders, o.Rate, o.Warmup, o.Duration)
	usage := measure(ctx, e.Probe, s.Window())
	drive(ctx, s, l, o.Senders, max(o.InFlight, 1), run, send)
	drain(ctx, l, o.Drain)
	stop()
	closeAll(receivers)
	wg.Wait()
	return &MessageResult{Name: o.Name, Offered: o.Rate, Duration: o.Duration, PerMessage: 1, Tally: l.Tally(), Usage: <-usage}, nil
}

// measure runs the probe over the window, in the background.
func measure(ctx context.Context, p *Probe, w Window) <-chan Usage {
	out := make(chan Usage, 1)
	go func() {
		if p == nil || !sleepUntil(ctx, w.Start) {
			out <- Usage{}
			return
		}
		p.Begin()
		sleepUntil(ctx, w.End)
		out <- p.End()
	}()
	return out
}
