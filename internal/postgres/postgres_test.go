package postgres_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/xuqmgroup/xuqm/internal/postgres"
	"github.com/xuqmgroup/xuqm/internal/postgres/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func testLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func currentDatabase(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	var name string
	if err := pool.QueryRow(t.Context(), "SELECT current_database()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	return name
}

// coreTables are some of the tables of schema/00001_core.sql.
var coreTables = []string{"server_settings", "tenants", "tenant_accounts", "operators", "apps", "app_services"}

func assertMigrated(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	for _, table := range coreTables {
		var exists bool
		if err := pool.QueryRow(t.Context(), "SELECT to_regclass($1) IS NOT NULL", table).Scan(&exists); err != nil {
			t.Fatal(err)
		}
		if !exists {
			t.Errorf("table %s is missing", table)
		}
	}
	entries, err := os.ReadDir("../../schema")
	if err != nil {
		t.Fatal(err)
	}
	var newest int64
	for _, e := range entries {
		if v, ok := strings.CutSuffix(e.Name(), ".sql"); ok {
			n, _ := strconv.ParseInt(v[:strings.IndexByte(v, '_')], 10, 64)
			newest = max(newest, n)
		}
	}
	var version int64
	err = pool.QueryRow(t.Context(), "SELECT max(version_id) FROM goose_db_version WHERE is_applied").Scan(&version)
	if err != nil || version != newest {
		t.Errorf("goose version = %d (%v), want %d", version, err, newest)
	}
}

