// Package ratelimit counts events (failed sign-ins, mails sent) in sliding windows kept in
// PostgreSQL, so that every instance sees the same counts.
package ratelimit

import (
	"context"
	"time"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/fault"
)

// Limit allows Max events of Bucket within Window.
type Limit struct {
	Bucket string
	Max    int64
	Window time.Duration
	// Message tells a refused caller what was limited, in a sentence.
	Message string
}

// Check refuses (429, with Retry-After) when any limit has reached its maximum at now.
func Check(ctx context.Context, q db.Querier, now time.Time, limits ...Limit) error {
	for _, l := range limits {
		row, err := q.CountRateEvents(ctx, db.CountRateEventsParams{Bucket: l.Bucket, Since: now.Add(-l.Window)})
		if err != nil {
			return fault.Wrap(err, "count rate events")
		}
		if row.Events >= l.Max {
			// The oldest event leaves the window first; at the maximum that frees one place.
			retry := max(row.Oldest.Add(l.Window).Sub(now), time.Second)
			return fault.RateLimitedf(retry, "%s; try again in %d seconds", l.Message, int(retry.Seconds()+0.999))
		}
	}
	return nil
}

// Record counts one event in each bucket.
func Record(ctx context.Context, q db.Querier, now time.Time, buckets ...string) error {
	for _, b := range buckets {
		if err := q.InsertRateEvent(ctx, db.InsertRateEventParams{Bucket: b, At: now}); err != nil {
			return fault.Wrap(err, "record rate event")
		}
	}
	return nil
}

// Take checks the limits and, when none is reached, counts one event in each. Call it inside a
// transaction: it locks the buckets until the transaction ends, so that concurrent takers do not
// both slip under a limit.
func Take(ctx context.Context, tx db.Querier, now time.Time, limits ...Limit) error {
	for _, l := range limits {
		if err := tx.LockRateBucket(ctx, l.Bucket); err != nil {
			return fault.Wrap(err, "lock rate bucket")
		}
	}
	if err := Check(ctx, tx, now, limits...); err != nil {
		return err
	}
	for _, l := range limits {
		if err := Record(ctx, tx, now, l.Bucket); err != nil {
			return err
		}
	}
	return nil
}

// Forget drops a bucket's events (a successful sign-in clears the account's failures).
func Forget(ctx context.Context, q db.Querier, bucket string) error {
	return fault.Wrap(q.DeleteRateEvents(ctx, bucket), "forget rate events")
}

// Purge drops events older than the longest window any caller uses.
func Purge(ctx context.Context, q db.Querier, before time.Time) (int64, error) {
	return q.DeleteStaleRateEvents(ctx, before)
}
