// Package jobs is the server's durable background work: webhook deliveries, push sends, patch
// building and anything else that must survive a restart and be retried. It is River
// (riverqueue/river) on the server's own PostgreSQL, so jobs are inserted in the same
// transaction as the rows that cause them, and any instance may work them.
//
// Wiring, in internal/cli:
//
//	queue, _ := jobs.New(pool, log, jobs.Options{})
//	jobs.Add(queue, &push.DeliveryWorker{…}) // each area adds its workers
//	svc := push.New(…, queue)                                   // and inserts through Inserter
//	queue.Start(ctx) … queue.Stop(ctx)
package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
)

// Queue names. Areas whose work must not wait behind another's have their own.
const (
	QueueDefault = river.QueueDefault
	QueuePush    = "push"
	QueueWebhook = "webhook"
	QueueUpdate  = "update"
)

// Inserter is what a service needs to queue work: plain inserts, or inserts inside the service's
// own transaction so that the job exists exactly when the row that caused it does.
type Inserter interface {
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	InsertTx(ctx context.Context, tx pgx.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	InsertMany(ctx context.Context, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
	InsertManyTx(ctx context.Context, tx pgx.Tx, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
}

// Options tune the queue; the zero value suits a server.
type Options struct {
	// Workers per queue on this instance; nil means DefaultQueues.
	Queues map[string]int
	// PollInterval is how often the queue looks for jobs that no notification announced
	// (scheduled retries); zero means one second. Tests shorten it.
	PollInterval time.Duration
}

// DefaultQueues are the queues every instance works, with their workers.
var DefaultQueues = map[string]int{QueueDefault: 10, QueuePush: 20, QueueWebhook: 10, QueueUpdate: 2}

// Queue is the River client of this instance.
type Queue struct {
	*river.Client[pgx.Tx]
	workers *river.Workers
	kinds   int
	started bool
}

var _ Inserter = (*Queue)(nil)

// New makes the queue. Add workers with Add before Start.
func New(pool *pgxpool.Pool, log *slog.Logger, opts Options) (*Queue, error) {
	queues := opts.Queues
	if queues == nil {
		queues = DefaultQueues
	}
	cfg := &river.Config{
		Logger:            log.With("component", "jobs"),
		Workers:           river.NewWorkers(),
		Queues:            map[string]river.QueueConfig{},
		FetchPollInterval: opts.PollInterval,
		// A job that panics or whose worker never returns is retried rather than stuck.
		JobTimeout: 5 * time.Minute,
	}
	if opts.PollInterval > 0 {
		cfg.FetchCooldown = min(opts.PollInterval, river.FetchCooldownDefault)
	}
	for name, n := range queues {
		cfg.Queues[name] = river.QueueConfig{MaxWorkers: n}
	}
	client, err := river.NewClient(riverpgxv5.New(pool), cfg)
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	return &Queue{Client: client, workers: cfg.Workers}, nil
}

// Add registers an area's worker for its kind of job. Call it before Start.
func Add[T river.JobArgs](q *Queue, w river.Worker[T]) {
	river.AddWorker(q.workers, w)
	q.kinds++
}

// Start works the queues until Stop. With no worker added it only inserts: an instance serving
// no area with background work still queues jobs for the others.
func (q *Queue) Start(ctx context.Context) error {
	if q.kinds == 0 {
		return nil
	}
	if err := q.Client.Start(ctx); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	q.started = true
	return nil
}

// Stop lets running jobs finish within ctx, then cancels them (they are retried later).
func (q *Queue) Stop(ctx context.Context) error {
	if !q.started {
		return nil
	}
	if err := q.Client.Stop(ctx); err != nil {
		return q.Client.StopAndCancel(context.WithoutCancel(ctx))
	}
	return nil
}

// migrationLockID serialises River's migrations between instances starting together.
const migrationLockID int64 = 0x78_75_71_6d_72 // "xuqmr"

// Migrate applies River's own migrations (its job table and friends) under an advisory lock, so
// that instances starting together take turns. They cannot share one transaction: one of
// them adds an enum value that a later one uses.
func Migrate(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) error {
	migrator, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Logger: log.With("component", "jobs")})
	if err != nil {
		return fmt.Errorf("jobs: migrations: %w", err)
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLockID); err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	defer func() {
		_, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLockID)
	}()
	res, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	for _, v := range res.Versions {
		log.Debug("applied job queue migration", "version", v.Version, "duration", v.Duration)
	}
	return nil
}
