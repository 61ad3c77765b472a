package im

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/postgres"
)

// storeTimeout bounds one statement of the queue: no caller's context governs it, since
// it stores the sends of several callers.
const storeTimeout = 30 * time.Second

// singleQueue stores one-to-one messages by group commit. A send that finds the
// database busy with earlier ones waits, and is stored together with the others that
// came meanwhile, in one statement and one commit. An idle queue stores a send at once;
// one that came while a statement ran waits for it and, at light load, for the rest of
// Options.SendGap. A batch that fails is retried one send at a time, so that one bad send
// cannot fail the others.
//
// One statement runs at a time until more sends wait than one takes (Options.SendBatch);
// only then do more run at once, up to Options.SendFlights. A second statement started for
// every send that finds the first one running (as this queue did) splits the sends into
// twice as many batches of half the size: at 1,000 sends a second, batches of one or two,
// each paying the statement's fixed cost (some 0.65 ms of PostgreSQL CPU, against 0.06 ms
// for each further send; PostgreSQL then took 1.4 cores), and two statements of sends
// that share users (a sender's events, a pair's chat) wait for each other's row locks
// until the first commits anyway. The trade-off: while one statement waits for its
// commit's WAL flush the sends behind it wait too, rather than being stored by a second
// statement overlapping that flush; with a backlog of a full batch, they are.
type singleQueue struct {
	s *Service

	mu      sync.Mutex
	waiting []*pendingSingle
	flights int
}

// pendingSingle is a send in the queue, and then how it went.
type pendingSingle struct {
	ctx  context.Context
	p    singleSend
	m    Message // as the sender gave it; storing fills its id, seq and time
	done chan struct{}
	came time.Time // when it joined the queue

	// Set before done is closed.
	users []string // the recipients (sender and receiver), and their event seqs
	seqs  []int64
	err   error // postgres.ErrNotFound: nothing was stored (see SendSingleMessage)
}

// store waits until the send is stored and announced, or ctx ends.
func (q *singleQueue) store(ctx context.Context, p *pendingSingle) error {
	p.ctx, p.done, p.came = ctx, make(chan struct{}), time.Now()
	q.mu.Lock()
	q.waiting = append(q.waiting, p)
	if q.flights == 0 || q.flights < q.s.opts.SendFlights && len(q.waiting) >= q.s.opts.SendBatch*q.flights {
		q.flights++
		go q.fly()
	}
	q.mu.Unlock()
	select {
	case <-p.done:
		return p.err
	case <-ctx.Done():
		return fault.Wrap(ctx.Err(), "store message")
	}
}

// fly stores batches until none waits. Its statements start Options.SendGap apart at
// least while fewer than Options.SendEnough sends wait: a send that finds the queue idle is
// stored at once, and the sends that came while a statement ran wait for the gap's end to
// be stored with those that come meanwhile. At 1,000 sends a second a statement takes
// some 1.5 ms, so that, back to back, one flight ran 600 statements a second of one or two
// sends, each paying the statement's fixed cost (executor start-up of some sixty plan
// nodes, the commit); PostgreSQL then took about half a core whatever the rate. make
// bench, one-to-one at 1,000/s, server and PostgreSQL per 1,000/s: 101% back to back,
// 74-83% with a 3 ms gap, on a slower machine; on a faster one (2026-12-07) 55-60% with
// 3 ms (p99 6.6-6.9 ms), 49-50% with 4 ms (p99 7.0-7.2 ms), 47-49% with 5 ms (p99 8.6 ms).
// SendEnough keeps a heavier load from waiting: at 5,000/s sixteen sends come in about
// 3 ms, and a statement of them costs little more per send than one of 256.
func (q *singleQueue) fly() {
	var started time.Time // the last statement's start
	for {
		q.mu.Lock()
		n := min(len(q.waiting), q.s.opts.SendBatch)
		if wait := q.s.opts.SendGap - time.Since(started); n > 0 && n < q.s.opts.SendEnough && !started.IsZero() && wait > 0 {
			q.mu.Unlock()
			time.Sleep(wait)
			q.mu.Lock()
			n = min(len(q.waiting), q.s.opts.SendBatch)
		}
		if n == 0 {
			q.flights--
			q.waiting = nil // drop the array
			q.mu.Unlock()
			return
		}
		started = time.Now()
		batch := make([]*pendingSingle, n)
		copy(batch, q.waiting)
		clear(q.waiting[:n])
		q.waiting = q.waiting[n:]
		q.mu.Unlock()
		q.storeBatch(batch)
	}
}

