package im_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/im"
	"github.com/xuqmgroup/xuqm/internal/page"
)

// A TEXT of 16,384 `"` forwarded ten times over: every stored content stays within the
// content limit (it doubled at each level before), a forward of a forward does not nest, and
// the copy says when it was cut.
func TestForwardChainStaysBounded(t *testing.T) {
	f := newFixture(t)
	app := f.app("ak_forward", "alice", "bob")
	alice, bob := im.User{AppID: app, UserID: "alice"}, im.User{AppID: app, UserID: "bob"}
	ctx := context.Background()
	quotes := strings.Repeat(`"`, im.MaxContentChars)
	prev := must[im.Message](t)(f.svc.Send(ctx, alice, im.SendInput{ToID: "bob", ChatType: im.Single, MsgType: im.Text, Content: quotes}))
	for level := 1; level <= 10; level++ {
		from, to := bob, "alice"
		if level%2 == 0 {
			from, to = alice, "bob"
		}
		m := must[im.Message](t)(f.svc.Send(ctx, from, im.SendInput{ToID: to, ChatType: im.Single, MsgType: im.Forward,
			Content: fmt.Sprintf(`{"messageId":"%d"}`, prev.ID)}))
		if n := utf8.RuneCountInString(m.Content); n > im.MaxContentChars {
			t.Fatalf("level %d: stored content of %d characters; the limit is %d", level, n, im.MaxContentChars)
		}
		var c struct {
			MessageID string `json:"messageId"`
			Original  struct {
				ID        string     `json:"id"`
				MsgType   im.MsgType `json:"msgType"`
				Content   string     `json:"content"`
				Truncated bool       `json:"truncated"`
			} `json:"original"`
		}
		if err := json.Unmarshal([]byte(m.Content), &c); err != nil || c.MessageID != fmt.Sprint(prev.ID) || c.Original.ID != fmt.Sprint(prev.ID) {
			t.Fatalf("level %d: content %.200s (%v)", level, m.Content, err)
		}
		switch {
		case level == 1 && (c.Original.MsgType != im.Text || !c.Original.Truncated || strings.Trim(c.Original.Content, `"`) != ""):
			t.Errorf("the first forward's copy: %s truncated=%v, want a cut run of quotes", c.Original.MsgType, c.Original.Truncated)
		case level > 1 && (c.Original.MsgType != im.Forward || strings.Contains(c.Original.Content, "original") || c.Original.Truncated):
			t.Errorf("level %d: the copy of a forward %.200s, want its reference only", level, c.Original.Content)
		}
		prev = m
	}
	// A forward of something short is whole.
	short := must[im.Message](t)(f.svc.Send(ctx, alice, im.SendInput{ToID: "bob", ChatType: im.Single, MsgType: im.Text, Content: "<b>&</b>"}))
	m := must[im.Message](t)(f.svc.Send(ctx, bob, im.SendInput{ToID: "alice", ChatType: im.Single, MsgType: im.Forward, Content: fmt.Sprintf(`{"messageId":"%d"}`, short.ID)}))
	if !strings.Contains(m.Content, `"content":"<b>&</b>"`) || !strings.Contains(m.Content, `"truncated":false`) {
		t.Errorf("a short forward: %s", m.Content)
	}
}

