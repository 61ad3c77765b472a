package loadtest

import (
	"testing"
	"time"
)

func TestQuantileNearestRank(t *testing.T) {
	var l Latencies
	for i := 100; i >= 1; i-- { // added out of order: Quantile sorts
		l.Add(time.Duration(i) * time.Millisecond)
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{
		{0, 1 * time.Millisecond}, {0.01, 1 * time.Millisecond}, {0.5, 50 * time.Millisecond},
		{0.9, 90 * time.Millisecond}, {0.99, 99 * time.Millisecond}, {0.999, 100 * time.Millisecond}, {1, 100 * time.Millisecond},
	} {
		if got := l.Quantile(c.q); got != c.want {
			t.Errorf("Quantile(%v) = %v, want %v", c.q, got, c.want)
		}
	}
	s := l.Summarize()
	if s.Count != 100 || s.P50 != 50*time.Millisecond || s.P90 != 90*time.Millisecond || s.P99 != 99*time.Millisecond || s.Max != 100*time.Millisecond {
		t.Errorf("Summarize = %+v", s)
	}
}

func TestQuantileSmallAndEmpty(t *testing.T) {
	var l Latencies
	if l.Quantile(0.99) != 0 || l.Summarize().String() != "no samples" {
		t.Error("an empty set has no quantiles")
	}
	l.Add(7 * time.Millisecond)
	l.Add(3 * time.Millisecond)
	if l.Quantile(0.5) != 3*time.Millisecond || l.Quantile(0.99) != 7*time.Millisecond {
		t.Errorf("two samples: p50 %v, p99 %v", l.Quantile(0.5), l.Quantile(0.99))
	}
	var m Latencies
	m.Add(1 * time.Millisecond)
	m.Merge(&l) // adding after a sort must sort again
	if m.Count() != 3 || m.Quantile(0) != 1*time.Millisecond || m.Quantile(1) != 7*time.Millisecond {
		t.Errorf("merged: %d samples, min %v, max %v", m.Count(), m.Quantile(0), m.Quantile(1))
	}
}

func TestScheduleIsDueByTheClock(t *testing.T) {
	start := time.Unix(1000, 0)
	s := Schedule{Start: start, Rate: 4000, Warmup: time.Second, Duration: 2 * time.Second}
	if got := s.Due(4000); !got.Equal(start.Add(time.Second)) {
		t.Errorf("message 4000 at 4,000/s is due at %v", got.Sub(start))
	}
	if got := s.Due(1); got.Sub(start) != 250*time.Microsecond {
		t.Errorf("message 1 is due after %v", got.Sub(start))
	}
	if s.Capacity() != 12001 {
		t.Errorf("capacity %d, want 12001", s.Capacity())
	}
	w := s.Window()
	if !w.Start.Equal(start.Add(time.Second)) || !w.End.Equal(start.Add(3*time.Second)) {
		t.Errorf("window %v", w)
	}
	if !w.Contains(w.Start) || w.Contains(w.End) || w.Contains(start) {
		t.Error("the window holds its start and not its end")
	}
}

func TestThousands(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 999: "999", 1000: "1,000", 19900: "19,900", 1234567.4: "1,234,567", -5000: "-5,000"} {
		if got := thousands(v); got != want {
			t.Errorf("thousands(%v) = %q, want %q", v, got, want)
		}
	}
}
