// Package postgres finds or starts the PostgreSQL server, opens the pool, migrates the schema and
// runs transactions. Nothing else in the server knows where the database comes from.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// localAddr is where a developer's PostgreSQL usually listens; used when DATABASE_URL is unset.
const localAddr = "127.0.0.1:5432"

// DefaultDatabase is the database used when DATABASE_URL does not name one.
const DefaultDatabase = "xuqm"

// Server is a PostgreSQL server: the one DATABASE_URL names, the one on 127.0.0.1:5432, or a
// private cluster this process started and stops on Close.
type Server struct {
	dsn     string   // connection string naming the default database
	cluster *cluster // nil unless the server is a private cluster
}

// FindServer picks the server as README.md says of DATABASE_URL: databaseURL when set; else
// 127.0.0.1:5432 when something answers there; else a private cluster under dataDir/postgres,
// created on first use. ErrNoPostgreSQL means none of the three is possible.
func FindServer(ctx context.Context, log *slog.Logger, databaseURL, dataDir string) (*Server, error) {
	return findServer(ctx, log, databaseURL, dataDir, localAddr)
}

// StartPrivateServer starts the private cluster under dataDir/postgres (or reuses it when it is
// already running) whatever else is reachable.
func StartPrivateServer(ctx context.Context, log *slog.Logger, dataDir string) (*Server, error) {
	return findServer(ctx, log, "", dataDir, "")
}

// findServer takes the probed address as a parameter so that tests can skip the probe ("") and
// reach the private-cluster path on a machine whose 5432 answers.
func findServer(ctx context.Context, log *slog.Logger, databaseURL, dataDir, probeAddr string) (*Server, error) {
	if databaseURL != "" {
		if _, err := pgx.ParseConfig(databaseURL); err != nil {
			// pgx's parse errors already hide the password.
			return nil, fmt.Errorf("DATABASE_URL: %w", err)
		}
		return &Server{dsn: databaseURL}, nil
	}
	if probeAddr != "" && answers(ctx, probeAddr) {
		log.Info("using the local PostgreSQL server", "addr", probeAddr)
		return &Server{dsn: "postgres://postgres@" + probeAddr + "/" + DefaultDatabase + "?sslmode=disable"}, nil
	}
	c, err := startCluster(ctx, log, filepath.Join(dataDir, "postgres"))
	if err != nil {
		return nil, err
	}
	return &Server{dsn: c.url(DefaultDatabase), cluster: c}, nil
}

// URL returns the connection string of database on this server; "" means the default one
// (DATABASE_URL's own, or DefaultDatabase).
func (s *Server) URL(database string) string {
	if database == "" {
		return s.dsn
	}
	return withDatabase(s.dsn, database)
}

// Close stops the private cluster if this process started it; otherwise it does nothing.
func (s *Server) Close() error {
	if s.cluster == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return s.cluster.stop(ctx)
}

func answers(ctx context.Context, addr string) bool {
	d := net.Dialer{Timeout: 300 * time.Millisecond}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

// withDatabase replaces the database of a connection string, in either of the forms pgx accepts.
func withDatabase(dsn, database string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		if u, err := url.Parse(dsn); err == nil {
			u.Path, u.RawPath = "/"+database, ""
			return u.String()
		}
	}
	// In keyword/value form the last occurrence of a keyword wins.
	return dsn + " dbname='" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(database) + "'"
}

// ErrNoPostgreSQL means DATABASE_URL is unset, nothing answers on 127.0.0.1:5432 and no
// PostgreSQL binaries were found to start a private cluster.
var ErrNoPostgreSQL = errors.New("no PostgreSQL: DATABASE_URL is unset, nothing answers on " + localAddr +
	" and no initdb and pg_ctl were found on PATH or in /usr/lib/postgresql/*/bin;" +
	" install PostgreSQL or set DATABASE_URL")
