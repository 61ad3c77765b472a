package im

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/postgres"
)

// Options configure the service.
type Options struct {
	// RevokeWindow is how long a sender may revoke his message (XUQM_IM_REVOKE_WINDOW).
	RevokeWindow time.Duration
	// Location is the zone of zone-less time filters (XUQM_TIMEZONE).
	Location *time.Location
	// Notifier queues app events for the app's webhooks in the transactions that store
	// them; BeforeSend may stop a message before it is stored (before-send webhooks).
	// Either may be nil.
	Notifier   Notifier
	BeforeSend BeforeSend
	// GroupMaxMembers is the most members a group may have (XUQM_IM_GROUP_MAX_MEMBERS, 2000).
	GroupMaxMembers int32
	Log             *slog.Logger
	// Announcer takes the events stored, for live delivery (realtime.NewAnnouncer); nil:
	// none are announced, and clients get them by sync.
	Announcer Announcer
	// SendBatch is the most one-to-one sends stored in one statement (256). The statement's
	// cost is linear in its sends, after a fixed start (some sixty plan nodes, a dozen
	// relations locked), so that a backlog is best stored in few large batches.
	SendBatch int
	// SendFlights is how many statements storing one-to-one sends may run at once (2):
	// more sends than that wait, and are stored together. A statement beyond the first
	// starts only for a backlog of more sends than the ones running take (see singleQueue).
	SendFlights int
	// SendGap is the least time between the starts of one flight's statements while fewer
	// than SendEnough sends wait (4 ms; negative: none), so that a light load is stored in a
	// few batches of several sends rather than in many of one (see singleQueue.fly). It adds
	// at most the gap to a send that came while a statement ran; a send to an idle queue is
	// stored at once.
	SendGap time.Duration
	// SendEnough is how many waiting sends are worth a statement at once, gap or not (16):
	// the statement's fixed cost is then small beside theirs, and a heavier load waits no
	// gap.
	SendEnough int
	// SendStats, when set, is told how each batch of one-to-one sends went (for metrics);
	// it runs on the queue's goroutine, so it must not block.
	SendStats func(SendBatchStats)
	// Presence tells the admin's user list who is online: the presence shared by the
	// instances (presence.Tracker), not this instance's own connections; nil: nobody.
	Presence Presence
}

// SendBatchStats is how one batch of one-to-one sends went.
type SendBatchStats struct {
	// Sends is how many the batch stored or refused (not those whose sender had gone).
	Sends int
	// Waited is, for each send, how long it waited in the queue before its statement began.
	Waited []time.Duration
	// Stored is how long storing took: the statement and its commit, and any retries.
	Stored time.Duration
}

// Service is the IM core.
type Service struct {
	pool *pgxpool.Pool
	q    *db.Queries
	opts Options
	now  func() time.Time

	singles   singleQueue
	indexWake chan struct{}

	// Shutdown: once closing, sends are refused; running counts the sends and changes under
	// way, whose events Drain waits to see announced.
	mu      sync.Mutex
	closing bool
	running int
	idle    *sync.Cond
}

// New returns the service on pool.
func New(pool *pgxpool.Pool, opts Options) *Service {
	if opts.RevokeWindow <= 0 {
		opts.RevokeWindow = 2 * time.Minute
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.GroupMaxMembers <= 0 {
		opts.GroupMaxMembers = 2000
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.SendBatch <= 0 {
		opts.SendBatch = 256
	}
	if opts.SendFlights <= 0 {
		opts.SendFlights = 2
	}
	if opts.SendGap == 0 {
		opts.SendGap = 4 * time.Millisecond
	}
	if opts.SendEnough <= 0 {
		opts.SendEnough = 16
	}
	if opts.Announcer == nil {
		opts.Announcer = silentAnnouncer{}
	}
	s := &Service{pool: pool, q: postgres.Queries(pool), opts: opts, now: time.Now, indexWake: make(chan struct{}, 1)}
	s.idle = sync.NewCond(&s.mu)
	s.singles.s = s
	return s
}

// StopSends refuses every send from now on (503, fault.Unavailable: the client retries, on another instance
// or once this one is back), the first step of a shutdown.
func (s *Service) StopSends() {
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
}

// Drain waits until the sends and changes under way have been stored and announced, or
// ctx ends; call it after StopSends.
func (s *Service) Drain(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() {
		s.mu.Lock()
		s.idle.Broadcast()
		s.mu.Unlock()
	})
	defer stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.running > 0 && ctx.Err() == nil {
		s.idle.Wait()
	}
	return ctx.Err()
}

// begin counts a send (refused once closing) or a change under way; done ends it.
func (s *Service) begin(send bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if send && s.closing {
		return fault.Unavailablef(time.Second, "the server is shutting down; send again in a moment")
	}
	s.running++
	return nil
}

func (s *Service) done() {
	s.mu.Lock()
	s.running--
	if s.running == 0 {
		s.idle.Broadcast()
	}
	s.mu.Unlock()
}

// inTx runs fn in a transaction and, once it has committed, announces the events fn
// stored.
func (s *Service) inTx(ctx context.Context, fn func(q *db.Queries, out *outbox) error) error {
	_ = s.begin(false)
	defer s.done()
	var out outbox
	err := postgres.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		out = outbox{}
		if err := fn(s.q.WithTx(tx), &out); err != nil {
			return err
		}
		return s.queueEvents(ctx, tx, out.events)
	})
	if err != nil {
		return err
	}
	s.announce(ctx, out.Announcement)
	return nil
}

func noRows(err error) bool { return errors.Is(err, postgres.ErrNotFound) }

// uniqueViolation is how storing a send that repeats a clientMsgId can fail (see sendFailed).
func uniqueViolation(err error) bool { return errors.Is(err, postgres.ErrUnique) }
