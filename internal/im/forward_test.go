package im_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/xuqmgroup/xuqm/internal/im"
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
// smaller, and its page and size say which slice it is, so the next page follows on.
func TestHistoryPageBudget(t *testing.T) {
	f := newFixture(t)
	app := f.app("ak_budget", "alice", "bob")
	alice := im.User{AppID: app, UserID: "alice"}
	ctx := context.Background()
	big := strings.Repeat("<", im.MaxContentChars) // escaped in JSON as \u003c: six bytes each
	for range 30 {
		must[im.Message](t)(f.svc.Send(ctx, alice, im.SendInput{ToID: "bob", ChatType: im.Single, MsgType: im.Text, Content: big}))
	}
	seen := map[int64]bool{}
	page, size := int32(0), int32(100)
	for range 30 {
		p := must[im.Page[im.Message]](t)(f.svc.History(ctx, alice, im.HistoryQuery{ChatType: im.Single, TargetID: "bob", Page: im.PageRequest{Page: page, Size: size}}))
		if len(p.Items) == 0 {
			break
		}
		bytes := 0
		for _, m := range p.Items {
			b, _ := json.Marshal(m)
			bytes += len(b)
			seen[m.ID] = true
		}
		if bytes > im.HistoryPageBytes+im.MaxContentChars*6+1024 || len(p.Items) != int(p.Size) && int64(p.Page)*int64(p.Size)+int64(len(p.Items)) != p.Total {
			t.Fatalf("page %d: %d messages, %d bytes, size %d (budget %d)", p.Page, len(p.Items), bytes, p.Size, im.HistoryPageBytes)
		}
		page, size = p.Page+1, p.Size
	}
	if len(seen) != 30 {
		t.Errorf("paging with the served page and size saw %d of 30 messages", len(seen))
	}
}
