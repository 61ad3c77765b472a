// Package gcfloor lets the heap grow to a floor before the garbage collector runs.
//
// With GOGC's default of 100 the runtime collects whenever the heap has doubled since the
// last collection. A server whose live heap is small but which allocates fast (the send
// path allocates some 26 KiB a message: HTTP requests, JSON, statement parameters) then
// collects several times a second: at 1,000 sends a second, a live heap of 14 MiB and a
// goal of 28 MiB gave 2.7 collections a second and 13% of the server's CPU samples in the
// collector. A floor on the heap goal spaces collections out while the heap is small,
// and gives way to a percentage of its own (Keep's percent) once the live heap is large
// enough to put the goal above the floor by itself, as on a server holding 20,000 idle
// WebSockets, whose memory is then live + percent% of it.
//
// The trade-off is memory: a server whose live heap is small may use up to the floor
// before collecting. A finalizer that runs after every collection sets the percentage
// for the next one, so the floor follows the live heap within a cycle.
package gcfloor

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// maxPercent bounds the percentage asked for: an almost empty heap would otherwise ask
// for millions.
const maxPercent = 10000

// Keep sets the collector's percentage after every collection so that the heap goal is at
// least floor bytes, and never lower than percent's (GOGC=percent); stop restores the
// percentage in force before. Call it once, where the process starts, and only when GOGC
// is unset: the operator's own GOGC wins.
func Keep(floor uint64, percent int) (stop func()) {
	k := &keeper{floor: floor, base: percent, before: debug.SetGCPercent(percent), percent: percent}
	k.samples = []metrics.Sample{
		{Name: "/gc/heap/live:bytes"}, {Name: "/gc/scan/stack:bytes"}, {Name: "/gc/scan/globals:bytes"},
	}
	k.arm()
	k.adjust()
	return func() {
		k.mu.Lock()
		defer k.mu.Unlock()
		k.stopped = true
		debug.SetGCPercent(k.before)
	}
}

type keeper struct {
	floor   uint64
	base    int // the percentage once the live heap alone puts the goal past the floor
	before  int
	samples []metrics.Sample

	mu      sync.Mutex
	stopped bool
	percent int
}

// sentinel is the object whose finalizer runs after each collection. It is larger than
// the runtime's tiny allocations, which share a block and whose finalizers may never run.
type sentinel struct{ _ [16]byte }

// arm allocates a sentinel that nothing references, so that the next collection finds it
// unreachable and queues its finalizer, which adjusts the percentage and arms again.
func (k *keeper) arm() {
	runtime.SetFinalizer(&sentinel{}, func(*sentinel) {
		if k.adjust() {
			k.arm()
		}
	})
}

// adjust sets the percentage for the last collection's live heap; false once stopped.
func (k *keeper) adjust() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.stopped {
		return false
	}
	metrics.Read(k.samples)
	live, stacks, globals := k.samples[0].Value.Uint64(), k.samples[1].Value.Uint64(), k.samples[2].Value.Uint64()
	if p := percentFor(k.floor, k.base, live, live+stacks+globals); p != k.percent {
		k.percent = p
		debug.SetGCPercent(p)
	}
	return true
}

// percentFor is the percentage that puts the heap goal at floor, at least base: the
// runtime's goal is live + scannable*percent/100, where scannable is the live heap with
// the goroutine stacks and globals.
func percentFor(floor uint64, base int, live, scannable uint64) int {
	if scannable == 0 || live+scannable*uint64(base)/100 >= floor {
		return base
	}
	p := (floor - live) * 100 / scannable
	// In tens, so that a live heap that changes a little does not reset it every cycle.
	p -= p % 10
	return int(min(max(p, uint64(base)), maxPercent))
}
