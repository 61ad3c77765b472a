package loadtest

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Latencies is a set of samples kept whole and sorted on demand: at the sizes a run makes
// (a few hundred thousand) that is exact where a bucketed histogram would round, and cheap.
type Latencies struct {
	samples []time.Duration
	sorted  bool
}

// Add records one sample.
func (l *Latencies) Add(d time.Duration) {
	l.samples = append(l.samples, d)
	l.sorted = false
}

// Merge adds every sample of o.
func (l *Latencies) Merge(o *Latencies) {
	l.samples = append(l.samples, o.samples...)
	l.sorted = false
}

// Count is the number of samples.
func (l *Latencies) Count() int { return len(l.samples) }

// Quantile is the sample at or below which a fraction q of the samples lie (the nearest-rank
// definition: the ceil(q·n)-th smallest), 0 when there are none. Quantile(1) is the maximum.
func (l *Latencies) Quantile(q float64) time.Duration {
	n := len(l.samples)
	if n == 0 {
		return 0
	}
	if !l.sorted {
		slices.Sort(l.samples)
		l.sorted = true
	}
	// The small tolerance keeps float noise (0.99·100 = 99.000…01) from moving a rank up.
	rank := int(math.Ceil(q*float64(n) - 1e-9))
	rank = min(max(rank, 1), n)
	return l.samples[rank-1]
}

// Summary is the figures a report prints of a latency set.
type Summary struct {
	Count              int
	P50, P90, P99, Max time.Duration
}

// Summarize computes p50, p90, p99 and max.
func (l *Latencies) Summarize() Summary {
	return Summary{Count: l.Count(), P50: l.Quantile(0.50), P90: l.Quantile(0.90), P99: l.Quantile(0.99), Max: l.Quantile(1)}
}

func (s Summary) String() string {
	if s.Count == 0 {
		return "no samples"
	}
	return fmt.Sprintf("p50 %s  p90 %s  p99 %s  max %s  (%d samples)", ms(s.P50), ms(s.P90), ms(s.P99), ms(s.Max), s.Count)
}

// ms prints a duration in milliseconds with a precision that suits its size.
func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	switch {
	case v < 10:
		return fmt.Sprintf("%.2f ms", v)
	case v < 100:
		return fmt.Sprintf("%.1f ms", v)
	default:
		return fmt.Sprintf("%.0f ms", v)
	}
}
