package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"runtime"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DB is the server's connection pool and the PostgreSQL server behind it.
type DB struct {
	pool   *pgxpool.Pool
	server *Server
}

// Open finds the server (see FindServer), creates the database when it does not exist yet and
// connects. It does not migrate; call Migrate.
func Open(ctx context.Context, log *slog.Logger, databaseURL, dataDir string) (*DB, error) {
	return open(ctx, log, databaseURL, dataDir, localAddr)
}

func open(ctx context.Context, log *slog.Logger, databaseURL, dataDir, probeAddr string) (*DB, error) {
	srv, err := findServer(ctx, log, databaseURL, dataDir, probeAddr)
	if err != nil {
		return nil, err
	}
	pool, err := connect(ctx, log, srv.URL(""))
	if err != nil {
		return nil, errors.Join(err, srv.Close())
	}
	return &DB{pool: pool, server: srv}, nil
}

// Pool is the connection pool; it stays valid until Close.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// Server is where the pool connects.
func (db *DB) Server() *Server { return db.server }

// Close closes the pool, then stops the private cluster if Open started one.
func (db *DB) Close() error {
	db.pool.Close()
	return db.server.Close()
}

// connect opens a pool on dsn, creating its database first when the server says it is missing.
func connect(ctx context.Context, log *slog.Logger, dsn string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if !setsMaxConns(dsn) {
		cfg.MaxConns = DefaultMaxConns()
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	err = pool.Ping(ctx)
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok && pgErr.Code == "3D000" { // invalid_catalog_name
		// Only now is the maintenance database needed: a managed server may grant nothing else.
		if err = createDatabase(ctx, cfg.ConnConfig); err == nil {
			log.Info("created the database", "database", cfg.ConnConfig.Database)
			err = pool.Ping(ctx)
		}
	}
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect to database %q: %w", cfg.ConnConfig.Database, err)
	}
	return pool, nil
}

// DefaultMaxConns is the pool's size unless DATABASE_URL sets pool_max_conns. pgxpool's own
// default, one connection per CPU (at least 4), leaves requests queueing for a connection
// while theirs wait on the network or a commit rather than on a CPU.
func DefaultMaxConns() int32 {
	return int32(max(8, 4*runtime.GOMAXPROCS(0)))
}

var maxConnsKeyword = regexp.MustCompile(`(^|\s)pool_max_conns\s*=`)

// setsMaxConns tells whether dsn, in either of the forms pgx accepts, sets pool_max_conns.
func setsMaxConns(dsn string) bool {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		return err == nil && u.Query().Has("pool_max_conns")
	}
	return maxConnsKeyword.MatchString(dsn)
}

func createDatabase(ctx context.Context, target *pgx.ConnConfig) error {
	cfg := target.Copy()
	cfg.Database = "postgres"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("create database %q: %w", target.Database, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{target.Database}.Sanitize())
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok && pgErr.Code == "42P04" {
		return nil // duplicate_database: another instance starting at the same time made it
	}
	return err
}
