package ratelimit

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
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

// 30 concurrent wrong passwords for one account from one address: each attempt is taken
// before it is evaluated, so no more than the limits let through get evaluated.
func TestLoginAttemptsAreTakenAtomically(t *testing.T) {
	pool := pgtest.NewDB(t)
	l := DefaultLogins("tenant")
	now := time.Date(2026, 4, 28, 10, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	var evaluated, refused atomic.Int64
	for range 30 {
		wg.Go(func() {
			err := l.Attempt(t.Context(), pool, now, "a@example.com", "10.0.0.1")
			switch {
			case err == nil:
				evaluated.Add(1)
			case fault.Is(err, fault.RateLimited) && fault.As(err).RetryAfter > 0:
				refused.Add(1)
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := evaluated.Load(); n > l.Free || n+refused.Load() != 30 {
		t.Errorf("%d of 30 concurrent attempts evaluated, %d refused; want at most %d evaluated", n, refused.Load(), l.Free)
	}
}

// Nobody can lock an account's owner out: an address that guesses is shut for that account
// and the account slows down for it, while the right password from another address goes in.
func TestLoginsSlowDownWithoutLockingOut(t *testing.T) {
	pool := pgtest.NewDB(t)
	ctx := t.Context()
	q := db.New(pool)
	l := DefaultLogins("ops")
	now := time.Date(2026, 4, 28, 10, 0, 0, 0, time.UTC)
	attempt := func(account, addr string) error { return l.Attempt(ctx, pool, now, account, addr) }
	for range l.Free {
		if err := attempt("admin", "10.6.6.6"); err != nil {
			t.Fatal(err)
		}
	}
	// Past the free attempts the attacker waits 1 s, then 2 s, 4 s …: slowed, not shut.
	for i, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second} {
		err := attempt("admin", "10.6.6.6")
		if fe := fault.As(err); !fault.Is(err, fault.RateLimited) || fe.RetryAfter != want {
			t.Fatalf("attempt %d right after the previous: %v (retry after %v), want rate limited for %v", i, err, fe.RetryAfter, want)
		}
		now = now.Add(want)
		if err := attempt("admin", "10.6.6.6"); err != nil {
			t.Fatalf("attempt %d after waiting %v: %v", i, want, err)
		}
	}
	// The attacker's address has used its 10 attempts on admin: shut for admin until they age.
	now = now.Add(time.Minute)
	if err := attempt("admin", "10.6.6.6"); !fault.Is(err, fault.RateLimited) {
		t.Fatalf("11th attempt from the guessing address: %v", err)
	}
	// The owner, from an address that has not been failing, is neither shut nor slowed.
	if err := attempt("admin", "10.0.0.1"); err != nil {
		t.Fatalf("the owner's fresh address: %v", err)
	}
	if err := l.Succeeded(ctx, q, "admin", "10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	// 30 attempts from one address over many accounts close that address for every account.
	for i := range 30 {
		if err := attempt(fmt.Sprintf("user%d", i), "10.7.7.7"); err != nil {
			t.Fatalf("attempt %d from 10.7.7.7: %v", i, err)
		}
	}
	if err := attempt("someone", "10.7.7.7"); !fault.Is(err, fault.RateLimited) {
		t.Errorf("31st attempt from one address: %v", err)
	}
	// The window passes: everything is allowed again.
	now = now.Add(l.Window + time.Second)
	if err := attempt("admin", "10.6.6.6"); err != nil {
		t.Errorf("after the window: %v", err)
	}
}
