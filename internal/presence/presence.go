// Package presence tells every instance which IM users have a live WebSocket on any
// instance, so that offline push reaches exactly the users no instance holds.
//
// It is kept in PostgreSQL rather than passed over the event bus: a question "is this user
// online anywhere?" then has one indexed answer, right on an instance that just started,
// with no request to every other instance and no wait for their replies; the bus (core
// NATS) keeps nothing, so a newcomer would not know who connected before it. The cost is a
// write when a user's first connection on an instance opens or his last one closes (not per
// connection, not per message), done off the connection's path in batches. Each instance
// refreshes its row every Heartbeat; a crashed instance's users stop counting once its row
// is older than Expiry (45 s by default: within a minute), and are purged later.
package presence

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/postgres"
)

// Options tune the tracker; zero values take the defaults.
type Options struct {
	Heartbeat time.Duration // 15s: how often the instance's row is refreshed
	Expiry    time.Duration // 45s: a row older than this is a crashed instance's
	Log       *slog.Logger
}

// User is a user of an app.
type User struct {
	AppID  int64
	UserID string
}

// Tracker is this instance's part of presence: the hub tells it of connections, and anyone
// may ask it who is online anywhere.
type Tracker struct {
	pool *pgxpool.Pool
	q    *db.Queries
	id   pgtype.UUID
	opts Options

	mu     sync.Mutex
	counts map[User]int      // this instance's connections per user
	dirty  map[User]struct{} // users whose row is to be written or removed

	wake chan struct{}
	stop chan struct{}
	done chan struct{}
}