func TestOpenCreatesMissingDatabase(t *testing.T) {
	url := pgtest.MissingDBURL(t)
	db, err := postgres.Open(t.Context(), testLog(t), url, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	want, _ := pgx.ParseConfig(url)
	if got := currentDatabase(t, db.Pool()); got != want.Database {
		t.Errorf("connected to %q, want %q", got, want.Database)
	}
	// A second instance finds the database there.
	db2, err := postgres.Open(t.Context(), testLog(t), url, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	db2.Close()
}

func TestPoolSize(t *testing.T) {
	url := pgtest.NewDBURL(t)
	for dsn, want := range map[string]int32{url: postgres.DefaultMaxConns(), url + "&pool_max_conns=3": 3} {
		db, err := postgres.Open(t.Context(), testLog(t), dsn, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		if got := db.Pool().Config().MaxConns; got != want {
			t.Errorf("%s: pool of %d connections, want %d", dsn, got, want)
		}
		db.Close()
	}
	if n := postgres.DefaultMaxConns(); n < 8 {
		t.Errorf("default pool of %d connections, want at least 8", n)
	}
}

func TestOpenUsesLocalServer(t *testing.T) {
	conn, err := net.DialTimeout("tcp", postgres.LocalAddr, time.Second)
	if err != nil {
		t.Skip("nothing answers on", postgres.LocalAddr)
	}
	conn.Close()
	dir := t.TempDir()
	db, err := postgres.Open(t.Context(), testLog(t), "", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := currentDatabase(t, db.Pool()); got != postgres.DefaultDatabase {
		t.Errorf("connected to %q, want %q", got, postgres.DefaultDatabase)
	}
	if _, err := os.Stat(filepath.Join(dir, "postgres")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a private cluster was made although %s answers: %v", postgres.LocalAddr, err)
	}
}

func TestOpenRejectsBadURL(t *testing.T) {
	_, err := postgres.Open(t.Context(), testLog(t), "postgres://u:secret@[bad", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "DATABASE_URL") || strings.Contains(err.Error(), "secret") {
		t.Errorf("err = %v, want a DATABASE_URL error without the password", err)
	}
}

func TestMigrateIdempotent(t *testing.T) {
	pool := pgtest.NewDB(t) // cloned from the migrated template
	assertMigrated(t, pool)
	for range 2 {
		if err := postgres.Migrate(t.Context(), pool); err != nil {
			t.Fatal(err)
		}
	}
	assertMigrated(t, pool)
}

func TestMigrateConcurrently(t *testing.T) {
	db, err := postgres.Open(t.Context(), testLog(t), pgtest.MissingDBURL(t), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Two instances starting at once: the advisory lock makes one wait for the other.
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Go(func() { errs[i] = postgres.Migrate(t.Context(), db.Pool()) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	assertMigrated(t, db.Pool())
}

func TestPrivateCluster(t *testing.T) {
	dir := t.TempDir()
	// As root the cluster runs as the postgres user, who must be able to reach dir.
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	log := testLog(t)
	db, err := postgres.OpenPrivate(t.Context(), log, dir)
	if errors.Is(err, postgres.ErrNoPostgreSQL) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := postgres.Migrate(t.Context(), db.Pool()); err != nil {
		db.Close()
		t.Fatal(err)
	}
	assertMigrated(t, db.Pool())
	if _, err := db.Pool().Exec(t.Context(), "INSERT INTO server_settings (name, value) VALUES ('kept', 'yes')"); err != nil {
		t.Fatal(err)
	}
	pid := postmasterPID(t, dir)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	assertGone(t, pid)

	// Started again, the cluster keeps its data: initdb ran once.
	db, err = postgres.OpenPrivate(t.Context(), log, dir)
	if err != nil {
		t.Fatal(err)
	}
	var value string
	if err := db.Pool().QueryRow(t.Context(), "SELECT value FROM server_settings WHERE name = 'kept'").Scan(&value); err != nil {
		t.Errorf("data lost across restarts: %v", err)
	}
	pid = postmasterPID(t, dir)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	assertGone(t, pid)
}

func postmasterPID(t *testing.T, dir string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "postgres", "data", "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

func assertGone(t *testing.T, pid int) {
	t.Helper()
	// pg_ctl stop -w has waited for the postmaster to exit; allow a moment for the kernel.
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			return
		}
	}
	t.Errorf("postmaster %d still runs after Close", pid)
}

func TestWithTx(t *testing.T) {
	pool := pgtest.NewDB(t)
	ctx := context.Background()
	insert := func(name string) func(pgx.Tx) error {
		return func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, "INSERT INTO server_settings (name, value) VALUES ($1, 'v')", name)
			return err
		}
	}
	exists := func(name string) bool {
		var n int
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM server_settings WHERE name = $1", name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 1
	}

	if err := postgres.WithTx(ctx, pool, insert("committed")); err != nil || !exists("committed") {
		t.Errorf("commit: err %v, row exists %v", err, exists("committed"))
	}

	failure := errors.New("boom")
	err := postgres.WithTx(ctx, pool, func(tx pgx.Tx) error {
		if err := insert("rolled-back")(tx); err != nil {
			return err
		}
		return failure
	})
	if !errors.Is(err, failure) || exists("rolled-back") {
		t.Errorf("rollback: err %v, row exists %v", err, exists("rolled-back"))
	}

	func() {
		defer func() {
			if p := recover(); p != "panic" {
				t.Errorf("recovered %v, want the original panic", p)
			}
		}()
		_ = postgres.WithTx(ctx, pool, func(tx pgx.Tx) error {
			_ = insert("panicked")(tx)
			panic("panic")
		})
	}()
	if exists("panicked") {
		t.Error("a panicking transaction was committed")
	}

	// A nested call makes a savepoint: the inner rollback keeps the outer work.
	err = postgres.WithTx(ctx, pool, func(tx pgx.Tx) error {
		if err := insert("outer")(tx); err != nil {
			return err
		}
		_ = postgres.WithTx(ctx, tx, func(inner pgx.Tx) error {
			_ = insert("inner")(inner)
			return failure
		})
		return nil
	})
	if err != nil || !exists("outer") || exists("inner") {
		t.Errorf("savepoint: err %v, outer %v, inner %v", err, exists("outer"), exists("inner"))
	}
	if got := pool.Stat().AcquiredConns(); got != 0 {
		t.Errorf("%d connections still acquired", got)
	}
}

func TestNewDBIsolated(t *testing.T) {
	a, b := pgtest.NewDB(t), pgtest.NewDB(t)
	if currentDatabase(t, a) == currentDatabase(t, b) {
		t.Fatal("two NewDB calls share a database")
	}
	if _, err := a.Exec(t.Context(), "INSERT INTO server_settings (name, value) VALUES ('only-a', 'v')"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := b.QueryRow(t.Context(), "SELECT count(*) FROM server_settings").Scan(&n); err != nil || n != 0 {
		t.Errorf("b sees %d rows of a (%v)", n, err)
	}
	t.Run("parallel", func(t *testing.T) {
		for i := range 6 {
			t.Run(strconv.Itoa(i), func(t *testing.T) {
				t.Parallel()
				assertMigrated(t, pgtest.NewDB(t))
			})
		}
	})
}
