package loadtest

import "testing"

func TestIdleStepsCountPerConnectionOverTheBaselineAndTheStepBefore(t *testing.T) {
	const kib = 1024
	r := &IdleResult{Baseline: 100 << 20}
	r.Steps = append(r.Steps, r.step(10000, 0, 100<<20+10000*12*kib))
	r.Steps = append(r.Steps, r.step(19900, 100, 100<<20+10000*12*kib+9800*10*kib))
	first, second := r.Steps[0], r.Steps[1]
	if first.PerConn != 12*kib || first.Added != 0 {
		t.Errorf("first step: %.0f bytes per connection, %.0f added; want 12 KiB and none", first.PerConn, first.Added)
	}
	// 9,800 connections opened (9,900 less the 100 that failed) added 10 KiB each.
	if second.Added != 10*kib {
		t.Errorf("second step added %.0f bytes per connection, want 10 KiB", second.Added)
	}
	if want := float64(10000*12*kib+9800*10*kib) / 19800; second.PerConn != want {
		t.Errorf("second step: %.1f bytes per connection over the baseline, want %.1f", second.PerConn, want)
	}
}
