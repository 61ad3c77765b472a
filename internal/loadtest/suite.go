package loadtest

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"
)

// Suite is the set of scenarios of issue 9, with their sizes.
type Suite struct {
	Scenarios []string // of "idle", "one-to-one", "group", "updates", "prefilled"

	Rates                           []float64 // one-to-one offered rates
	Receivers, Senders, InFlight    int
	Warmup, Duration, ShortDuration time.Duration // ShortDuration: rates above 5,000/s
	Drain                           time.Duration
	WebSocketSend                   bool

	GroupMembers, GroupSenders int
	GroupRate                  float64
	GroupDuration              time.Duration

	IdleSteps     []int
	IdlePerWorker int
	IdleWorker    []string

	UpdateClients  int
	UpdateDuration time.Duration
	AdminPassword  string

	// Prefill, when set, loads the database before the "prefilled" scenario, which then
	// repeats the one-to-one run at PrefilledRate.
	Prefill       func(ctx context.Context) error
	PrefilledRate float64
	Prefilled     string // what Prefill stores, for the table ("1,000,000 messages and …")
}

// Row is one line of the summary table.
type Row struct{ Scenario, Target, Figure string }

// Has tells whether the suite runs scenario name.
func (s *Suite) Has(name string) bool { return slices.Contains(s.Scenarios, name) }

// Run runs the scenarios in a fixed order (idle first, on a server that has done nothing
// else yet, so that its baseline RSS is not inflated by earlier runs' garbage), writes each
// report to w as it ends and returns the table's rows. A scenario that fails is reported
// in its row and the others still run.
func (s *Suite) Run(ctx context.Context, e *Env, w io.Writer) []Row {
	var rows []Row
	fail := func(name string, err error) {
		fmt.Fprintf(w, "== %s failed: %v\n", name, err)
		rows = append(rows, Row{name, "", "failed: " + err.Error()})
	}
	if s.Has("idle") && len(s.IdleSteps) > 0 {
		idle := Idle{Name: "idle WebSockets", Steps: s.IdleSteps, PerWorker: s.IdlePerWorker, Settle: 3 * time.Second, Hold: 10 * time.Minute, Worker: s.IdleWorker}
		r, err := idle.Run(ctx, e)
		if err != nil {
			fail("idle WebSockets", err)
		} else {
			r.Write(w)
			for _, st := range r.Steps {
				added := ""
				if st.Added > 0 {
					added = fmt.Sprintf("; %.1f KiB each over the step before", st.Added/1024)
				}
				rows = append(rows, Row{fmt.Sprintf("%s idle WebSockets", thousands(float64(st.Connections))), "≤ 12 KiB server RSS each",
					fmt.Sprintf("%.1f KiB each (RSS %s over %s; %d failed%s)", st.PerConn/1024, mib(st.ServerRSS), mib(r.Baseline), st.Failed, added)})
			}
		}
	}
	var empty *MessageResult
	if s.Has("one-to-one") {
		for _, rate := range s.Rates {
			r, err := s.oneToOne(fmt.Sprintf("one-to-one, %s/s offered", thousands(rate)), rate).Run(ctx, e)
			if err != nil {
				fail("one-to-one", err)
				continue
			}
			r.Write(w)
			rows = append(rows, oneToOneRows(r)...)
			if rate == s.PrefilledRate {
				empty = r
			}
		}
	}
	if s.Has("group") {
		g := Group{Name: fmt.Sprintf("%d-member group, all online", s.GroupMembers), Members: s.GroupMembers, Senders: s.GroupSenders,
			InFlight: 4, Rate: s.GroupRate, Warmup: s.Warmup, Duration: s.GroupDuration, Drain: s.Drain}
		r, err := g.Run(ctx, e)
		if err != nil {
			fail("group", err)
		} else {
			r.Write(w)
			rows = append(rows, groupRows(r)...)
		}
	}
	if s.Has("updates") {
		u := UpdateChecks{Name: "update checks vs /healthz", Clients: s.UpdateClients, Duration: s.UpdateDuration, AdminPassword: s.AdminPassword}
		r, err := u.Run(ctx, e)
		if err != nil {
			fail("updates", err)
		} else {
			r.Write(w)
			health := r.Rates[0].Rate
			for _, route := range []string{"app-check", "rn-check"} {
				var rate float64
				for _, c := range r.Rates {
					if c.Route == route {
						rate = c.Rate
					}
				}
				rows = append(rows, Row{route + " vs /healthz", "≥ 0.5 of /healthz's rate",
					fmt.Sprintf("%.2f (%s/s vs %s/s)", r.Ratio(route), thousands(rate), thousands(health))})
			}
		}
	}
	if s.Has("prefilled") && s.Prefill != nil {
		if err := s.Prefill(ctx); err != nil {
			fail("prefill", err)
		} else {
			o := s.oneToOne(fmt.Sprintf("one-to-one, %s/s offered, prefilled", thousands(s.PrefilledRate)), s.PrefilledRate)
			r, err := o.Run(ctx, e)
			if err != nil {
				fail("prefilled one-to-one", err)
			} else {
				r.Write(w)
				fig := fmt.Sprintf("%s/s (lost %d, p99 %s)", thousands(r.Rate()), r.Tally.Lost, ms(r.Tally.Delivery.Quantile(0.99)))
				if empty != nil && empty.Rate() > 0 {
					fig += fmt.Sprintf(" vs %s/s before: %+.0f%%", thousands(empty.Rate()), 100*(r.Rate()/empty.Rate()-1))
				}
				rows = append(rows, Row{fmt.Sprintf("one-to-one %s/s, %s stored", thousands(s.PrefilledRate), s.Prefilled),
					"within 10% of the empty database's rate", fig})
			}
		}
	}
	return rows
}

