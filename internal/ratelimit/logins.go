package ratelimit

import (
	"context"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/postgres"
)

// Logins bounds password guessing without letting anyone lock an account's owner out.
//
// Every attempt is taken (counted) before the password is evaluated, under locks on its
// buckets in PostgreSQL, so concurrent attempts on any instance cannot all slip under a limit.
// The limits, within Window:
//   - PerPair attempts for one account from one address, then 429 until the oldest leaves the
//     window: the attacker's address is shut, the owner's is not;
//   - PerAddress attempts from one address over all accounts;
//   - an account that has taken Free attempts is slowed down, not shut: each further attempt
//     from an address that has been failing for it waits twice as long after the account's
//     latest one (1 s, 2 s, 4 s … up to MaxDelay). An address that has not been failing for the
//     account is not slowed, so that the right password from the owner's own address goes
//     through however much others guess.
//
// A success forgets the account's attempts and those of its address.
type Logins struct {
	Kind       string // "tenant", "ops", "demo": keeps the buckets of each kind of sign-in apart
	PerPair    int64
	PerAddress int64
	Free       int64
	MaxDelay   time.Duration
	Window     time.Duration
}

// DefaultLogins are the limits of the tenant, operator and demo sign-ins.
func DefaultLogins(kind string) Logins {
	return Logins{Kind: kind, PerPair: 10, PerAddress: 30, Free: 5, MaxDelay: time.Minute, Window: 15 * time.Minute}
}

func (l Logins) pairBucket(account, addr string) string {
	return "login-pair:" + l.Kind + ":" + addr + ":" + account
}
func (l Logins) addrBucket(addr string) string { return "login-ip:" + l.Kind + ":" + addr }
func (l Logins) accountBucket(account string) string {
	return "login-account:" + l.Kind + ":" + account
}

// Attempt takes one sign-in attempt for account from addr, or refuses it (429 with the wait).
// It commits before the caller evaluates the password, so that a slow hash holds no lock.
func (l Logins) Attempt(ctx context.Context, pool postgres.TxBeginner, now time.Time, account, addr string) error {
	pair, ip, acct := l.pairBucket(account, addr), l.addrBucket(addr), l.accountBucket(account)
	return postgres.WithTx(ctx, pool, func(tx pgx.Tx) error {
		q := postgres.Queries(tx)
		// One order for every caller, so that two attempts never wait on each other's locks.
		buckets := []string{pair, ip, acct}
		slices.Sort(buckets)
		for _, b := range buckets {
			if err := q.LockRateBucket(ctx, b); err != nil {
				return fault.Wrap(err, "lock rate bucket")
			}
		}
		since := now.Add(-l.Window)
		pairRow, err := q.CountRateEvents(ctx, db.CountRateEventsParams{Bucket: pair, Since: since})
		if err != nil {
			return fault.Wrap(err, "count rate events")
		}
		if err := Check(ctx, q, now,
			Limit{Bucket: pair, Max: l.PerPair, Window: l.Window, Message: "too many failed sign-ins for this account from this address"},
			Limit{Bucket: ip, Max: l.PerAddress, Window: l.Window, Message: "too many failed sign-ins from this address"},
		); err != nil {
			return err
		}
		if pairRow.Events > 0 {
			acctRow, err := q.CountRateEvents(ctx, db.CountRateEventsParams{Bucket: acct, Since: since})
			if err != nil {
				return fault.Wrap(err, "count rate events")
			}
			if wait := l.delay(acctRow.Events) - now.Sub(acctRow.Newest); acctRow.Events >= l.Free && wait > 0 {
				return fault.RateLimitedf(wait, "this account has had many failed sign-ins; try again in %d seconds", int(wait.Seconds()+0.999))
			}
		}
		return Record(ctx, q, now, pair, ip, acct)
	})
}

// delay is how long after the account's latest attempt the next one may come, once it has
// taken n attempts (n >= Free).
func (l Logins) delay(n int64) time.Duration {
	d := time.Second
	for i := l.Free; i < n && d < l.MaxDelay; i++ {
		d *= 2
	}
	return min(d, l.MaxDelay)
}

// Succeeded forgets the account's attempts and the attempts of addr on it; the address's
// attempts on other accounts stay counted.
func (l Logins) Succeeded(ctx context.Context, q db.Querier, account, addr string) error {
	if err := Forget(ctx, q, l.accountBucket(account)); err != nil {
		return err
	}
	return Forget(ctx, q, l.pairBucket(account, addr))
}

// Reset forgets the account's attempts after its password was set anew (a reset): the
// owner's new password is not slowed down by the guesses at the old one.
func (l Logins) Reset(ctx context.Context, q db.Querier, account string) error {
	return Forget(ctx, q, l.accountBucket(account))
}
