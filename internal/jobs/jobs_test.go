package jobs_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/xuqmgroup/xuqm/internal/jobs"
	"github.com/xuqmgroup/xuqm/internal/postgres/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

type pingArgs struct{ N int }

func (pingArgs) Kind() string { return "test_ping" }

type pingWorker struct {
	river.WorkerDefaults[pingArgs]
	seen  atomic.Int64
	fails atomic.Int64 // fail this many first attempts
	done  chan int
}

func (w *pingWorker) Work(ctx context.Context, j *river.Job[pingArgs]) error {
	if w.fails.Add(-1) >= 0 {
		return river.JobSnooze(10 * time.Millisecond) // try again soon, as a retry would
	}
	w.seen.Add(1)
	w.done <- j.Args.N
	return nil
}

var errRollback = errors.New("roll back")

func newQueue(t *testing.T) (*jobs.Queue, *pingWorker, *pgxpool.Pool) {
	t.Helper()
	pool := pgtest.NewDB(t)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	q, err := jobs.New(pool, log, jobs.Options{PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	w := &pingWorker{done: make(chan int, 10)}
	jobs.Add(q, w)
	if err := q.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = q.Stop(ctx)
	})
	return q, w, pool
}

func wait(t *testing.T, w *pingWorker, want int) {
	t.Helper()
	select {
	case n := <-w.done:
		if n != want {
			t.Fatalf("worked job %d, want %d", n, want)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("job %d never ran", want)
	}
}

func TestJobsRunAndRetry(t *testing.T) {
	q, w, _ := newQueue(t)
	w.fails.Store(2)
	if _, err := q.Insert(t.Context(), pingArgs{N: 1}, nil); err != nil {
		t.Fatal(err)
	}
	wait(t, w, 1)
	if got := w.seen.Load(); got != 1 {
		t.Fatalf("worked %d times", got)
	}
}

func TestInsertTxFollowsTheTransaction(t *testing.T) {
	q, w, pool := newQueue(t)
	ctx := t.Context()
	// A job inserted in a transaction that rolls back never runs; one that commits does.
	for i, commit := range []bool{false, true} {
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			if _, err := q.InsertTx(ctx, tx, pingArgs{N: 10 + i}, nil); err != nil {
				return err
			}
			if !commit {
				return errRollback
			}
			return nil
		})
		if err != nil && err != errRollback {
			t.Fatal(err)
		}
	}
	wait(t, w, 11)
	select {
	case n := <-w.done:
		t.Fatalf("job %d ran after its transaction rolled back", n)
	case <-time.After(300 * time.Millisecond):
	}
}
