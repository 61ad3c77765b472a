package loadtest

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

const usage = `xuqm-load: load the XuqmGroup server the way its users do, over loopback.

  xuqm-load bench   [flags]  start PostgreSQL and the server (--server-bin), run every scenario, print one table
  xuqm-load run     [flags]  run scenarios against a running server (--url, --server-pid, --pg-pid)
  xuqm-load prefill [flags]  insert history into the server's database (--database-url)

Run a command with -h for its flags.
`

// Main runs the tool; it returns the process's exit code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	raiseOpenFiles() // a thousand receivers and the senders' connections, and more with larger runs
	var err error
	switch args[0] {
	case "bench":
		err = benchCommand(ctx, args[1:], stdout, stderr)
	case "run":
		err = runCommand(ctx, args[1:], stdout, stderr)
	case "prefill":
		err = prefillCommand(ctx, args[1:], stderr)
	case "idle-worker":
		err = workerCommand(ctx, args[1:], stdin, stdout)
	default:
		fmt.Fprint(stderr, usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "xuqm-load:", err)
		return 1
	}
	return 0
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

// suiteFlags declares the scenario flags shared by bench and run; short picks the
// durations of `make bench` (the whole under 5 minutes).
func suiteFlags(fs *flag.FlagSet, short bool) func() (Suite, error) {
	d, sd, gd := 20*time.Second, 20*time.Second, 20*time.Second
	if short {
		d, sd, gd = 20*time.Second, 10*time.Second, 10*time.Second
	}
	scenarios := fs.String("scenarios", "idle,one-to-one,group,updates", "comma list of idle, one-to-one, group, updates, prefilled (loads 1,000,000 messages first; see make bench-prefilled)")
	rates := fs.String("rates", "1000,5000,10000", "one-to-one offered rates, messages a second")
	receivers := fs.Int("receivers", 1000, "one-to-one WebSocket receivers")
	senders := fs.Int("senders", 32, "one-to-one senders, each with its own IM token")
	inFlight := fs.Int("in-flight", 8, "unanswered sends a sender may have")
	warmup := fs.Duration("warmup", 2*time.Second, "warm-up before the measured part")
	duration := fs.Duration("duration", d, "measured part of the one-to-one runs")
	short10k := fs.Duration("duration-above-5k", sd, "measured part of the one-to-one runs above 5,000/s")
	drainFor := fs.Duration("drain", 5*time.Second, "how long to wait for deliveries after the last send")
	wsSend := fs.Bool("ws-send", false, "send over the WebSocket `send` frame instead of HTTP (one sender per 40 msg/s at least)")
	members := fs.Int("group-members", 500, "members of the group, all online")
	gSenders := fs.Int("group-senders", 10, "members that send into the group")
	gRate := fs.Float64("group-rate", 50, "group messages a second offered")
	gDuration := fs.Duration("group-duration", gd, "measured part of the group run")
	idle := fs.String("idle", "10000,19900", "cumulative idle WebSocket counts")
	perWorker := fs.Int("idle-per-worker", 5000, "idle WebSockets per worker process")
	uClients := fs.Int("update-clients", 16, "concurrent clients of the update checks")
	uDuration := fs.Duration("update-duration", 4*time.Second, "length of each update-check run")
	admin := fs.String("admin-password", envOr("XUQM_ADMIN_PASSWORD", "Admin@123456"), "password of the operator admin, to publish a release for the update checks")
	prefilledRate := fs.Float64("prefilled-rate", 5000, "one-to-one rate of the prefilled run (compared with the same rate's earlier run)")
	return func() (Suite, error) {
		s := Suite{Scenarios: splitList(*scenarios), Receivers: *receivers, Senders: *senders, InFlight: *inFlight,
			Warmup: *warmup, Duration: *duration, ShortDuration: *short10k, Drain: *drainFor, WebSocketSend: *wsSend,
			GroupMembers: *members, GroupSenders: *gSenders, GroupRate: *gRate, GroupDuration: *gDuration,
			IdlePerWorker: *perWorker, UpdateClients: *uClients, UpdateDuration: *uDuration, AdminPassword: *admin,
			PrefilledRate: *prefilledRate}
		for _, r := range splitList(*rates) {
			v, err := strconv.ParseFloat(r, 64)
			if err != nil || v <= 0 {
				return s, fmt.Errorf("--rates: %q is not a rate", r)
			}
			s.Rates = append(s.Rates, v)
		}
		for _, r := range splitList(*idle) {
			v, err := strconv.Atoi(r)
			if err != nil || v <= 0 || (len(s.IdleSteps) > 0 && v <= s.IdleSteps[len(s.IdleSteps)-1]) {
				return s, fmt.Errorf("--idle: want increasing counts, got %q", *idle)
			}
			s.IdleSteps = append(s.IdleSteps, v)
		}
		if s.Receivers < 1 || s.Senders < 1 || s.GroupMembers < 2 || s.GroupSenders < 1 || s.GroupSenders > s.GroupMembers {
			return s, errors.New("receivers, senders and group sizes must be positive, and group senders at most the members")
		}
		self, err := os.Executable()
		if err != nil {
			return s, err
		}
		s.IdleWorker = []string{self, "idle-worker"}
		return s, nil
	}
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func benchCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	serverBin := fs.String("server-bin", "bin/xuqm", "the server binary")
	dbURL := fs.String("database-url", "", "PostgreSQL server to create the bench database on; empty: a private cluster with default settings")
	keep := fs.Bool("keep", false, "keep the work directory (server log, cluster)")
	secret := fs.String("app-secret", "bench-app-secret", "AppSecret the bench server gives the demo app")
	suite := suiteFlags(fs, true)
	prefill := newPrefillFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, err := suite()
	if err != nil {
		return err
	}
	p, err := prefill()
	if err != nil {
		return err
	}
	b := &Bench{ServerBin: *serverBin, DatabaseURL: *dbURL, Keep: *keep, Suite: s, Prefill: p, AppSecret: *secret, Out: stdout, Log: stderr}
	return b.Run(ctx)
}

func runCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "http://127.0.0.1:8080", "the server (loopback only)")
	app := fs.String("app", "ak_demo_chat", "appKey of the app whose users log in")
	secret := fs.String("app-secret", envOr("XUQM_DEMO_APP_SECRET", "demo-app-secret-change-me"), "AppSecret of --app")
	prefix := fs.String("user-prefix", "", "user id prefix of the tool's users (default: lt and a fresh tag)")
	serverPID := fs.Int("server-pid", 0, "the server's pid, for its CPU and RSS (idle needs it)")
	pgPID := fs.Int("pg-pid", 0, "PostgreSQL's postmaster pid (default: every postmaster on the machine)")
	pgDB := fs.String("pg-database", "", "count only this database's PostgreSQL backends (and the background processes)")
	dbURL := fs.String("database-url", os.Getenv("DATABASE_URL"), "the server's database, for the prefilled scenario")
	suite := suiteFlags(fs, false)
	prefill := newPrefillFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, err := suite()
	if err != nil {
		return err
	}
	t, err := NewTarget(*url, *app, *secret)
	if err != nil {
		return err
	}
	if *prefix == "" {
		*prefix = "lt" + strconv.FormatInt(time.Now().Unix()%1e6, 36) + "_"
	}
	probe := &Probe{ServerPID: *serverPID, PG: &PostgreSQL{Postmaster: *pgPID, Database: *pgDB}}
	if s.Has("prefilled") {
		p, err := prefill()
		if err != nil {
			return err
		}
		if *dbURL == "" {
			return errors.New("the prefilled scenario needs --database-url (or leave it out of --scenarios)")
		}
		p.DatabaseURL, p.AppKey = *dbURL, *app
		s.Prefill = func(ctx context.Context) error { return p.Run(ctx, stderr) }
		s.Prefilled = p.Describe()
	}
	rows := s.Run(ctx, &Env{Target: t, Users: NewUsers(t, *prefix), Probe: probe, Log: stderr}, stderr)
	fmt.Fprintln(stdout)
	WriteTable(stdout, rows)
	return nil
}

// newPrefillFlags declares the prefill sizes; the returned function checks them.
func newPrefillFlags(fs *flag.FlagSet) func() (Prefill, error) {
	prefix := fs.String("prefix", "pf", "user id prefix of the pre-filled users")
	users := fs.Int("prefill-users", 20000, "pre-filled users")
	chats := fs.Int("conversations", 100000, "pre-filled one-to-one conversations")
	messages := fs.Int("messages", 1000000, "pre-filled messages, spread evenly over the conversations")
	return func() (Prefill, error) {
		if *chats < 1 || *messages < *chats || *messages%*chats != 0 {
			return Prefill{}, fmt.Errorf("--messages (%d) must be a multiple of --conversations (%d)", *messages, *chats)
		}
		return Prefill{Prefix: *prefix, Users: *users, Chats: *chats, PerChat: *messages / *chats}, nil
	}
}

func prefillCommand(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("prefill", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbURL := fs.String("database-url", os.Getenv("DATABASE_URL"), "the server's database")
	app := fs.String("app", "ak_demo_chat", "appKey of the app to fill")
	prefill := newPrefillFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	p, err := prefill()
	if err != nil {
		return err
	}
	if *dbURL == "" {
		return errors.New("prefill needs --database-url or DATABASE_URL")
	}
	p.DatabaseURL, p.AppKey = *dbURL, *app
	return p.Run(ctx, stderr)
}

func workerCommand(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("idle-worker", flag.ContinueOnError)
	url := fs.String("url", "", "the server")
	local := fs.String("local", "", "loopback source address")
	hold := fs.Duration("hold", 10*time.Minute, "close everything after this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var ip net.IP
	if *local != "" {
		if ip = net.ParseIP(*local); ip == nil {
			return fmt.Errorf("--local %q is not an address", *local)
		}
	}
	return IdleWorker(ctx, *url, ip, *hold, stdin, stdout)
}
