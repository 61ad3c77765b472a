package httpapi

import (
	"testing"
	"time"
)

func TestAddressLimiter(t *testing.T) {
	l := newAddressLimiter(5) // 5 a second, bursts of 10
	now := time.Unix(1_800_000_000, 0)
	for i := range 10 {
		if ok, _ := l.allow("10.0.0.1", now); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	ok, wait := l.allow("10.0.0.1", now)
	if ok || wait < time.Second {
		t.Errorf("past the burst: allowed=%v wait=%v", ok, wait)
	}
	if ok, _ := l.allow("10.0.0.2", now); !ok {
		t.Error("another address shares the first one's bucket")
	}
	if ok, _ := l.allow("10.0.0.1", now.Add(time.Second)); !ok {
		t.Error("no token a second later")
	}
	// Idle buckets are forgotten.
	l.allow("10.0.0.3", now.Add(time.Hour))
	if _, kept := l.buckets["10.0.0.1"]; kept || len(l.buckets) != 1 {
		t.Errorf("idle buckets kept: %d", len(l.buckets))
	}
	if ok, _ := (*addressLimiter)(nil).allow("x", now); !ok || newAddressLimiter(0) != nil {
		t.Error("a limit of 0 must not limit")
	}
}
