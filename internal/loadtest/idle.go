package loadtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/coder/websocket"
)

// Idle is the idle-connection scenario: it opens WebSockets in steps (10,000, then 9,900
// more to reach 19,900) and reports the server's RSS per connection at each step, over a
// baseline taken before the first. One process here may hold about 20,000 open files, so
// the connections are held by worker processes (this binary re-run as `idle-worker`), at
// most PerWorker each, every worker from its own loopback source address so that no one
// address runs out of ports.
type Idle struct {
	Name      string
	Steps     []int // cumulative connection counts
	PerWorker int
	Settle    time.Duration // wait before reading the RSS
	Hold      time.Duration // a worker gives up and closes after this long, whatever happens
	// Worker is the command that runs a worker (this binary and "idle-worker"); tests may
	// point it elsewhere.
	Worker []string
}

// IdleStep is the figure of one step.
type IdleStep struct {
	Connections int
	Failed      int
	ServerRSS   int64
	PerConn     float64 // bytes of server RSS per connection over the baseline
	// Added is the bytes of server RSS per connection this step added, over the step before
	// (0 for the first step). The baseline is a server that has served nothing; the
	// connections' figure over it includes their logins' garbage, which a heap below its
	// floor (cmd/xuqm) keeps; between two steps both heaps are past the floor, so this
	// figure does not depend on it.
	Added float64
}

// IdleResult is the report of the idle scenario.
type IdleResult struct {
	Name     string
	Baseline int64
	Steps    []IdleStep
}

func (r *IdleResult) Write(w io.Writer) {
	fmt.Fprintf(w, "== %s: server RSS %s before\n", r.Name, mib(r.Baseline))
	for _, s := range r.Steps {
		fmt.Fprintf(w, "   %d idle WebSockets (%d failed): server RSS %s, %.1f KiB per connection", s.Connections, s.Failed, mib(s.ServerRSS), s.PerConn/1024)
		if s.Added > 0 {
			fmt.Fprintf(w, ", %.1f KiB each over the step before", s.Added/1024)
		}
		fmt.Fprintln(w)
	}
}

// Run runs the scenario; the server's pid must be known (the figure is its RSS).
func (s Idle) Run(ctx context.Context, e *Env) (*IdleResult, error) {
	if e.Probe == nil || e.Probe.ServerPID == 0 {
		return nil, errors.New("the idle scenario needs the server's pid")
	}
	// The baseline is read before the logins: their garbage, which the heap may keep up to
	// its floor (cmd/xuqm), belongs to the connections' cost, not to a server that has
	// served nothing.
	res := &IdleResult{Name: s.Name}
	sleepUntil(ctx, time.Now().Add(s.Settle))
	res.Baseline = RSS(e.Probe.ServerPID)
	total := s.Steps[len(s.Steps)-1]
	e.logf("%s: logging in %d users", s.Name, total)
	tokens, err := e.Users.Tokens(ctx, total)
	if err != nil {
		return nil, err
	}
	e.logf("%s: logged in", s.Name)
	var workers []*idleWorker
	defer func() {
		for _, w := range workers {
			w.stop()
		}
	}()
	open := 0
	for _, step := range s.Steps {
		failed := 0
		for open < step {
			n := min(s.PerWorker, step-open)
			local := net.IPv4(127, 0, byte(1+len(workers)/250), byte(2+len(workers)%250))
			w, err := startIdleWorker(ctx, s.Worker, e.Target.URL, local, s.Hold, tokens[open:open+n])
			if err != nil {
				return res, err
			}
			workers = append(workers, w)
			open += n
		}
		for _, w := range workers {
			f, err := w.waitReady(ctx)
			if err != nil {
				return res, err
			}
			failed += f
		}
		e.logf("%s: %d connections open (%d failed), settling", s.Name, open, failed)
		sleepUntil(ctx, time.Now().Add(s.Settle))
		rss := RSS(e.Probe.ServerPID)
		res.Steps = append(res.Steps, res.step(open, failed, rss))
	}
	return res, nil
}

// step is the figure of a step that has open connections (failed of them failed) and
// leaves the server at rss.
func (r *IdleResult) step(open, failed int, rss int64) IdleStep {
	st := IdleStep{Connections: open, Failed: failed, ServerRSS: rss, PerConn: float64(rss-r.Baseline) / float64(max(open-failed, 1))}
	if n := len(r.Steps); n > 0 {
		prev := r.Steps[n-1]
		st.Added = float64(rss-prev.ServerRSS) / float64(max(open-failed-(prev.Connections-prev.Failed), 1))
	}
	return st
}

