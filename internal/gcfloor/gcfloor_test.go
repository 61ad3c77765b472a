package gcfloor

import (
	"runtime"
	"runtime/metrics"
	"testing"
	"time"
)

func read(name string) uint64 {
	s := []metrics.Sample{{Name: name}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// collect runs a collection and waits for the finalizer to have set the percentage.
func collect(t *testing.T, want func(percent uint64) bool) uint64 {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		runtime.GC()
		p := read("/gc/gogc:percent")
		if want(p) {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("GOGC stayed %d", p)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

var keep [][]byte

func TestKeepRaisesTheGoalToTheFloorWhileTheHeapIsSmall(t *testing.T) {
	const floor = 128 << 20
	stop := Keep(floor, 100)
	p := collect(t, func(p uint64) bool { return p > 100 })
	if goal := read("/gc/heap/goal:bytes"); goal < floor*9/10 {
		t.Errorf("heap goal %d MiB at GOGC %d, want about the floor, %d MiB", goal>>20, p, floor>>20)
	}

	// A live heap larger than half the floor: GOGC=100 gives a goal above it by itself.
	for range 80 {
		keep = append(keep, make([]byte, 1<<20))
	}
	collect(t, func(p uint64) bool { return p == 100 })
	keep = nil

	stop()
	runtime.GC()
	if p := read("/gc/gogc:percent"); p != 100 {
		t.Errorf("GOGC %d after stop, want the 100 in force before", p)
	}
	// Stopped, the finalizer neither changes the percentage nor arms again.
	collect(t, func(p uint64) bool { return p == 100 })
}

func TestPercentFor(t *testing.T) {
	for _, c := range []struct {
		floor           uint64
		base            int
		live, scannable uint64
		want            int
	}{
		{64 << 20, 100, 14 << 20, 19 << 20, 260}, // (64-14)/19 = 2.63
		{64 << 20, 100, 40 << 20, 45 << 20, 100}, // 40 + 45 > 64: GOGC=100 goes past the floor
		{64 << 20, 100, 30 << 20, 33 << 20, 100}, // 103%, in tens: 100
		{64 << 20, 100, 1 << 20, 2 << 20, 3150},
		{64 << 20, 100, 0, 1 << 10, maxPercent},
		{64 << 20, 100, 0, 0, 100},
		{64 << 20, 50, 14 << 20, 19 << 20, 260}, // the floor rules a small heap whatever the base
		{64 << 20, 50, 48 << 20, 50 << 20, 50},  // 48 + 50/2 > 64: GOGC=50 goes past the floor
		{64 << 20, 50, 40 << 20, 45 << 20, 50},  // (64-40)/45 = 53%, in tens: 50
		{64 << 20, 50, 30 << 20, 33 << 20, 100}, // (64-30)/33 = 103%: the floor still rules
	} {
		if got := percentFor(c.floor, c.base, c.live, c.scannable); got != c.want {
			t.Errorf("percentFor(%d MiB, %d, %d, %d MiB) = %d, want %d", c.floor>>20, c.base, c.live>>20, c.scannable>>20, got, c.want)
		}
	}
}
