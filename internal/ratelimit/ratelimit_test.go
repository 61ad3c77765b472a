package ratelimit

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/postgres"
	"github.com/xuqmgroup/xuqm/internal/postgres/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestTakeSlidingWindow(t *testing.T) {
	pool := pgtest.NewDB(t)
	ctx := context.Background()
	l := Limit{Bucket: "mail-address:a@example.com", Max: 2, Window: time.Minute, Message: "slow down"}
	t0 := time.Date(2026, 4, 28, 10, 0, 0, 0, time.UTC)
	take := func(at time.Time) error {
		return postgres.WithTx(ctx, pool, func(tx pgx.Tx) error { return Take(ctx, db.New(tx), at, l) })
	}
	if err := take(t0); err != nil {
		t.Fatal(err)
	}
	if err := take(t0.Add(20 * time.Second)); err != nil {
		t.Fatal(err)
	}
	err := take(t0.Add(30 * time.Second))
	fe := fault.As(err)
	if fe.Kind != fault.RateLimited || fe.RetryAfter != 30*time.Second {
		t.Fatalf("third take: %v (retry after %v), want rate limited for 30s", err, fe.RetryAfter)
	}
	// The refused take was not counted: once the first event leaves the window, one fits.
	if err := take(t0.Add(61 * time.Second)); err != nil {
		t.Errorf("after the first event left the window: %v", err)
	}
	if err := take(t0.Add(62 * time.Second)); !fault.Is(err, fault.RateLimited) {
		t.Errorf("the window is full again: %v", err)
	}
	// Other buckets are apart.
	other := Limit{Bucket: "mail-address:b@example.com", Max: 1, Window: time.Minute}
	if err := postgres.WithTx(ctx, pool, func(tx pgx.Tx) error { return Take(ctx, db.New(tx), t0.Add(62*time.Second), other) }); err != nil {
		t.Errorf("another bucket: %v", err)
	}
	if n, err := Purge(ctx, db.New(pool), t0.Add(time.Hour)); err != nil || n != 4 {
		t.Errorf("purge: %d %v", n, err)
	}
}

func TestLogins(t *testing.T) {
	q := db.New(pgtest.NewDB(t))
	ctx := context.Background()
	l := Logins{Kind: "tenant", PerAccount: 3, PerAddress: 5, Window: 15 * time.Minute}
	now := time.Date(2026, 4, 28, 10, 0, 0, 0, time.UTC)
	for range 3 {
		if err := l.Check(ctx, q, now, "a@example.com", "10.0.0.1"); err != nil {
			t.Fatal(err)
		}
		if err := l.Failed(ctx, q, now, "a@example.com", "10.0.0.1"); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Check(ctx, q, now, "a@example.com", "10.0.0.2"); !fault.Is(err, fault.RateLimited) {
		t.Errorf("account over its limit from another address: %v", err)
	}
	if err := l.Check(ctx, q, now, "b@example.com", "10.0.0.1"); err != nil {
		t.Errorf("another account from the same address under its limit: %v", err)
	}
	// Ops sign-ins count apart from tenant sign-ins.
	if err := (Logins{Kind: "ops", PerAccount: 3, PerAddress: 5, Window: time.Minute}).Check(ctx, q, now, "a@example.com", "10.0.0.1"); err != nil {
		t.Errorf("ops bucket: %v", err)
	}
	if err := l.Succeeded(ctx, q, "a@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := l.Check(ctx, q, now, "a@example.com", "10.0.0.2"); err != nil {
		t.Errorf("after a success: %v", err)
	}
	for range 2 {
		l.Failed(ctx, q, now, "c@example.com", "10.0.0.1")
	}
	if err := l.Check(ctx, q, now, "d@example.com", "10.0.0.1"); !fault.Is(err, fault.RateLimited) {
		t.Errorf("address over its limit: %v", err)
	}
	if err := l.Check(ctx, q, now.Add(15*time.Minute+time.Second), "d@example.com", "10.0.0.1"); err != nil {
		t.Errorf("after the window: %v", err)
	}
}
