package postgres

import (
	"context"
	"log/slog"
)

// OpenPrivate is Open without the 127.0.0.1:5432 probe, so that tests reach the private-cluster
// path on machines where a server answers there.
func OpenPrivate(ctx context.Context, log *slog.Logger, dataDir string) (*DB, error) {
	return open(ctx, log, "", dataDir, "")
}

// LocalAddr is the probed address, for tests that depend on whether something answers there.
const LocalAddr = localAddr

// Translating is the wrapper Queries puts around a pool or a connection, for tests that send
// statements of their own through it.
func Translating(d DBTX) DBTX { return translating(d) }
