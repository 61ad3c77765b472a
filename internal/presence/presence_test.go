package presence_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/xuqmgroup/xuqm/internal/postgres/pgtest"
	"github.com/xuqmgroup/xuqm/internal/presence"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestPresenceIsSharedAndExpires(t *testing.T) {
	pool := pgtest.NewDB(t)
	ctx := context.Background()
	opts := presence.Options{Heartbeat: 50 * time.Millisecond, Expiry: time.Second}
	a, err := presence.Start(ctx, pool, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := presence.Start(ctx, pool, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close(ctx)
	online := func(tr *presence.Tracker, want ...string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			got, err := tr.Online(ctx, 1, []string{"alice", "bob", "carol"})
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(got)
			if slices.Equal(got, want) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("online %v, want %v", got, want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	// Two conns of alice on a, one of bob on b: each instance sees both.
	a.Connected(1, "alice")
	a.Connected(1, "alice")
	b.Connected(1, "bob")
	b.Connected(2, "carol") // another app's carol
	online(b, "alice", "bob")
	online(a, "alice", "bob")
	// Users of several apps in one question: app 2's carol is online, app 1's is not.
	got, err := a.OnlineOf(ctx, []presence.User{{AppID: 1, UserID: "carol"}, {AppID: 2, UserID: "carol"}, {AppID: 1, UserID: "bob"}})
	if err != nil || len(got) != 2 || !got[presence.User{AppID: 2, UserID: "carol"}] || !got[presence.User{AppID: 1, UserID: "bob"}] {
		t.Fatalf("online of two apps: %v %v", got, err)
	}
	// One of alice's conns closes: she is still online; the other closes: she is not.
	a.Disconnected(1, "alice")
	online(b, "alice", "bob")
	a.Disconnected(1, "alice")
	online(b, "bob")
	// a crashes with alice connected: its row stops being refreshed, and alice expires.
	a.Connected(1, "alice")
	online(b, "alice", "bob")
	a.Crash()
	if n := count(t, pool, `SELECT count(*) FROM presence_connections WHERE user_id = 'alice'`); n != 1 {
		t.Fatalf("the crashed instance's row: %d", n)
	}
	// Within the expiry (1 s here, 45 s by default), alice is no longer online anywhere.
	online(b, "bob")
}

func count(t *testing.T, pool *pgxpool.Pool, sql string) int64 {
	t.Helper()
	var n int64
	if err := pool.QueryRow(context.Background(), sql).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
