package im

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/xuqmgroup/xuqm/internal/postgres/pgtest"
)

// pending is a TEXT send from → to as Send queues it.
func pending(app int64, from, to, content, clientMsgID string) *pendingSingle {
	var id *string
	if clientMsgID != "" {
		id = &clientMsgID
	}
	return &pendingSingle{
		ctx: context.Background(), done: make(chan struct{}),
		m: Message{ClientMsgID: id, FromID: from, ToID: to, ChatType: Single, MsgType: Text, Content: content},
		p: singleParams(User{AppID: app, UserID: from}, to, id, Text, content, content),
	}
}

// batchFixture is a service on a fresh database with an app's accounts, the deliveries it
// announced, and what it logged.
func batchFixture(t *testing.T, users ...string) (*Service, int64, *[]Delivery, *bytes.Buffer) {
	t.Helper()
	pool := pgtest.NewDB(t)
	ctx := context.Background()
	var tenant, app int64
	if err := pool.QueryRow(ctx, `INSERT INTO tenants (name, email) VALUES ('t', 't@example.com') RETURNING id`).Scan(&tenant); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `INSERT INTO apps (tenant_id, app_key, app_secret, name) VALUES ($1, 'ak_batch', 's', 'a') RETURNING id`, tenant).Scan(&app); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO im_accounts (app_id, user_id) SELECT $1, unnest($2::text[])`, app, users); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	var log bytes.Buffer
	return New(pool, Options{Log: slog.New(slog.NewTextHandler(&log, nil)), Announcer: rec}), app, &rec.seen, &log
}

// recorder keeps the user events announced.
type recorder struct{ seen []Delivery }

func (r *recorder) Announce(_ context.Context, a Announcement) { r.seen = append(r.seen, a.Users...) }

func TestBatchStoresEachSendAsAlone(t *testing.T) {
	s, app, seen, log := batchFixture(t, "alice", "bob", "carol")
	earlier := pending(app, "alice", "carol", "stored before", "c-0")
	s.singles.storeBatch([]*pendingSingle{earlier})
	if earlier.err != nil {
		t.Fatal(earlier.err)
	}
	*seen = nil

	batch := []*pendingSingle{
		pending(app, "alice", "bob", "one", "c-1"),
		pending(app, "bob", "alice", "two", ""),
		pending(app, "alice", "nobody", "to an unknown user", ""),
		pending(app, "alice", "bob", "three", "c-1"),           // c-1 again, in the same batch
		pending(app, "alice", "carol", "stored before", "c-0"), // c-0 again, stored before
		pending(app, "carol", "bob", "four", ""),
		pending(app, "alice", "bob", "five", "c-5"),
	}
	s.singles.storeBatch(batch)
	if log.Len() > 0 {
		t.Fatalf("the batch was not stored in one statement: %s", log)
	}

	for i, want := range []struct {
		seq     int64
		noRow   bool
		users   []string
		evtSeqs []int64
	}{
		{seq: 1, users: []string{"alice", "bob"}, evtSeqs: []int64{2, 1}},
		{seq: 2, users: []string{"alice", "bob"}, evtSeqs: []int64{3, 2}},
		{noRow: true},
		{noRow: true},
		{noRow: true},
		{seq: 1, users: []string{"bob", "carol"}, evtSeqs: []int64{3, 2}},
		{seq: 3, users: []string{"alice", "bob"}, evtSeqs: []int64{4, 4}},
	} {
		p := batch[i]
		select {
		case <-p.done:
		default:
			t.Fatalf("send %d: not done", i)
		}
		if want.noRow {
			if !errors.Is(p.err, pgx.ErrNoRows) {
				t.Errorf("send %d: got %v, want no row", i, p.err)
			}
			continue
		}
		if p.err != nil {
			t.Fatalf("send %d: %v", i, p.err)
		}
		if p.m.Seq != want.seq || p.m.ID == 0 || p.m.CreatedAt.IsZero() {
			t.Errorf("send %d: message %+v, want seq %d", i, p.m, want.seq)
		}
		if len(p.users) != 2 || p.users[0] != want.users[0] || p.users[1] != want.users[1] || p.seqs[0] != want.evtSeqs[0] || p.seqs[1] != want.evtSeqs[1] {
			t.Errorf("send %d: recipients %v seqs %v, want %v %v", i, p.users, p.seqs, want.users, want.evtSeqs)
		}
	}
	// The repeated clientMsgId was stored once: its retry finds the first message.
	if got, err := s.byClientMsgID(context.Background(), User{AppID: app, UserID: "alice"}, "c-1"); err != nil || got.ID != batch[0].m.ID || got.Content != "one" {
		t.Errorf("c-1 is %+v, %v; want the first send", got, err)
	}
	// One announcement per stored message, in batch order.
	if len(*seen) != 4 {
		t.Fatalf("%d deliveries, want 4", len(*seen))
	}
	for i, p := range []*pendingSingle{batch[0], batch[1], batch[5], batch[6]} {
		if d := (*seen)[i]; d.Recipients[0].Seq != p.seqs[0] || d.Recipients[1].Seq != p.seqs[1] {
			t.Errorf("delivery %d: %+v, want the seqs of %+v", i, d.Recipients, p.seqs)
		}
	}
	// Each user's event log is dense and points at the messages in order.
	rows, err := s.pool.Query(context.Background(), `SELECT user_id, array_agg(seq ORDER BY seq), array_agg(message_id ORDER BY seq) FROM im_user_events GROUP BY user_id ORDER BY user_id`)
	if err != nil {
		t.Fatal(err)
	}
	logs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[struct {
		User string
		Seqs []int64
		IDs  []int64
	}])
	if err != nil {
		t.Fatal(err)
	}
	wantIDs := map[string][]int64{
		"alice": {earlier.m.ID, batch[0].m.ID, batch[1].m.ID, batch[6].m.ID},
		"bob":   {batch[0].m.ID, batch[1].m.ID, batch[5].m.ID, batch[6].m.ID},
		"carol": {earlier.m.ID, batch[5].m.ID},
	}
	for _, l := range logs {
		for i := range l.Seqs {
			if l.Seqs[i] != int64(i+1) || l.IDs[i] != wantIDs[l.User][i] {
				t.Errorf("%s's events: seqs %v messages %v, want 1… and %v", l.User, l.Seqs, l.IDs, wantIDs[l.User])
				break
			}
		}
	}
}

func TestBatchFailureFallsBackToOneByOne(t *testing.T) {
	s, app, seen, log := batchFixture(t, "alice", "bob")
	// PostgreSQL refuses a NUL in text (Send refuses it before): the statement storing the
	// batch fails, and each send is tried alone.
	batch := []*pendingSingle{
		pending(app, "alice", "bob", "before", ""),
		pending(app, "alice", "bob", "bad \x00 content", ""),
		pending(app, "bob", "alice", "after", ""),
	}
	s.singles.storeBatch(batch)
	if batch[0].err != nil || batch[2].err != nil {
		t.Fatalf("good sends failed: %v, %v", batch[0].err, batch[2].err)
	}
	if batch[1].err == nil || errors.Is(batch[1].err, pgx.ErrNoRows) {
		t.Fatalf("bad send: %v, want the database's error", batch[1].err)
	}
	if batch[0].m.Seq != 1 || batch[2].m.Seq != 2 || len(*seen) != 2 {
		t.Fatalf("seqs %d, %d and %d deliveries; want 1, 2 and 2", batch[0].m.Seq, batch[2].m.Seq, len(*seen))
	}
	if !strings.Contains(log.String(), "one by one") {
		t.Errorf("the failed batch was not logged: %q", log)
	}
}

func TestBatchSkipsSendsWhoseCallerLeft(t *testing.T) {
	s, app, seen, _ := batchFixture(t, "alice", "bob")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	gone := pending(app, "alice", "bob", "never mind", "")
	gone.ctx = ctx
	kept := pending(app, "alice", "bob", "kept", "")
	s.singles.storeBatch([]*pendingSingle{gone, kept})
	if !errors.Is(gone.err, context.Canceled) || kept.err != nil || kept.m.Seq != 1 || len(*seen) != 1 {
		t.Fatalf("gone: %v; kept: %v seq %d; %d deliveries", gone.err, kept.err, kept.m.Seq, len(*seen))
	}
}

// gate holds every announcement, and so the flight that stores it, until released; it
// records the size of each batch announced.
type gate struct {
	arrived chan struct{}
	hold    chan struct{}
	mu      sync.Mutex
	batches []int
}

func newGate() *gate { return &gate{arrived: make(chan struct{}, 16), hold: make(chan struct{})} }

func (g *gate) Announce(_ context.Context, a Announcement) {
	g.arrived <- struct{}{}
	<-g.hold
	g.mu.Lock()
	g.batches = append(g.batches, len(a.Users))
	g.mu.Unlock()
}

// sendAll stores the sends, each from its own goroutine as from its own caller; the
// returned function waits for them and fails on an error.
func sendAll(t *testing.T, s *Service, sends ...*pendingSingle) func() {
	var wg sync.WaitGroup
	for _, p := range sends {
		wg.Go(func() {
			if err := s.singles.store(context.Background(), p); err != nil {
				t.Error(err)
			}
		})
	}
	return wg.Wait
}

// waitQueued waits until n sends wait in the queue, or more than most flights run, and
// returns how many flights run.
func waitQueued(s *Service, n, most int) int {
	for {
		s.singles.mu.Lock()
		waiting, flights := len(s.singles.waiting), s.singles.flights
		s.singles.mu.Unlock()
		if waiting >= n || flights > most {
			return flights
		}
		time.Sleep(time.Millisecond)
	}
}

func TestSendsWaitForTheStatementUnderWay(t *testing.T) {
	s, app, _, _ := batchFixture(t, "alice", "bob", "carol")
	g := newGate()
	s.opts.Announcer = g
	first := sendAll(t, s, pending(app, "alice", "bob", "first", ""))
	<-g.arrived // the first send's flight is under way
	// Three sends come meanwhile: they wait, for one batch after it, rather than start a
	// second statement each.
	rest := sendAll(t, s, pending(app, "bob", "alice", "2", ""), pending(app, "carol", "bob", "3", ""), pending(app, "alice", "carol", "4", ""))
	if flights := waitQueued(s, 3, 1); flights != 1 {
		t.Fatalf("%d statements under way, want 1", flights)
	}
	close(g.hold)
	first()
	rest()
	if len(g.batches) != 2 || g.batches[0] != 1 || g.batches[1] != 3 {
		t.Fatalf("batches of %v sends, want [1 3]", g.batches)
	}
}

func TestABacklogOfABatchStartsAnotherStatement(t *testing.T) {
	s, app, _, _ := batchFixture(t, "alice", "bob", "carol")
	g := newGate()
	s.opts.Announcer, s.opts.SendBatch = g, 2
	first := sendAll(t, s, pending(app, "alice", "bob", "first", ""))
	<-g.arrived
	// A full batch waiting: a second statement takes it, up to SendFlights (2) at once.
	second := sendAll(t, s, pending(app, "bob", "alice", "2", ""), pending(app, "carol", "bob", "3", ""))
	<-g.arrived
	third := sendAll(t, s, pending(app, "alice", "carol", "4", ""), pending(app, "carol", "alice", "5", ""))
	if flights := waitQueued(s, 2, 2); flights != 2 {
		t.Fatalf("%d statements under way, want 2", flights)
	}
	close(g.hold)
	first()
	second()
	third()
	if len(g.batches) != 3 || g.batches[0]+g.batches[1]+g.batches[2] != 5 {
		t.Fatalf("batches of %v sends, want 3 batches of 5 sends in all", g.batches)
	}
}

// TestSendGapGathersTheSendsThatWait holds the first statement on a lock, queues a second
// send behind it, and adds a third during the gap after the first: the second is not
// stored before the gap ends, and then it is stored with the third, in one statement (one
// transaction time).
func TestSendGapGathersTheSendsThatWait(t *testing.T) {
	s, app, _, _ := batchFixture(t, "alice", "bob", "carol")
	s.opts.SendGap = time.Second
	ctx := context.Background()
	hold := lockUserStates(t, s)
	stored := func(p *pendingSingle) chan error {
		errs := make(chan error, 1)
		go func() { errs <- s.singles.store(ctx, p) }()
		return errs
	}
	first := pending(app, "alice", "bob", "first", "")
	firstDone := stored(first)
	waitForLock(t, s)
	second := pending(app, "bob", "carol", "second", "")
	secondDone := stored(second)
	for {
		s.singles.mu.Lock()
		n := len(s.singles.waiting)
		s.singles.mu.Unlock()
		if n == 1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if err := hold.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-firstDone; err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // well inside the gap
	select {
	case err := <-secondDone:
		t.Fatalf("the second send was stored before the gap ended (err %v)", err)
	default:
	}
	third := pending(app, "carol", "alice", "third", "")
	if err := <-stored(third); err != nil {
		t.Fatal(err)
	}
	if err := <-secondDone; err != nil {
		t.Fatal(err)
	}
	if !second.m.CreatedAt.Equal(third.m.CreatedAt) || first.m.CreatedAt.Equal(second.m.CreatedAt) {
		t.Fatalf("stored at %v, %v, %v: want the second and third in one statement, after the first",
			first.m.CreatedAt, second.m.CreatedAt, third.m.CreatedAt)
	}
}

// TestEnoughSendsWaitNoGap holds the first statement on a lock while SendEnough sends
// queue behind it: once it commits they are stored at once, together, although the gap
// after it has hours to run.
func TestEnoughSendsWaitNoGap(t *testing.T) {
	s, app, _, _ := batchFixture(t, "alice", "bob", "carol")
	s.opts.SendGap, s.opts.SendEnough = time.Hour, 2
	ctx := context.Background()
	hold := lockUserStates(t, s)
	first := pending(app, "alice", "bob", "first", "")
	firstDone := make(chan error, 1)
	go func() { firstDone <- s.singles.store(ctx, first) }()
	waitForLock(t, s)
	second, third := pending(app, "bob", "carol", "second", ""), pending(app, "carol", "alice", "third", "")
	rest := make(chan struct{})
	go func() {
		sendAll(t, s, second, third)()
		close(rest)
	}()
	waitQueued(s, 2, 1)
	if err := hold.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-firstDone; err != nil {
		t.Fatal(err)
	}
	select {
	case <-rest:
	case <-time.After(30 * time.Second):
		t.Fatal("two waiting sends, SendEnough, waited for the gap of an hour")
	}
	if !second.m.CreatedAt.Equal(third.m.CreatedAt) || first.m.CreatedAt.Equal(second.m.CreatedAt) {
		t.Fatalf("stored at %v, %v, %v: want the second and third in one statement, after the first",
			first.m.CreatedAt, second.m.CreatedAt, third.m.CreatedAt)
	}
}

// TestSendStatsTellEachBatch holds the first statement on a lock while two sends queue
// behind it: the stats give a batch of one and then one of two, whose sends waited at least
// as long as the lock was held, and the first batch's storing took that long too.
func TestSendStatsTellEachBatch(t *testing.T) {
	s, app, _, _ := batchFixture(t, "alice", "bob", "carol")
	var mu sync.Mutex
	var stats []SendBatchStats
	s.opts.SendStats = func(st SendBatchStats) {
		mu.Lock()
		stats = append(stats, st)
		mu.Unlock()
	}
	ctx := context.Background()
	hold := lockUserStates(t, s)
	first := sendAll(t, s, pending(app, "alice", "bob", "first", ""))
	waitForLock(t, s)
	rest := sendAll(t, s, pending(app, "bob", "carol", "2", ""), pending(app, "carol", "alice", "3", ""))
	waitQueued(s, 2, 1)
	const held = 50 * time.Millisecond
	time.Sleep(held)
	if err := hold.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	first()
	rest()
	mu.Lock()
	defer mu.Unlock()
	if len(stats) != 2 || stats[0].Sends != 1 || stats[1].Sends != 2 || len(stats[1].Waited) != 2 {
		t.Fatalf("stats %+v, want a batch of 1 and then one of 2", stats)
	}
	if stats[0].Stored < held {
		t.Errorf("the held batch took %v to store, want at least %v", stats[0].Stored, held)
	}
	for i, w := range stats[1].Waited {
		if w < held {
			t.Errorf("send %d of the second batch waited %v, want at least %v", i, w, held)
		}
	}
}

// waitForLock waits until a statement storing one-to-one sends waits for a lock.
func waitForLock(t *testing.T, s *Service) {
	t.Helper()
	for waiting := false; !waiting; {
		if err := s.pool.QueryRow(context.Background(), `SELECT count(*) > 0 FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%SendSingleMessages%'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// lockUserStates takes a lock that holds every send statement until the transaction it
// returns ends (it is rolled back when the test ends).
func lockUserStates(t *testing.T, s *Service) pgx.Tx {
	t.Helper()
	ctx := context.Background()
	hold, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = hold.Rollback(ctx) })
	if _, err := hold.Exec(ctx, `LOCK TABLE im_user_states IN EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	return hold
}
