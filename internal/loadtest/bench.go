package loadtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/xuqmgroup/xuqm/internal/postgres"
)

// Bench is `make bench`: a PostgreSQL of its own (a private cluster with default settings,
// or a fresh database on DatabaseURL's server), the server binary started as its own
// process on it, the suite against it, and one table.
type Bench struct {
	ServerBin   string
	DatabaseURL string // "": a private cluster under the work directory
	Keep        bool   // keep the work directory (server log, cluster) afterwards
	Suite       Suite
	Prefill     Prefill // its DatabaseURL and AppKey are filled in here
	AppSecret   string
	Out, Log    io.Writer
}

// Run runs the bench; the table goes to Out, progress and reports to Log.
func (b *Bench) Run(ctx context.Context) error {
	dir, err := os.MkdirTemp("", "xuqm-bench-")
	if err != nil {
		return err
	}
	// The private cluster runs as the postgres user when we are root; it must reach dir.
	_ = os.Chmod(dir, 0o755)
	if b.Keep {
		fmt.Fprintf(b.Log, "bench: work directory %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	slogger := slog.New(slog.NewTextHandler(b.Log, &slog.HandlerOptions{Level: slog.LevelWarn}))
	dbName := "xuqm_bench_" + strconv.FormatInt(time.Now().Unix(), 36)
	var pg *postgres.Server
	pgSet := &PostgreSQL{}
	if b.DatabaseURL == "" {
		if pg, err = postgres.StartPrivateServer(ctx, slogger, dir); err != nil {
			return err
		}
		pgSet.Postmaster = postmasterPID(filepath.Join(dir, "postgres", "data"))
	} else {
		if pg, err = postgres.FindServer(ctx, slogger, b.DatabaseURL, dir); err != nil {
			return err
		}
		pgSet.Database = dbName
	}
	defer pg.Close()
	dbURL := pg.URL(dbName)
	if b.DatabaseURL != "" && !b.Keep {
		// Runs after the server has stopped (deferred later, so run earlier).
		defer dropDatabase(pg.URL("postgres"), dbName, b.Log)
	}
	server, url, err := startServer(ctx, b.ServerBin, dir, dbURL, b.AppSecret, b.Suite.AdminPassword)
	if err != nil {
		return err
	}
	defer server.stop()
	fmt.Fprintf(b.Log, "bench: server pid %d on %s, PostgreSQL postmaster %d, database %s\n", server.cmd.Process.Pid, url, pgSet.Postmaster, dbName)
	t, err := NewTarget(url, "ak_demo_chat", b.AppSecret)
	if err != nil {
		return err
	}
	e := &Env{Target: t, Users: NewUsers(t, "lt"), Probe: &Probe{ServerPID: server.cmd.Process.Pid, PG: pgSet}, Log: b.Log}
	if b.Suite.Has("prefilled") {
		p := b.Prefill
		p.DatabaseURL, p.AppKey = dbURL, t.AppKey
		b.Suite.Prefill = func(ctx context.Context) error { return p.Run(ctx, b.Log) }
		b.Suite.Prefilled = p.Describe()
	}
	started := time.Now()
	rows := b.Suite.Run(ctx, e, b.Log)
	fmt.Fprintf(b.Out, "\nxuqm-load bench: %d cores, %s, server and PostgreSQL on this machine, %s\n\n",
		runtime.NumCPU(), memTotal(), time.Since(started).Round(time.Second))
	WriteTable(b.Out, rows)
	return nil
}

// serverProcess is the server started by the bench.
type serverProcess struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// startServer runs `serverBin serve` on a free loopback port with the bench's settings:
// no public rate limit (every request comes from one address), warnings only in its log.
func startServer(ctx context.Context, bin, dir, dbURL, appSecret, adminPassword string) (*serverProcess, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	addr := ln.Addr().String()
	ln.Close()
	logFile, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		return nil, "", err
	}
	cmd := exec.Command(bin, "serve")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "XUQM_") && !strings.HasPrefix(kv, "DATABASE_URL=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "XUQM_ADDR="+addr, "DATABASE_URL="+dbURL, "XUQM_DATA_DIR="+filepath.Join(dir, "data"),
		"XUQM_PUBLIC_RATE_LIMIT=0", "XUQM_WS_MAX_PER_ADDR=20000", "XUQM_LOG_LEVEL=warn", "XUQM_CAPTCHA=off",
		"XUQM_DEMO_APP_SECRET="+appSecret, "XUQM_ADMIN_PASSWORD="+adminPassword)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, "", fmt.Errorf("start the server: %w", err)
	}
	s := &serverProcess{cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		logFile.Close()
		close(s.done)
	}()
	url := "http://" + addr
	deadline := time.Now().Add(90 * time.Second)
	for {
		select {
		case <-s.done:
			tail, _ := os.ReadFile(logFile.Name())
			return nil, "", fmt.Errorf("the server exited: %s", lastLines(string(tail), 10))
		case <-ctx.Done():
			s.stop()
			return nil, "", ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		if resp, err := http.Get(url + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, url, nil
			}
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, "", errors.New("the server did not answer /readyz within 90 s")
		}
	}
}

// stop sends SIGTERM and waits for the server's graceful shutdown, killing it (our own
// child, by its pid) if it takes longer than 30 s.
func (s *serverProcess) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

func postmasterPID(pgdata string) int {
	f, err := os.Open(filepath.Join(pgdata, "postmaster.pid"))
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	if s.Scan() {
		pid, _ := strconv.Atoi(strings.TrimSpace(s.Text()))
		return pid
	}
	return 0
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func memTotal() string {
	kib := statusKiBFile("/proc/meminfo", "MemTotal")
	return fmt.Sprintf("%.0f GiB", float64(kib)/(1<<20))
}

// dropDatabase removes the bench's database from a server it shares with other work.
func dropDatabase(adminURL, name string, log io.Writer) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, adminURL)
	if err == nil {
		_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
		_ = conn.Close(ctx)
	}
	if err != nil {
		fmt.Fprintf(log, "bench: could not drop database %s: %v\n", name, err)
	}
}
