// Package pgtest gives each test its own migrated PostgreSQL database, cheaply: the package's
// TestMain migrates one template database, and every NewDB clones it.
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
//	func TestX(t *testing.T) { pool := pgtest.NewDB(t); … }
//
// The server is found as the real one is (postgres.FindServer): DATABASE_URL's server, else
// 127.0.0.1:5432, else a throwaway private cluster in a temporary directory, removed at the end.
// XUQM_PGTEST_CLUSTER=private forces the throwaway cluster, to test without any shared server.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/xuqmgroup/xuqm/internal/postgres"
)

// Set by Main for the whole test binary.
var (
	server   *postgres.Server
	admin    *pgxpool.Pool // the maintenance database, for CREATE and DROP DATABASE
	template string
	prefix   string // of every database this binary creates, so that leftovers are recognisable
	counter  atomic.Int64
)

// Main sets up the server and the template database, runs the tests and cleans up. Call it from
// TestMain; it does not return.
func Main(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := setUp()
	defer tearDown(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		return 1
	}
	return m.Run()
}

func setUp() (dir string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir, err = os.MkdirTemp("", "xuqm-pgtest-")
	if err != nil {
		return "", err
	}
	// When running as root the cluster runs as the postgres user, who must be able to enter.
	if err := os.Chmod(dir, 0o755); err != nil {
		return dir, err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if os.Getenv("XUQM_PGTEST_CLUSTER") == "private" {
		server, err = postgres.StartPrivateServer(ctx, log, dir)
	} else {
		server, err = postgres.FindServer(ctx, log, os.Getenv("DATABASE_URL"), dir)
	}
	if err != nil {
		return dir, err
	}
	if admin, err = pgxpool.New(ctx, server.URL("postgres")); err != nil {
		return dir, err
	}
	prefix = fmt.Sprintf("xuqm_t_%s_%d_%s", packageName(), os.Getpid(), randomHex(3))
	template = prefix + "_tmpl"
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+ident(template)); err != nil {
		template = ""
		return dir, fmt.Errorf("create the template database: %w", err)
	}
	pool, err := pgxpool.New(ctx, server.URL(template))
	if err != nil {
		return dir, err
	}
	err = postgres.Migrate(ctx, pool)
	pool.Close()
	if err != nil {
		return dir, err
	}
	// Nothing may connect to the template again: a connection would make cloning it fail.
	_, err = admin.Exec(ctx, "ALTER DATABASE "+ident(template)+" ALLOW_CONNECTIONS false")
	return dir, err
}

func tearDown(dir string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var errs []error
	if admin != nil {
		if template != "" {
			_, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+ident(template)+" WITH (FORCE)")
			errs = append(errs, err)
		}
		admin.Close()
	}
	if server != nil {
		errs = append(errs, server.Close())
	}
	if dir != "" {
		errs = append(errs, os.RemoveAll(dir))
	}
	if err := errors.Join(errs...); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest: clean-up:", err)
	}
}

// NewDB returns a pool on a fresh, migrated database of the test's own. The pool is closed and
// the database dropped when the test ends.
func NewDB(t testing.TB) *pgxpool.Pool {
	t.Helper()
	url := NewDBURL(t)
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(pool.Close) // runs before NewDBURL's drop: clean-ups run last first
	return pool
}

// NewDBURL creates a fresh, migrated database as NewDB does and returns its connection URL, for
// tests that start the whole server with DATABASE_URL.
func NewDBURL(t testing.TB) string {
	t.Helper()
	name := reserveName(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+ident(name)+" TEMPLATE "+ident(template)); err != nil {
		t.Fatalf("pgtest: clone the template: %v", err)
	}
	return server.URL(name)
}

// MissingDBURL returns the URL of a database that does not exist yet, on the test server, for
// tests of what creates and migrates databases. It is dropped when the test ends, if it exists.
func MissingDBURL(t testing.TB) string {
	t.Helper()
	return server.URL(reserveName(t))
}

// reserveName returns a unique database name, dropped when the test ends if it exists.
func reserveName(t testing.TB) string {
	t.Helper()
	if admin == nil {
		t.Fatal("pgtest: call pgtest.Main(m) from the package's TestMain")
	}
	name := fmt.Sprintf("%s_%d", prefix, counter.Add(1))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+ident(name)+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop %s: %v", name, err)
		}
	})
	return name
}

func ident(name string) string { return pgx.Identifier{name}.Sanitize() }

var notIdent = regexp.MustCompile(`[^a-z0-9]+`)

// packageName names the test binary's package ("im" for im.test), to tell databases apart.
func packageName() string {
	name := strings.TrimSuffix(filepath.Base(os.Args[0]), ".test")
	name = strings.Trim(notIdent.ReplaceAllString(strings.ToLower(name), "_"), "_")
	// PostgreSQL truncates names at 63 bytes; keep room for the rest of the name.
	return name[:min(len(name), 20)]
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