func (s *Suite) oneToOne(name string, rate float64) OneToOne {
	d := s.Duration
	if rate > 5000 && s.ShortDuration > 0 {
		d = s.ShortDuration
	}
	return OneToOne{Name: name, Receivers: s.Receivers, Senders: s.Senders, InFlight: s.InFlight, Rate: rate,
		Warmup: s.Warmup, Duration: d, Drain: s.Drain, WebSocketSend: s.WebSocketSend}
}

func oneToOneRows(r *MessageResult) []Row {
	t := r.Tally
	p99, rate := "— (beyond the targets)", "≥ 5,000/s sustained (the ceiling), 0 lost"
	switch {
	case r.Offered <= 1000:
		p99, rate = "≤ 10 ms", "all of it stored and delivered, 0 lost"
	case r.Offered <= 5000:
		p99, rate = "≤ 30 ms", "≥ 5,000/s sustained, stored and delivered, 0 lost"
	}
	rows := []Row{
		{r.Name, rate,
			fmt.Sprintf("%s/s accepted, %s/s delivered; lost %d, duplicated %d, misrouted %d, refused %d",
				thousands(r.Rate()), thousands(r.DeliveryRate()), t.Lost, t.Duplicated, t.Misrouted, t.RefusedTotal())},
		{"", "send→delivery p99 " + p99,
			fmt.Sprintf("p50 %s, p90 %s, p99 %s, max %s; publish p99 %s", ms(t.Delivery.Quantile(.5)), ms(t.Delivery.Quantile(.9)),
				ms(t.Delivery.Quantile(.99)), ms(t.Delivery.Quantile(1)), ms(t.Publish.Quantile(.99)))},
	}
	if r.Usage.Measured {
		rows = append(rows, Row{"", "server + PostgreSQL CPU ≤ 60% of a core per 1,000/s",
			fmt.Sprintf("%.0f%% per 1,000/s (server %.0f%%, PostgreSQL %.0f%% of a core; server RSS %s)",
				100*r.CPUPerThousand(), 100*r.Usage.ServerCPU, 100*r.Usage.PGCPU, mib(r.Usage.ServerRSS))})
	}
	return rows
}

func groupRows(r *MessageResult) []Row {
	t := r.Tally
	return []Row{
		{fmt.Sprintf("%s, %s msg/s offered", r.Name, thousands(r.Offered)), "≥ 50 msg/s (25,000 deliveries/s)",
			fmt.Sprintf("%s msg/s, %s deliveries/s; lost %d, duplicated %d, misrouted %d", thousands(r.Rate()), thousands(r.DeliveryRate()), t.Lost, t.Duplicated, t.Misrouted)},
		{"", "p99 ≤ 100 ms to the last member",
			fmt.Sprintf("p99 %s to the last member (p50 %s); each delivery p99 %s", ms(t.LastDelivery.Quantile(.99)), ms(t.LastDelivery.Quantile(.5)), ms(t.Delivery.Quantile(.99)))},
	}
}

// WriteTable prints the rows as a Markdown table, which the README takes as it is.
func WriteTable(w io.Writer, rows []Row) {
	fmt.Fprintln(w, "| scenario | target | figure |")
	fmt.Fprintln(w, "|---|---|---|")
	for _, r := range rows {
		fmt.Fprintf(w, "| %s | %s | %s |\n", r.Scenario, r.Target, strings.ReplaceAll(r.Figure, "|", "/"))
	}
}

// thousands prints a rate or count rounded, with thousands separators.
func thousands(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	s := fmt.Sprintf("%.0f", v)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}
