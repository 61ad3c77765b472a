package ops

import (
	"context"
	"time"

	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/fault"
)

// Counter counts something another area keeps (groups, files, versions, pushes…).
type Counter interface {
	Count(ctx context.Context) (int64, error)
}

// CounterFunc makes a function a Counter.
type CounterFunc func(ctx context.Context) (int64, error)

// Count calls f.
func (f CounterFunc) Count(ctx context.Context) (int64, error) { return f(ctx) }

// MessageCounter counts the IM messages sent since an instant.
type MessageCounter interface {
	MessagesSince(ctx context.Context, since time.Time) (int64, error)
}

// MessageCounterFunc makes a function a MessageCounter.
type MessageCounterFunc func(ctx context.Context, since time.Time) (int64, error)

// MessagesSince calls f.
func (f MessageCounterFunc) MessagesSince(ctx context.Context, since time.Time) (int64, error) {
	return f(ctx, since)
}

// OnlineCounter counts the IM WebSocket connections open now on all instances.
type OnlineCounter interface {
	OnlineConnections(ctx context.Context) (int64, error)
}

// Counters are the figures of the other areas, each registered by its area when the server is
// wired; a nil one counts 0 (its area is not built, or not served).
type Counters struct {
	Messages    MessageCounter // IM: messages, deleted or not
	Groups      Counter        // IM: groups not dissolved
	Files       Counter        // file: distinct files
	BytesStored Counter        // file and update: bytes of all distinct blobs
	AppVersions Counter        // update: native versions
	RNBundles   Counter        // update: React Native bundles
	PushesSent  Counter        // push: send requests
	Online      OnlineCounter  // IM: open WebSocket connections
}

// Statistics are the platform's counters.
type Statistics struct {
	Tenants           int64
	Apps              int64
	IMAccounts        int64
	MessagesToday     int64
	MessagesLast7Days int64
	Groups            int64
	Files             int64
	BytesStored       int64
	AppVersions       int64
	RNBundles         int64
	PushesSent        int64
	OnlineConnections int64
	GeneratedAt       time.Time
}

// Statistics counts now: no cache, the counts are cheap and a dashboard wants them fresh.
func (s *Service) Statistics(ctx context.Context, p *auth.Principal) (Statistics, error) {
	if err := requireOperator(p); err != nil {
		return Statistics{}, err
	}
	now := s.now()
	st := Statistics{GeneratedAt: now}
	core, err := s.q.CountPlatform(ctx)
	if err != nil {
		return Statistics{}, fault.Wrap(err, "count platform")
	}
	st.Tenants, st.Apps, st.IMAccounts = core.Tenants, core.Apps, core.ImAccounts

	local := now.In(s.zone)
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, s.zone)
	if c := s.counters.Messages; c != nil {
		if st.MessagesToday, err = c.MessagesSince(ctx, today); err != nil {
			return Statistics{}, fault.Wrap(err, "count messages today")
		}
		if st.MessagesLast7Days, err = c.MessagesSince(ctx, today.AddDate(0, 0, -6)); err != nil {
			return Statistics{}, fault.Wrap(err, "count messages of the week")
		}
	}
	for _, f := range []struct {
		c    Counter
		dst  *int64
		what string
	}{
		{s.counters.Groups, &st.Groups, "groups"},
		{s.counters.Files, &st.Files, "files"},
		{s.counters.BytesStored, &st.BytesStored, "bytes stored"},
		{s.counters.AppVersions, &st.AppVersions, "app versions"},
		{s.counters.RNBundles, &st.RNBundles, "bundles"},
		{s.counters.PushesSent, &st.PushesSent, "pushes"},
	} {
		if f.c == nil {
			continue
		}
		if *f.dst, err = f.c.Count(ctx); err != nil {
			return Statistics{}, fault.Wrap(err, "count "+f.what)
		}
	}
	if c := s.counters.Online; c != nil {
		if st.OnlineConnections, err = c.OnlineConnections(ctx); err != nil {
			return Statistics{}, fault.Wrap(err, "count connections")
		}
	}
	return st, nil
}
