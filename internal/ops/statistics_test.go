package ops

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/postgres/pgtest"
)

type online int64

func (o online) OnlineConnections(context.Context) (int64, error) { return int64(o), nil }

// Days start at midnight in the configured zone, and every area's counter reaches its field.
func TestStatisticsCounters(t *testing.T) {
	zone, _ := time.LoadLocation("Asia/Shanghai")
	// 01:30 in Shanghai is still the day before in UTC: the day must be Shanghai's.
	now := time.Date(2026, 4, 28, 1, 30, 0, 0, zone)
	var since []time.Time
	n := func(v int64) Counter { return CounterFunc(func(context.Context) (int64, error) { return v, nil }) }
	s := New(pgtest.NewDB(t), nil, Options{Zone: zone, Now: func() time.Time { return now }, Counters: Counters{
		Messages: MessageCounterFunc(func(_ context.Context, t time.Time) (int64, error) {
			since = append(since, t)
			return int64(100 * len(since)), nil
		}),
		Groups: n(2), Files: n(3), BytesStored: n(4), AppVersions: n(5), RNBundles: n(6), PushesSent: n(7), Online: online(8),
	}})
	st, err := s.Statistics(context.Background(), &auth.Principal{Kind: auth.KindOps, OperatorID: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := Statistics{MessagesToday: 100, MessagesLast7Days: 200, Groups: 2, Files: 3, BytesStored: 4, AppVersions: 5, RNBundles: 6,
		PushesSent: 7, OnlineConnections: 8, GeneratedAt: now}
	if st != want {
		t.Errorf("statistics %+v, want %+v", st, want)
	}
	if len(since) != 2 || !since[0].Equal(time.Date(2026, 4, 28, 0, 0, 0, 0, zone)) || !since[1].Equal(time.Date(2026, 4, 22, 0, 0, 0, 0, zone)) {
		t.Errorf("messages counted since %v, want Shanghai's midnight today and six days before", since)
	}
}

func TestStatisticsWithoutCountersAndFailures(t *testing.T) {
	pool := pgtest.NewDB(t)
	op := &auth.Principal{Kind: auth.KindOps, OperatorID: 1}
	st, err := New(pool, nil, Options{}).Statistics(context.Background(), op)
	if err != nil || st.Groups != 0 || st.OnlineConnections != 0 || st.MessagesToday != 0 {
		t.Errorf("no counters registered: %+v %v", st, err)
	}
	broken := New(pool, nil, Options{Counters: Counters{Files: CounterFunc(func(context.Context) (int64, error) { return 0, errors.New("disk on fire") })}})
	if _, err := broken.Statistics(context.Background(), op); !fault.Is(err, fault.Internal) {
		t.Errorf("a failing counter: %v, want an internal error", err)
	}
	if _, err := broken.Statistics(context.Background(), &auth.Principal{Kind: auth.KindTenant, TenantID: 1}); !fault.Is(err, fault.Forbidden) {
		t.Errorf("a tenant asking: %v", err)
	}
}
