package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/xuqmgroup/xuqm/internal/jobs"
	"github.com/xuqmgroup/xuqm/schema"
)

// migrationLockID is the advisory lock held while migrating, so that instances starting together
// take turns. It differs from goose's default so as not to wait on other goose users sharing the
// database.
const migrationLockID int64 = 0x78_75_71_6d // "xuqm"

// Migrate applies the pending migrations of package schema, then the job queue's, and logs each one to slog.Default().
// Instances may call it at the same time; they wait for one another.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return migrate(ctx, slog.Default(), pool)
}

func migrate(ctx context.Context, log *slog.Logger, pool *pgxpool.Pool) error {
	// Poll the lock every second for up to ten minutes: long enough for another instance's
	// migrations, short enough not to hang a start-up forever.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(migrationLockID), lock.WithLockTimeout(1, 600))
	if err != nil {
		return err
	}
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	provider, err := goose.NewProvider(goose.DialectPostgres, db, schema.Migrations,
		goose.WithSessionLocker(locker), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("postgres: migrations: %w", err)
	}
	results, err := provider.Up(ctx)
	if partial, ok := errors.AsType[*goose.PartialError](err); ok {
		results = partial.Applied
	}
	for _, r := range results {
		log.Info("applied migration", "version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration)
	}
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	return jobs.Migrate(ctx, pool, log)
}