// idleWorker is a child process holding connections.
type idleWorker struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    *bufio.Reader
	ready  bool
	failed int
	done   chan struct{}
}

func startIdleWorker(ctx context.Context, command []string, url string, local net.IP, hold time.Duration, tokens []string) (*idleWorker, error) {
	args := append(slices.Clone(command[1:]), "--url", url, "--local", local.String(), "--hold", hold.String())
	cmd := exec.Command(command[0], args...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start an idle worker: %w", err)
	}
	w := &idleWorker{cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout), done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(w.done)
	}()
	go func() {
		bw := bufio.NewWriter(stdin)
		for _, t := range tokens {
			_, _ = bw.WriteString(t + "\n") // a write error stays in bw and comes back from Flush
		}
		_, _ = bw.WriteString("\n")
		_ = bw.Flush() // a worker that went away shows as not ready
	}()
	return w, nil
}

// waitReady waits for the worker's "ready <open> <failed>" line.
func (w *idleWorker) waitReady(ctx context.Context) (int, error) {
	if w.ready {
		return w.failed, nil
	}
	line := make(chan string, 1)
	go func() {
		l, _ := w.out.ReadString('\n')
		line <- l
	}()
	select {
	case l := <-line:
		f := strings.Fields(l)
		if len(f) != 3 || f[0] != "ready" {
			return 0, fmt.Errorf("idle worker %d: %q", w.cmd.Process.Pid, strings.TrimSpace(l))
		}
		w.ready = true
		w.failed, _ = strconv.Atoi(f[2])
		return w.failed, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-time.After(5 * time.Minute):
		return 0, fmt.Errorf("idle worker %d did not open its connections within 5 minutes", w.cmd.Process.Pid)
	}
}

// stop closes the worker's stdin, which tells it to close its connections and exit, and
// kills it (by its own pid) if it does not within 30 s.
func (w *idleWorker) stop() {
	_ = w.stdin.Close()
	select {
	case <-w.done:
	case <-time.After(30 * time.Second):
		_ = w.cmd.Process.Kill()
		<-w.done
	}
}

// IdleWorker is the worker process: it reads tokens (one a line, then an empty line) from
// in, opens a WebSocket for each from the local source address, prints "ready <open>
// <failed>" and holds them until in closes or hold passes.
func IdleWorker(ctx context.Context, rawURL string, local net.IP, hold time.Duration, in io.Reader, out io.Writer) error {
	raiseOpenFiles()
	t, err := NewTarget(rawURL, "", "")
	if err != nil {
		return err
	}
	if local != nil && !local.IsLoopback() {
		return fmt.Errorf("source address %s is not a loopback address", local)
	}
	sc := bufio.NewScanner(in)
	var tokens []string
	for sc.Scan() && sc.Text() != "" {
		tokens = append(tokens, sc.Text())
	}
	ctx, cancel := context.WithTimeout(ctx, hold)
	defer cancel()
	conns := make([]*websocket.Conn, len(tokens))
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		failed int
		first  error
	)
	sem := make(chan struct{}, 64)
	for i, tok := range tokens {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ws, err := t.Dial(ctx, tok, local)
			if err != nil {
				mu.Lock()
				failed++
				if first == nil {
					first = err
				}
				mu.Unlock()
				return
			}
			// CloseRead answers the server's pings and discards anything else.
			ws.CloseRead(ctx)
			conns[i] = ws
		}()
	}
	wg.Wait()
	if first != nil {
		fmt.Fprintf(os.Stderr, "idle worker: %d of %d connections failed; first: %v\n", failed, len(tokens), first)
	}
	fmt.Fprintf(out, "ready %d %d\n", len(tokens)-failed, failed)
	go func() { // the parent closes stdin to end the worker
		for sc.Scan() {
		}
		cancel()
	}()
	<-ctx.Done()
	closeAll(conns)
	return nil
}

// raiseOpenFiles lifts the soft limit of open files to the hard limit.
func raiseOpenFiles() {
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil && lim.Cur < lim.Max {
		lim.Cur = lim.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
}
