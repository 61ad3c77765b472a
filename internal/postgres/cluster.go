package postgres

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cluster is a private PostgreSQL cluster under dir: data/ is PGDATA; the Unix socket and
// postgres.log sit next to it, so nothing outside dir is touched.
type cluster struct {
	log    *slog.Logger
	dir    string
	pgdata string
	bin    string // the directory holding initdb and pg_ctl
	port   int
	// owned is true when this process started the server, so that Close stops it; a server
	// left running by an earlier process is reused and left alone.
	owned bool
	// asPostgres: PostgreSQL refuses to run as root, so root runs the tools as the postgres user.
	asPostgres bool
}

func startCluster(ctx context.Context, log *slog.Logger, dir string) (*cluster, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if strings.ContainsAny(dir, `'"\`) {
		// The path is quoted inside pg_ctl's -o option, which a shell parses.
		return nil, fmt.Errorf("postgres: cluster directory %q must not contain quotes or backslashes", dir)
	}
	c := &cluster{log: log, dir: dir, pgdata: filepath.Join(dir, "data"), asPostgres: os.Geteuid() == 0}
	// An existing cluster can only be started by binaries of its own major version.
	version, _ := os.ReadFile(filepath.Join(c.pgdata, "PG_VERSION"))
	if c.bin, err = findBinaries(ctx, strings.TrimSpace(string(version))); err != nil {
		return nil, err
	}
	if err := c.prepareDir(ctx); err != nil {
		return nil, err
	}
	if len(version) == 0 {
		log.Info("creating a private PostgreSQL cluster", "dir", c.pgdata, "bin", c.bin)
		// --no-sync: a cluster lost to a power cut right after initdb is simply made again.
		if _, err := c.run(ctx, "initdb", "-D", c.pgdata, "-U", "postgres", "-A", "trust",
			"-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
			return nil, err
		}
	}
	if port, ok := c.running(ctx); ok {
		log.Info("reusing the running private PostgreSQL cluster", "dir", c.pgdata, "port", port)
		c.port = port
		return c, nil
	}
	// The free port can be taken between probing and binding, so try a few.
	for attempt := 1; ; attempt++ {
		if c.port, err = freePort(); err != nil {
			return nil, err
		}
		opts := fmt.Sprintf("-p %d -k '%s' -c listen_addresses=127.0.0.1", c.port, c.dir)
		_, err = c.run(ctx, "pg_ctl", "start", "-w", "-t", "60", "-D", c.pgdata,
			"-l", filepath.Join(c.dir, "postgres.log"), "-o", opts)
		if err == nil {
			break
		}
		if attempt == 3 || ctx.Err() != nil {
			return nil, fmt.Errorf("%w; end of %s:\n%s", err, filepath.Join(c.dir, "postgres.log"), c.logTail())
		}
	}
	c.owned = true
	log.Info("started a private PostgreSQL cluster", "dir", c.pgdata, "port", c.port)
	return c, nil
}

func (c *cluster) url(database string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, database)
}

func (c *cluster) stop(ctx context.Context) error {
	if !c.owned {
		return nil
	}
	c.owned = false
	_, err := c.run(ctx, "pg_ctl", "stop", "-w", "-t", "60", "-m", "fast", "-D", c.pgdata)
	if err == nil {
		c.log.Info("stopped the private PostgreSQL cluster", "dir", c.pgdata)
	}
	return err
}

// prepareDir creates dir and, as root, hands it to the postgres user, whose reach it checks:
// a 0700 parent directory would otherwise fail deep inside initdb with a confusing message.
func (c *cluster) prepareDir(ctx context.Context) error {
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return err
	}
	if !c.asPostgres {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return fmt.Errorf("postgres: running as root needs a postgres OS user to run the private cluster: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(c.dir, uid, gid); err != nil {
		return err
	}
	if out, err := c.command(ctx, "test", "-w", c.dir).CombinedOutput(); err != nil {
		return fmt.Errorf("postgres: the postgres user cannot write %s (make its parent directories searchable, chmod o+x, or set DATABASE_URL): %v %s",
			c.dir, err, out)
	}
	return nil
}

// running reports whether a server already runs on pgdata, and its port from postmaster.pid.
func (c *cluster) running(ctx context.Context) (int, bool) {
	if _, err := c.run(ctx, "pg_ctl", "status", "-D", c.pgdata); err != nil {
		return 0, false
	}
	f, err := os.Open(filepath.Join(c.pgdata, "postmaster.pid"))
	if err != nil {
		return 0, false
	}
	defer f.Close()
	// Line 4 of postmaster.pid is the port (PostgreSQL's pidfile.h).
	s := bufio.NewScanner(f)
	for i := 1; s.Scan(); i++ {
		if i == 4 {
			port, err := strconv.Atoi(strings.TrimSpace(s.Text()))
			return port, err == nil
		}
	}
	return 0, false
}

// command runs name with args in dir, as the postgres user when running as root.
func (c *cluster) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	if c.asPostgres {
		args = append([]string{"-u", "postgres", "--", name}, args...)
		name = "runuser"
	}
	cmd := exec.CommandContext(ctx, name, args...)
	// The postgres user may not be allowed into the current directory.
	cmd.Dir = c.dir
	// A terminal's Ctrl-C goes to the foreground process group; the cluster must instead stop
	// through Close, after the server has drained its connections.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// Should the daemon keep our output pipe open, do not wait for it forever.
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

func (c *cluster) run(ctx context.Context, tool string, args ...string) ([]byte, error) {
	out, err := c.command(ctx, filepath.Join(c.bin, tool), args...).CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("postgres: %s %s: %w: %s", tool, args[0], err, strings.TrimSpace(string(out)))
	}
	return out, nil
}

func (c *cluster) logTail() string {
	f, err := os.Open(filepath.Join(c.dir, "postgres.log"))
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > 2048 {
		_, _ = f.Seek(-2048, io.SeekEnd)
	}
	b, _ := io.ReadAll(f)
	return string(b)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// versionedBinDirs is where Debian and Ubuntu install each PostgreSQL major version.
const versionedBinDirs = "/usr/lib/postgresql/*/bin"

var majorVersion = regexp.MustCompile(`\(PostgreSQL\) (\d+)`)

// findBinaries returns a directory holding initdb and pg_ctl: PATH's first, then the highest
// version under /usr/lib/postgresql. When want names a major version (an existing cluster's),
// only binaries of that version do.
func findBinaries(ctx context.Context, want string) (string, error) {
	var dirs []string
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			p = r
		}
		dirs = append(dirs, filepath.Dir(p))
	}
	versioned, _ := filepath.Glob(versionedBinDirs)
	slices.SortFunc(versioned, func(a, b string) int {
		return versionOf(b) - versionOf(a)
	})
	dirs = append(dirs, versioned...)
	for _, d := range dirs {
		if !executable(filepath.Join(d, "initdb")) || !executable(filepath.Join(d, "pg_ctl")) {
			continue
		}
		if want == "" {
			return d, nil
		}
		out, err := exec.CommandContext(ctx, filepath.Join(d, "pg_ctl"), "--version").Output()
		if m := majorVersion.FindSubmatch(out); err == nil && m != nil && string(m[1]) == want {
			return d, nil
		}
	}
	if want != "" && len(dirs) > 0 {
		return "", fmt.Errorf("postgres: the private cluster needs PostgreSQL %s binaries, which were not found", want)
	}
	return "", ErrNoPostgreSQL
}

// versionOf reads the major version from /usr/lib/postgresql/<version>/bin.
func versionOf(binDir string) int {
	v, err := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	if err != nil {
		return -1
	}
	return v
}

func executable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}
