package im

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/eventbus"
	"github.com/xuqmgroup/xuqm/internal/page"
	"github.com/xuqmgroup/xuqm/internal/postgres"
)

// MessageHook is told of every message once it is stored (webhooks, offline push). It runs
// on the sender's path: hand slow work to a goroutine.
type MessageHook interface {
	Accepted(ctx context.Context, appID int64, m Message, recipients []string)
}

// Options configure the service.
type Options struct {
	// RevokeWindow is how long a sender may revoke his message (XUQM_IM_REVOKE_WINDOW).
	RevokeWindow time.Duration
	// Location is the zone of zone-less time filters (XUQM_TIMEZONE).
	Location *time.Location
	Hooks    []MessageHook
	// Notifier is told of committed events (webhooks); BeforeSend may stop a message before
	// it is stored (before-send webhooks). Either may be nil.
	Notifier   Notifier
	BeforeSend BeforeSend
	Log        *slog.Logger
	// SendBatch is the most one-to-one sends stored in one statement (64).
	SendBatch int
	// SendFlights is how many statements storing one-to-one sends may run at once (2):
	// more sends than that wait, and are stored together.
	SendFlights int
}

// Service is the IM core.
type Service struct {
	pool *pgxpool.Pool
	q    *db.Queries
	bus  eventbus.Bus
	opts Options
	now  func() time.Time
	// presence tells the admin's user list who is online; nil: nobody.
	presence Presence

	singles   singleQueue
	indexWake chan struct{}
}

// New returns the service on pool, announcing events on bus.
func New(pool *pgxpool.Pool, bus eventbus.Bus, opts Options) *Service {
	if opts.RevokeWindow <= 0 {
		opts.RevokeWindow = 2 * time.Minute
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.SendBatch <= 0 {
		opts.SendBatch = 64
	}
	if opts.SendFlights <= 0 {
		opts.SendFlights = 2
	}
	s := &Service{pool: pool, q: db.New(pool), bus: bus, opts: opts, now: time.Now, indexWake: make(chan struct{}, 1)}
	s.singles.s = s
	return s
}

// inTx runs fn in a transaction and, once it has committed, announces the events fn
// stored.
func (s *Service) inTx(ctx context.Context, fn func(q *db.Queries, out *outbox) error) error {
	var out outbox
	err := postgres.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		out = outbox{}
		return fn(s.q.WithTx(tx), &out)
	})
	if err != nil {
		return err
	}
	s.announce(ctx, out.deliveries)
	return nil
}

func noRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }

func uniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}

// pageBounds applies the paging rules of internal/page: page from 0, size 20, at most 100.
func pageBounds(p PageRequest) (number, size int32) {
	r := page.New(&p.Page, &p.Size)
	return r.Number, r.Size
}