// Start registers the instance and keeps its rows until Close.
func Start(ctx context.Context, pool *pgxpool.Pool, opts Options) (*Tracker, error) {
	if opts.Heartbeat <= 0 {
		opts.Heartbeat = 15 * time.Second
	}
	if opts.Expiry <= 0 {
		opts.Expiry = 3 * opts.Heartbeat
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	t := &Tracker{
		pool: pool, q: postgres.Queries(pool), id: pgtype.UUID{Bytes: uuid.New(), Valid: true}, opts: opts,
		counts: map[User]int{}, dirty: map[User]struct{}{},
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
	}
	if _, err := t.q.BeatPresenceInstance(ctx, t.id); err != nil {
		return nil, err
	}
	go t.run()
	return t, nil
}

// Connected counts a connection of the user on this instance. It never blocks on the
// database.
func (t *Tracker) Connected(appID int64, userID string) {
	t.change(User{appID, userID}, 1)
}

// Disconnected counts a connection of the user gone.
func (t *Tracker) Disconnected(appID int64, userID string) {
	t.change(User{appID, userID}, -1)
}

func (t *Tracker) change(k User, d int) {
	t.mu.Lock()
	n := t.counts[k] + d
	if n <= 0 {
		delete(t.counts, k)
	} else {
		t.counts[k] = n
	}
	// Only the first connection and the last change the rows.
	if (d > 0 && n == 1) || n <= 0 {
		t.dirty[k] = struct{}{}
	}
	t.mu.Unlock()
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// DefaultExpiry is Options.Expiry's default.
const DefaultExpiry = 45 * time.Second

// CountOnline counts the IM users with a live connection on some instance, every app's
// (a user with several devices once), as the instances have written them: a connection
// opened a moment ago may not count yet.
func CountOnline(ctx context.Context, q *db.Queries) (int64, error) {
	return q.CountOnlineUsers(ctx, int32(DefaultExpiry/time.Second))
}

// Online returns those of userIDs with a live connection on some instance.
func (t *Tracker) Online(ctx context.Context, appID int64, userIDs []string) ([]string, error) {
	users := make([]User, len(userIDs))
	for i, u := range userIDs {
		users[i] = User{appID, u}
	}
	online, err := t.OnlineOf(ctx, users)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, u := range userIDs {
		if online[User{appID, u}] {
			out = append(out, u)
		}
	}
	return out, nil
}

// OnlineOf tells which of users, of any apps, have a live connection on some instance, in
// one query at most. This instance's own connections count at once, before they are
// written, and only the users it does not hold are asked of the database.
func (t *Tracker) OnlineOf(ctx context.Context, users []User) (map[User]bool, error) {
	online := make(map[User]bool)
	var elsewhere db.OnlineUsersOfAppsParams
	t.mu.Lock()
	for _, u := range users {
		if t.counts[u] > 0 {
			online[u] = true
		} else {
			elsewhere.AppIds, elsewhere.UserIds = append(elsewhere.AppIds, u.AppID), append(elsewhere.UserIds, u.UserID)
		}
	}
	t.mu.Unlock()
	if len(elsewhere.AppIds) == 0 {
		return online, nil
	}
	elsewhere.ExpirySeconds = int32(t.opts.Expiry / time.Second)
	rows, err := t.q.OnlineUsersOfApps(ctx, elsewhere)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		online[User{r.AppID, r.UserID}] = true
	}
	return online, nil
}

// Close removes the instance's rows: its users are offline here at once.
func (t *Tracker) Close(ctx context.Context) {
	close(t.stop)
	<-t.done
	if err := t.q.DeletePresenceInstance(ctx, t.id); err != nil {
		t.opts.Log.Warn("presence: remove instance", "err", err)
	}
}

func (t *Tracker) run() {
	defer close(t.done)
	beat := time.NewTicker(t.opts.Heartbeat)
	defer beat.Stop()
	ctx := context.Background()
	for {
		select {
		case <-t.stop:
			return
		case <-t.wake:
			t.flush(ctx)
		case <-beat.C:
			t.heartbeat(ctx)
			t.flush(ctx)
		}
	}
}

func (t *Tracker) heartbeat(ctx context.Context) {
	created, err := t.q.BeatPresenceInstance(ctx, t.id)
	if err != nil {
		t.opts.Log.Warn("presence: heartbeat", "err", err)
		return
	}
	if created { // purged while this instance could not beat: write every connection again
		t.mu.Lock()
		for k := range t.counts {
			t.dirty[k] = struct{}{}
		}
		t.mu.Unlock()
	}
	// Long gone instances; Online has ignored them since Expiry.
	if _, err := t.q.PurgePresenceInstances(ctx, int32(10*t.opts.Expiry/time.Second)); err != nil {
		t.opts.Log.Warn("presence: purge", "err", err)
	}
}

// flush writes the users whose first connection opened and removes those whose last closed.
func (t *Tracker) flush(ctx context.Context) {
	t.mu.Lock()
	var add, remove db.AddPresenceConnectionsOfAppsParams
	for k := range t.dirty {
		if t.counts[k] > 0 {
			add.AppIds, add.UserIds = append(add.AppIds, k.AppID), append(add.UserIds, k.UserID)
		} else {
			remove.AppIds, remove.UserIds = append(remove.AppIds, k.AppID), append(remove.UserIds, k.UserID)
		}
	}
	clear(t.dirty)
	t.mu.Unlock()
	var failed []User
	if len(add.AppIds) > 0 {
		add.InstanceID = t.id
		if err := t.q.AddPresenceConnectionsOfApps(ctx, add); err != nil {
			t.opts.Log.Warn("presence: write connections", "err", err)
			failed = appendKeys(failed, add.AppIds, add.UserIds)
		}
	}
	if len(remove.AppIds) > 0 {
		err := t.q.RemovePresenceConnectionsOfApps(ctx, db.RemovePresenceConnectionsOfAppsParams{AppIds: remove.AppIds, UserIds: remove.UserIds, InstanceID: t.id})
		if err != nil {
			t.opts.Log.Warn("presence: remove connections", "err", err)
			failed = appendKeys(failed, remove.AppIds, remove.UserIds)
		}
	}
	if len(failed) > 0 { // the next beat tries again
		t.mu.Lock()
		for _, k := range failed {
			t.dirty[k] = struct{}{}
		}
		t.mu.Unlock()
	}
}

func appendKeys(keys []User, apps []int64, users []string) []User {
	for i := range apps {
		keys = append(keys, User{apps[i], users[i]})
	}
	return keys
}
