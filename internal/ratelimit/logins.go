package ratelimit

import (
	"context"
	"time"

	"github.com/xuqmgroup/xuqm/gen/db"
)

// Logins limits failed sign-ins per account and per client address: after PerAccount failures
// for one account, or PerAddress from one address, within Window, further attempts are refused
// until the oldest failure leaves the window.
type Logins struct {
	Kind       string // "tenant", "ops": keeps the buckets of each kind of sign-in apart
	PerAccount int64
	PerAddress int64
	Window     time.Duration
}

func (l Logins) limits(account, addr string) []Limit {
	return []Limit{
		{Bucket: "login-account:" + l.Kind + ":" + account, Max: l.PerAccount, Window: l.Window,
			Message: "too many failed sign-ins for this account"},
		{Bucket: "login-ip:" + l.Kind + ":" + addr, Max: l.PerAddress, Window: l.Window,
			Message: "too many failed sign-ins from this address"},
	}
}

// Check refuses an attempt while either limit is reached.
func (l Logins) Check(ctx context.Context, q db.Querier, now time.Time, account, addr string) error {
	return Check(ctx, q, now, l.limits(account, addr)...)
}

// Failed counts a failed attempt against the account and the address.
func (l Logins) Failed(ctx context.Context, q db.Querier, now time.Time, account, addr string) error {
	ls := l.limits(account, addr)
	return Record(ctx, q, now, ls[0].Bucket, ls[1].Bucket)
}

// Succeeded clears the account's failures; the address's stay counted.
func (l Logins) Succeeded(ctx context.Context, q db.Querier, account string) error {
	return Forget(ctx, q, l.limits(account, "")[0].Bucket)
}
