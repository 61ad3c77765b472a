package loadtest

import (
	"strings"
	"testing"
	"time"
)

// TestLedgerAccounting plays a run by hand: messages before, inside and after the window,
// one refused, one lost, one duplicated, one misrouted, one stray.
func TestLedgerAccounting(t *testing.T) {
	t0 := time.Unix(2000, 0)
	w := Window{Start: t0.Add(time.Second), End: t0.Add(2 * time.Second)}
	l := NewLedger(10, 1, w)
	a, b := l.Inbox(), l.Inbox()
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	send := func(k int, at time.Time, ack time.Duration) {
		l.Sent(k, at)
		l.Accepted(k, at.Add(ack))
	}
	// 0: warm-up, delivered; never counted.
	send(0, t0, ms(1))
	a.Deliver(0, t0, t0.Add(ms(2)), true)
	// 1…4: measured and delivered once; 3 is also delivered twice more to a, once to b
	// (misrouted).
	for k := 1; k <= 4; k++ {
		at := w.Start.Add(time.Duration(k) * 100 * time.Millisecond)
		send(k, at, ms(k))
		a.Deliver(k, at, at.Add(ms(10*k)), true)
	}
	at3 := w.Start.Add(300 * time.Millisecond)
	a.Deliver(3, at3, at3.Add(ms(50)), true)
	a.Deliver(3, at3, at3.Add(ms(60)), true)
	b.Deliver(3, at3, at3.Add(ms(70)), false)
	// 5: measured, accepted, never delivered: lost.
	send(5, w.Start.Add(500*time.Millisecond), ms(5))
	// 6: measured, refused.
	l.Sent(6, w.Start.Add(600*time.Millisecond))
	l.Refused(6, "429")
	// 7: sent after the window, delivered; not counted.
	send(7, w.End, ms(1))
	a.Deliver(7, w.End, w.End.Add(ms(1)), true)
	// 8, 9: never sent. A delivery of a number outside the run is stray.
	a.Deliver(42, t0, t0, true)
	l.Stray()

	if n := l.Outstanding(); n != 1 {
		t.Errorf("outstanding %d, want 1 (message 5)", n)
	}
	tally := l.Tally()
	want := Tally{Sent: 6, Accepted: 5, Delivered: 4, Lost: 1, Duplicated: 2, Misrouted: 1, Stray: 2, Complete: 4}
	if tally.Sent != want.Sent || tally.Accepted != want.Accepted || tally.Delivered != want.Delivered || tally.Lost != want.Lost ||
		tally.Duplicated != want.Duplicated || tally.Misrouted != want.Misrouted || tally.Stray != want.Stray || tally.Complete != want.Complete {
		t.Errorf("tally %+v, want %+v", tally, want)
	}
	if tally.RefusedTotal() != 1 || tally.Refused["429"] != 1 || strings.Join(tally.RefusalReasons(), ",") != "429" {
		t.Errorf("refusals %v", tally.Refused)
	}
	// Delivery latencies are the first delivery of each measured accepted message: 10…40 ms.
	if d := tally.Delivery.Summarize(); d.Count != 4 || d.P50 != ms(20) || d.Max != ms(40) {
		t.Errorf("delivery latencies %v", d)
	}
	// Publish latencies are the acks of the five accepted measured messages: 1…5 ms.
	if p := tally.Publish.Summarize(); p.Count != 5 || p.P50 != ms(3) || p.Max != ms(5) {
		t.Errorf("publish latencies %v", p)
	}
}