// A history page stays under its byte budget: a page of 100 maximal messages is served
// smaller, and its page and size say which slice it is, so the next page follows on. The
// same for a group's history after a seq (the gap fill) and for search.
func TestHistoryPageBudget(t *testing.T) {
	f := newFixture(t)
	app := f.app("ak_budget", "alice", "bob")
	alice := im.User{AppID: app, UserID: "alice"}
	ctx := context.Background()
	must[im.GroupInfo](t)(f.svc.CreateGroup(ctx, alice, im.GroupCreate{GroupID: "g", Name: "g", MemberIDs: []string{"bob"}}))
	big := "needle " + strings.Repeat("<", im.MaxContentChars-7) // < is escaped in JSON as \u003c: six bytes each
	for range 30 {
		must[im.Message](t)(f.svc.Send(ctx, alice, im.SendInput{ToID: "bob", ChatType: im.Single, MsgType: im.Text, Content: big}))
		must[im.Message](t)(f.svc.Send(ctx, alice, im.SendInput{ToID: "g", ChatType: im.Group, MsgType: im.Text, Content: big}))
	}
	must[int](t)(f.svc.IndexSearch(ctx))
	zero := int64(0)
	for name, list := range map[string]func(page.Request) (page.Page[im.Message], error){
		"history": func(p page.Request) (page.Page[im.Message], error) {
			return f.svc.History(ctx, alice, im.HistoryQuery{ChatType: im.Single, TargetID: "bob", Page: p})
		},
		"group changes": func(p page.Request) (page.Page[im.Message], error) {
			return f.svc.History(ctx, alice, im.HistoryQuery{ChatType: im.Group, TargetID: "g", AfterSeq: &zero, Page: p})
		},
		"search": func(p page.Request) (page.Page[im.Message], error) { return f.svc.Search(ctx, alice, "needle", p) },
	} {
		want := 30
		if name == "search" {
			want = 60
		}
		seen := map[int64]bool{}
		number, size := int32(0), int32(100)
		for range 60 {
			p := must[page.Page[im.Message]](t)(list(page.Request{Number: number, Size: size}))
			if len(p.Items) == 0 {
				break
			}
			bytes := 0
			for _, m := range p.Items {
				b, _ := json.Marshal(m)
				bytes += len(b)
				seen[m.ID] = true
			}
			if bytes > im.HistoryPageBytes+im.MaxContentChars*6+1024 || len(p.Items) != int(p.Size) && int64(p.Number)*int64(p.Size)+int64(len(p.Items)) != p.Total {
				t.Fatalf("%s page %d: %d messages, %d bytes, size %d (budget %d)", name, p.Number, len(p.Items), bytes, p.Size, im.HistoryPageBytes)
			}
			number, size = p.Number+1, p.Size
		}
		if len(seen) != want {
			t.Errorf("%s: paging with the served page and size saw %d of %d messages", name, len(seen), want)
		}
	}
}

// The database cuts a page of events by their stored payloads, before anything is encoded:
// as many as fit in the budget, and always the first, for the user's events and a group's.
func TestEventPagesAreCutInTheDatabase(t *testing.T) {
	f := newFixture(t)
	app := f.app("ak_event_pages", "alice", "bob")
	alice := im.User{AppID: app, UserID: "alice"}
	ctx := context.Background()
	must[im.GroupInfo](t)(f.svc.CreateGroup(ctx, alice, im.GroupCreate{GroupID: "g", Name: "g", MemberIDs: []string{"bob"}}))
	big := strings.Repeat("a", 10_000)
	for range 5 {
		must[im.Message](t)(f.svc.Send(ctx, alice, im.SendInput{ToID: "bob", ChatType: im.Single, MsgType: im.Text, Content: big}))
		must[im.Message](t)(f.svc.Send(ctx, alice, im.SendInput{ToID: "g", ChatType: im.Group, MsgType: im.Text, Content: big}))
	}
	q := db.New(f.pool)
	for _, tc := range []struct {
		maxBytes int64
		want     int
	}{{1 << 20, 5}, {25_000, 2}, {20_000, 2}, {19_999, 1}, {1, 1}} {
		// bob's first event is his joining the group; the messages follow.
		rows, err := q.ListUserEventsAfter(ctx, db.ListUserEventsAfterParams{AppID: app, UserID: "bob", AfterSeq: 1, MaxEvents: 100, MaxBytes: tc.maxBytes})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != tc.want || rows[0].Seq != 2 {
			t.Errorf("user events within %d bytes: %d from seq %d, want %d from 2", tc.maxBytes, len(rows), rows[0].Seq, tc.want)
		}
		grows, err := q.ListGroupEventsAfter(ctx, db.ListGroupEventsAfterParams{AppID: app, GroupID: "g", UserID: "bob", AfterSeq: 0, MaxEvents: 100, MaxBytes: tc.maxBytes})
		if err != nil {
			t.Fatal(err)
		}
		if len(grows) != tc.want || grows[0].Seq != 1 {
			t.Errorf("group events within %d bytes: %d from seq %d, want %d from 1", tc.maxBytes, len(grows), grows[0].Seq, tc.want)
		}
	}
}
