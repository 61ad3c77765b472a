package loadtest

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Ledger follows every message of a run by its number k, from the send through the
// server's answer to each delivery, so that the report can tell lost, duplicated and
// misrouted messages apart. Senders and receivers write to it concurrently; Tally reads it
// once they have all stopped.
type Ledger struct {
	window     Window
	perMessage int // deliveries an accepted message must get: 1 one-to-one, the members in a group
	slots      []slot

	mu       sync.Mutex
	inboxes  []*Inbox
	refusals map[string]int // why the server refused a send ("429", "transport", …)
	stray    atomic.Int64   // deliveries that name no message of this run
}

// Window is the measured part of a run: messages sent at or after Start and before End.
type Window struct{ Start, End time.Time }

// Contains tells whether t lies in the window.
func (w Window) Contains(t time.Time) bool { return !t.Before(w.Start) && t.Before(w.End) }

type slot struct {
	sentAt    atomic.Int64 // Unix ns; 0: never sent
	ackedAt   atomic.Int64 // Unix ns of the server's answer
	accepted  atomic.Bool
	delivered atomic.Int32 // distinct receivers that got it
	dups      atomic.Int32 // deliveries beyond the first to the same receiver
	misrouted atomic.Int32 // deliveries to a receiver it was not addressed to
	lastAt    atomic.Int64 // Unix ns of the latest first delivery: "to the last member"
}

// NewLedger makes room for capacity messages (numbered from 0), each of which must reach
// perMessage receivers.
func NewLedger(capacity, perMessage int, w Window) *Ledger {
	return &Ledger{window: w, perMessage: perMessage, slots: make([]slot, capacity), refusals: map[string]int{}}
}

// Capacity is the number of messages the ledger can follow.
func (l *Ledger) Capacity() int { return len(l.slots) }

// Sent records that message k left the sender at t.
func (l *Ledger) Sent(k int, t time.Time) { l.slots[k].sentAt.Store(t.UnixNano()) }

// Accepted records the server's acknowledgement of k at t.
func (l *Ledger) Accepted(k int, t time.Time) {
	s := &l.slots[k]
	s.ackedAt.Store(t.UnixNano())
	s.accepted.Store(true)
}

// Refused records that the server (or the transport, reason "transport") refused k.
func (l *Ledger) Refused(k int, reason string) {
	l.mu.Lock()
	l.refusals[reason]++
	l.mu.Unlock()
}

// Inbox is one receiver's view: the messages it has seen and its delivery latencies. Only
// its own receiver goroutine writes to it.
type Inbox struct {
	l       *Ledger
	seen    map[int32]struct{}
	samples []delivery
}

type delivery struct {
	k       int32
	latency time.Duration
}

// Inbox registers a receiver.
func (l *Ledger) Inbox() *Inbox {
	in := &Inbox{l: l, seen: map[int32]struct{}{}}
	l.mu.Lock()
	l.inboxes = append(l.inboxes, in)
	l.mu.Unlock()
	return in
}

// Deliver records that this receiver got message k, sent at sentAt (as the message itself
// says), at time at; addressed tells whether the receiver is one the message was meant for.
func (in *Inbox) Deliver(k int, sentAt, at time.Time, addressed bool) {
	l := in.l
	if k < 0 || k >= len(l.slots) {
		l.stray.Add(1)
		return
	}
	s := &l.slots[k]
	if !addressed {
		s.misrouted.Add(1)
		return
	}
	if _, dup := in.seen[int32(k)]; dup {
		s.dups.Add(1)
		return
	}
	in.seen[int32(k)] = struct{}{}
	s.delivered.Add(1)
	for {
		last := s.lastAt.Load()
		if at.UnixNano() <= last || s.lastAt.CompareAndSwap(last, at.UnixNano()) {
			break
		}
	}
	in.samples = append(in.samples, delivery{k: int32(k), latency: at.Sub(sentAt)})
}

// Stray records a delivery that belongs to no message of this run (another run's, or one
// the tool cannot parse).
func (l *Ledger) Stray() { l.stray.Add(1) }

// Outstanding is the number of accepted messages still short of their deliveries; the run
// waits for it to reach 0 (or for its drain timeout) before it tallies.
func (l *Ledger) Outstanding() int {
	n := 0
	for i := range l.slots {
		s := &l.slots[i]
		if s.accepted.Load() && int(s.delivered.Load()) < l.perMessage {
			n++
		}
	}
	return n
}

// Tally is the accounting of the measured messages.
type Tally struct {
	Sent, Accepted int            // measured messages sent, and acknowledged by the server
	Refused        map[string]int // refusals of the whole run, by reason
	Delivered      int            // distinct (message, receiver) deliveries of accepted measured messages
	Lost           int            // deliveries an accepted measured message should have had and did not get
	Duplicated     int            // repeated deliveries to the same receiver
	Misrouted      int            // deliveries to a receiver the message was not for
	Stray          int            // deliveries of messages outside this run
	Complete       int            // accepted measured messages that reached every receiver
	Publish        Latencies      // send → acknowledgement
	Delivery       Latencies      // send → each delivery
	LastDelivery   Latencies      // send → the last receiver's delivery, for complete messages
}

// Tally adds up the measured messages; call it when senders and receivers have stopped.
func (l *Ledger) Tally() Tally {
	t := Tally{Refused: map[string]int{}}
	measured := make([]bool, len(l.slots))
	for i := range l.slots {
		s := &l.slots[i]
		sent := s.sentAt.Load()
		if sent == 0 || !l.window.Contains(time.Unix(0, sent)) {
			continue
		}
		measured[i] = true
		t.Sent++
		t.Duplicated += int(s.dups.Load())
		t.Misrouted += int(s.misrouted.Load())
		if !s.accepted.Load() {
			continue
		}
		t.Accepted++
		t.Publish.Add(time.Duration(s.ackedAt.Load() - sent))
		d := int(s.delivered.Load())
		t.Delivered += d
		if d < l.perMessage {
			t.Lost += l.perMessage - d
		} else {
			t.Complete++
			t.LastDelivery.Add(time.Duration(s.lastAt.Load() - sent))
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for reason, n := range l.refusals {
		t.Refused[reason] = n
	}
	for _, in := range l.inboxes {
		for _, d := range in.samples {
			if measured[d.k] && l.slots[d.k].accepted.Load() {
				t.Delivery.Add(d.latency)
			}
		}
	}
	t.Stray = int(l.stray.Load())
	return t
}

// RefusedTotal is the number of refused sends.
func (t Tally) RefusedTotal() int {
	n := 0
	for _, v := range t.Refused {
		n += v
	}
	return n
}

// RefusalReasons lists the reasons, most frequent first.
func (t Tally) RefusalReasons() []string {
	reasons := make([]string, 0, len(t.Refused))
	for r := range t.Refused {
		reasons = append(reasons, r)
	}
	sort.Slice(reasons, func(i, j int) bool { return t.Refused[reasons[i]] > t.Refused[reasons[j]] })
	return reasons
}