// TestLedgerLastMember: a group message counts as complete only when every member has it,
// and its latency is the last member's.
func TestLedgerLastMember(t *testing.T) {
	t0 := time.Unix(3000, 0)
	l := NewLedger(2, 3, Window{Start: t0, End: t0.Add(time.Second)})
	members := []*Inbox{l.Inbox(), l.Inbox(), l.Inbox()}
	for k := range 2 {
		l.Sent(k, t0)
		l.Accepted(k, t0.Add(time.Millisecond))
	}
	for i, m := range members { // message 0 reaches all three, the last after 30 ms
		m.Deliver(0, t0, t0.Add(time.Duration(30-10*i)*time.Millisecond), true)
	}
	members[0].Deliver(1, t0, t0.Add(5*time.Millisecond), true) // message 1 reaches one of three
	tally := l.Tally()
	if tally.Delivered != 4 || tally.Lost != 2 || tally.Complete != 1 {
		t.Errorf("delivered %d, lost %d, complete %d; want 4, 2, 1", tally.Delivered, tally.Lost, tally.Complete)
	}
	if got := tally.LastDelivery.Quantile(1); got != 30*time.Millisecond || tally.LastDelivery.Count() != 1 {
		t.Errorf("last member after %v (%d samples), want 30ms", got, tally.LastDelivery.Count())
	}
}

func TestMessageContentRoundTrip(t *testing.T) {
	at := time.Unix(1700000000, 123456789)
	run, k, sent, ok := parseContent(messageContent("abc", 42, at))
	if !ok || run != "abc" || k != 42 || !sent.Equal(at) {
		t.Errorf("parsed %q %d %v %v", run, k, sent, ok)
	}
	for _, bad := range []string{"", "hello", "lt abc x 1", "lt abc 1 y", "xx abc 1 2"} {
		if _, _, _, ok := parseContent(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestOtherDatabasesBackends(t *testing.T) {
	for title, other := range map[string]bool{
		"postgres: postgres xuqm_bench 127.0.0.1(5432) idle":  false,
		"postgres: postgres pgtest_1 127.0.0.1(40000) INSERT": true,
		"postgres: postgres pgtest_1 [local] idle":            true,
		"postgres: checkpointer":                              false,
		"postgres: logical replication launcher":              false,
		"postgres: autovacuum launcher":                       false,
	} {
		if got := isOtherBackend(title, "xuqm_bench"); got != other {
			t.Errorf("%q: other %v, want %v", title, got, other)
		}
	}
}

func TestLoopbackOnly(t *testing.T) {
	for url, ok := range map[string]bool{
		"http://127.0.0.1:8080": true, "http://localhost:8080": true, "http://[::1]:8080": true, "http://127.0.0.9:1": true,
		"http://10.0.0.1:8080": false, "http://example.com": false, "ftp://127.0.0.1": false, "127.0.0.1:8080": false,
	} {
		if _, err := NewTarget(url, "ak", "s"); (err == nil) != ok {
			t.Errorf("%s: err %v", url, err)
		}
	}
}

// Group message frames come in today's shape (the user's seq) and in the read-diffused
// one (groupId, groupSeq; FRAMES.md); both are deliveries of the group.
func TestMessageFrames(t *testing.T) {
	at := time.Unix(1700000000, 5)
	content := messageContent("r1", 7, at)
	for name, frame := range map[string]string{
		"seq":      `{"type":"message","seq":12,"data":{"toId":"g1","fromId":"u1","chatType":"GROUP","content":"` + content + `","seq":3}}`,
		"groupSeq": `{"type":"message","groupId":"g1","groupSeq":42,"data":{"toId":"g1","fromId":"u1","chatType":"GROUP","content":"` + content + `","seq":3}}`,
	} {
		f, k, sent, ok := messageOf([]byte(frame), "r1")
		if f == nil || !ok || k != 7 || !sent.Equal(at) || f.groupOf() != "g1" {
			t.Errorf("%s: frame %+v, k %d, sent %v, ok %v", name, f, k, sent, ok)
		}
	}
	one := `{"type":"message","seq":1,"data":{"toId":"bob","chatType":"SINGLE","content":"` + content + `"}}`
	if f, _, _, ok := messageOf([]byte(one), "r1"); f == nil || !ok || f.groupOf() != "" || f.Data.ToID != "bob" {
		t.Errorf("one-to-one frame read as %+v", f)
	}
	if f, _, _, ok := messageOf([]byte(one), "r2"); f == nil || ok {
		t.Error("another run's message must be stray")
	}
	for _, other := range []string{`{"type":"group.event","seq":2,"data":{}}`, `{"type":"pong"}`, `not json`} {
		if f, _, _, _ := messageOf([]byte(other), "r1"); f != nil {
			t.Errorf("%s read as a message", other)
		}
	}
}
