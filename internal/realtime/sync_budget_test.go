package realtime_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/xuqmgroup/xuqm/internal/im"
	"github.com/xuqmgroup/xuqm/internal/realtime"
)

// measuredPages is a backend that records the data bytes of every page of events it hands
// out, so that a test can see how a sync batches them.
type measuredPages struct {
	realtime.Backend
	mu    sync.Mutex
	pages [][]int // each page's events' data sizes
}

func (m *measuredPages) record(events []im.StoredEvent) {
	sizes := make([]int, len(events))
	for i, e := range events {
		sizes[i] = len(e.Data)
	}
	m.mu.Lock()
	m.pages = append(m.pages, sizes)
	m.mu.Unlock()
}

func (m *measuredPages) EventsAfter(ctx context.Context, u im.User, after int64, limit, maxBytes int) ([]im.StoredEvent, error) {
	events, err := m.Backend.EventsAfter(ctx, u, after, limit, maxBytes)
	m.record(events)
	return events, err
}

func (m *measuredPages) GroupEventsAfter(ctx context.Context, u im.User, groupID string, after int64, limit, maxBytes int) ([]im.StoredEvent, error) {
	events, err := m.Backend.GroupEventsAfter(ctx, u, groupID, after, limit, maxBytes)
	m.record(events)
	return events, err
}

// A user with many events near the content limit syncs: he gets every user and group event
// once and in order, then a synced frame that names where both end, while no page of events
// the sync reads and queues passes the byte budget (but for a single event larger than it).
func TestSyncBatchesStayUnderTheByteBudget(t *testing.T) {
	const budget = 64 << 10
	pages := &measuredPages{}
	h := startHub(t, realtime.Options{SyncBatchBytes: budget}, hubExtras{backend: func(b realtime.Backend) realtime.Backend {
		pages.Backend = b
		return pages
	}})
	ctx := context.Background()
	alice := im.User{AppID: h.apps["one"], UserID: "alice"}
	if _, err := h.im.CreateGroup(ctx, alice, im.GroupCreate{GroupID: "big", Name: "Big", MemberIDs: []string{"bob"}}); err != nil {
		t.Fatal(err)
	}
	// Contents of 48 KiB (CJK), of 16 KiB that JSON escapes to 96 KiB (<), and short ones.
	content := func(i int) string {
		switch i % 3 {
		case 0:
			return strings.Repeat("你", im.MaxContentChars-8) + strconv.Itoa(100000+i)
		case 1:
			return strings.Repeat("<", im.MaxContentChars-8) + strconv.Itoa(100000+i)
		}
		return "short " + strconv.Itoa(100000+i)
	}
	const single, group = 18, 9
	for i := range single {
		h.send("one", "alice", "bob", content(i))
	}
	for i := range group {
		if _, err := h.im.Send(ctx, alice, im.SendInput{ToID: "big", ChatType: im.Group, MsgType: im.Text, Content: content(i)}); err != nil {
			t.Fatal(err)
		}
	}

	bob := h.dial("one", "bob")
	bob.send(map[string]any{"type": "sync", "afterSeq": 0, "groups": []map[string]any{{"groupId": "big", "afterSeq": 0}}})
	var userSeq, groupSeq int64
	var singles, groups int
	for {
		f := bob.next()
		if f.Type == "synced" {
			if f.Seq != userSeq || !strings.Contains(string(f.raw), `{"groupId":"big","seq":`+strconv.FormatInt(groupSeq, 10)+`}`) {
				t.Fatalf("synced %s after user seq %d and group seq %d", f.raw, userSeq, groupSeq)
			}
			break
		}
		if f.GroupID != "" {
			if groupSeq != 0 && f.GroupSeq != groupSeq+1 || f.GroupSeq <= groupSeq {
				t.Fatalf("group event %d after %d", f.GroupSeq, groupSeq)
			}
			groupSeq = f.GroupSeq
			if f.Type == "message" {
				if want := strconv.Itoa(100000 + groups); !strings.Contains(string(f.Data), want+`"`) {
					t.Fatalf("group message %d is not the %dth sent: %.80s", f.GroupSeq, groups, f.raw)
				}
				groups++
			}
			continue
		}
		if f.Seq != userSeq+1 {
			t.Fatalf("user event %d after %d (%s)", f.Seq, userSeq, f.Type)
		}
		userSeq = f.Seq
		if f.Type == "message" {
			if want := strconv.Itoa(100000 + singles); !strings.Contains(string(f.Data), want+`"`) {
				t.Fatalf("message %d is not the %dth sent: %.80s", f.Seq, singles, f.raw)
			}
			singles++
		}
	}
	if singles != single || groups != group {
		t.Fatalf("synced %d of %d messages and %d of %d group messages", singles, single, groups, group)
	}
	pages.mu.Lock()
	defer pages.mu.Unlock()
	read := 0
	for i, p := range pages.pages {
		total := 0
		for _, n := range p {
			total += n
		}
		if len(p) > 1 && total > budget {
			t.Errorf("page %d: %d events of %d bytes, over the budget of %d", i, len(p), total, budget)
		}
		read += len(p)
	}
	t.Logf("%d events in %d pages", read, len(pages.pages))
}