func (q *singleQueue) storeBatch(batch []*pendingSingle) {
	live := batch[:0:0]
	for _, p := range batch {
		if err := p.ctx.Err(); err != nil {
			p.err = err // its sender has gone: store nothing
			close(p.done)
			continue
		}
		live = append(live, p)
	}
	if len(live) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	began := time.Now()
	together, after := apart(live)
	if len(together) == 1 || q.storeTogether(ctx, together) != nil {
		after = live
	}
	// One by one: retries of a send in the batch (finding it stored), or all of them.
	for _, p := range after {
		q.storeOne(ctx, p)
	}
	if stats := q.s.opts.SendStats; stats != nil {
		st := SendBatchStats{Sends: len(live), Waited: make([]time.Duration, len(live)), Stored: time.Since(began)}
		for i, p := range live {
			st.Waited[i] = began.Sub(p.came)
		}
		stats(st)
	}
	ds := make([]Delivery, 0, len(live))
	for _, p := range live {
		if p.err != nil {
			continue
		}
		data, err := json.Marshal(p.m)
		if err != nil {
			p.err = fault.Wrap(err, "encode message")
			continue
		}
		d := Delivery{AppID: p.p.AppID, Type: EventMessage, Data: data, Recipients: make([]Recipient, len(p.users))}
		for i := range p.users {
			d.Recipients[i] = Recipient{UserID: p.users[i], Seq: p.seqs[i]}
		}
		ds = append(ds, d)
	}
	// In batch order, so that each recipient's events come in seq order.
	q.s.announce(ctx, Announcement{Users: ds})
	q.s.wakeIndexer()
	for _, p := range live {
		close(p.done)
	}
}

// apart sets aside the sends that repeat the clientMsgId of an earlier one in the batch:
// one statement cannot store both, nor tell the second that the first is its message.
func apart(batch []*pendingSingle) (together, after []*pendingSingle) {
	type key struct {
		app               int64
		from, clientMsgID string
	}
	var seen map[key]bool
	for _, p := range batch {
		if p.p.ClientMsgID != nil {
			k := key{p.p.AppID, p.p.FromID, *p.p.ClientMsgID}
			if seen[k] {
				after = append(after, p)
				continue
			}
			if seen == nil {
				seen = map[key]bool{}
			}
			seen[k] = true
		}
		together = append(together, p)
	}
	return together, after
}

// storeTogether stores the batch in one statement; on an error nothing is stored.
func (q *singleQueue) storeTogether(ctx context.Context, batch []*pendingSingle) error {
	n := len(batch)
	arg := db.SendSingleMessagesParams{
		AppIds: make([]int64, n), ChatKeys: make([]string, n), FromIds: make([]string, n), ToIds: make([]string, n),
		ClientMsgIds: make([]string, n), MsgTypes: make([]string, n), Contents: make([]string, n),
		SearchTexts: make([]string, n),
	}
	for i, b := range batch {
		p := &b.p
		arg.AppIds[i], arg.ChatKeys[i], arg.FromIds[i], arg.ToIds[i] = p.AppID, p.ChatKey, p.FromID, p.ToID
		if p.ClientMsgID != nil {
			arg.ClientMsgIds[i] = *p.ClientMsgID
		}
		arg.MsgTypes[i], arg.Contents[i], arg.SearchTexts[i] = p.MsgType, p.Content, p.SearchText
	}
	rows, err := q.s.sendSingleMessages(ctx, batch, arg)
	if err != nil {
		if n > 1 {
			q.s.opts.Log.Warn("store a batch of messages; storing them one by one", "sends", n, "err", err)
		}
		return err
	}
	for _, p := range batch {
		p.err = postgres.ErrNotFound
	}
	for _, r := range rows {
		if r.N < 1 || r.N > int64(n) {
			continue
		}
		p := batch[r.N-1]
		p.m.ID, p.m.Seq, p.m.CreatedAt, p.users, p.seqs, p.err = r.ID, r.Seq, r.CreatedAt, r.UserIds, r.EventSeqs, nil
	}
	return nil
}

// storeOne stores a send alone: a batch of one, through the same statement.
func (q *singleQueue) storeOne(ctx context.Context, p *pendingSingle) {
	if err := q.storeTogether(ctx, []*pendingSingle{p}); err != nil {
		p.err = err
	}
}
