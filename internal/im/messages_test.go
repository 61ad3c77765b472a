package im_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/im"
	"github.com/xuqmgroup/xuqm/internal/page"
)

func TestConversations(t *testing.T) {
	f := newFixture(t)
	app := f.app("ak_conv", "alice", "bob", "carol")
	u := func(id string) im.User { return im.User{AppID: app, UserID: id} }
	ctx := context.Background()
	send := func(from, to, text string) im.Message {
		return must[im.Message](t)(f.svc.Send(ctx, u(from), im.SendInput{ToID: to, ChatType: im.Single, MsgType: im.Text, Content: text}))
	}
	send("bob", "alice", "one")
	send("bob", "alice", "two")
	send("alice", "bob", "mine")
	send("carol", "alice", "from carol")

	list := must[page.Page[im.Conversation]](t)(f.svc.Conversations(ctx, u("alice"), page.Request{}))
	if list.Total != 2 || list.Items[0].TargetID != "carol" || list.Items[1].TargetID != "bob" {
		t.Fatalf("newest first: %+v", list.Items)
	}
	if bob := list.Items[1]; bob.UnreadCount != 2 || bob.LastMessage.Content != "mine" {
		t.Fatalf("conversation with bob: %+v", bob)
	}
	c := must[im.Conversation](t)(f.svc.SetPinned(ctx, u("alice"), im.Single, "bob", true))
	if !c.Pinned {
		t.Fatalf("pin: %+v", c)
	}
	must[im.Conversation](t)(f.svc.SetDraft(ctx, u("alice"), im.Single, "bob", "half a th"))
	list = must[page.Page[im.Conversation]](t)(f.svc.Conversations(ctx, u("alice"), page.Request{}))
	if list.Items[0].TargetID != "bob" || !list.Items[0].Pinned || list.Items[0].Draft != "half a th" {
		t.Fatalf("pinned first: %+v", list.Items)
	}
	mark := must[im.ReadMark](t)(f.svc.MarkRead(ctx, u("alice"), im.Single, "bob", ptr[int64](1)))
	if mark.ReadSeq != 1 || mark.UnreadCount != 1 {
		t.Fatalf("read up to 1: %+v", mark)
	}
	mark = must[im.ReadMark](t)(f.svc.MarkRead(ctx, u("alice"), im.Single, "bob", ptr[int64](0)))
	if mark.ReadSeq != 1 {
		t.Fatalf("the read mark moved back: %+v", mark)
	}
	mark = must[im.ReadMark](t)(f.svc.MarkRead(ctx, u("alice"), im.Single, "bob", ptr[int64](99)))
	if mark.ReadSeq != 3 || mark.UnreadCount != 0 {
		t.Fatalf("read past the end: %+v", mark)
	}
	// Deleted until the next message.
	if err := f.svc.DeleteConversation(ctx, u("alice"), im.Single, "carol"); err != nil {
		t.Fatal(err)
	}
	wantKind(t, f.svc.DeleteConversation(ctx, u("alice"), im.Single, "carol"), fault.NotFound, "")
	if list = must[page.Page[im.Conversation]](t)(f.svc.Conversations(ctx, u("alice"), page.Request{})); list.Total != 1 {
		t.Fatalf("after delete: %+v", list.Items)
	}
	send("carol", "alice", "again")
	list = must[page.Page[im.Conversation]](t)(f.svc.Conversations(ctx, u("alice"), page.Request{}))
	if list.Total != 2 || list.Items[1].TargetID != "carol" || list.Items[1].UnreadCount != 1 {
		t.Fatalf("a new message brings it back with only itself unread: %+v", list.Items)
	}
	_, err := f.svc.SetPinned(ctx, u("alice"), im.Single, "ghost", true)
	wantKind(t, err, fault.NotFound, "")
	_, err = f.svc.SetPinned(ctx, u("alice"), im.Group, "nogroup", true)
	wantKind(t, err, fault.NotFound, "")
	if n := len(f.deliveries(im.EventConversation)); n != 3 {
		t.Fatalf("%d conversation.updated events, want 3", n)
	}
}

func TestEditAndRevoke(t *testing.T) {
	f := newFixture(t)
	app := f.app("ak_edit", "alice", "bob")
	alice, bob := im.User{AppID: app, UserID: "alice"}, im.User{AppID: app, UserID: "bob"}
	ctx := context.Background()
	m := must[im.Message](t)(f.svc.Send(ctx, alice, im.SendInput{ToID: "bob", ChatType: im.Single, MsgType: im.Text, Content: "helo"}))
	img := must[im.Message](t)(f.svc.Send(ctx, alice, im.SendInput{ToID: "bob", ChatType: im.Single, MsgType: im.Image, Content: `{"url":"u"}`}))

	e := must[im.Message](t)(f.svc.Edit(ctx, alice, m.ID, "hello"))
	if e.Content != "hello" || e.EditedAt == nil {
		t.Fatalf("edited: %+v", e)
	}
	_, err := f.svc.Edit(ctx, bob, m.ID, "mine now")
	wantKind(t, err, fault.Forbidden, "")
	_, err = f.svc.Edit(ctx, alice, img.ID, "text")
	wantKind(t, err, fault.Invalid, "id")
	_, err = f.svc.Edit(ctx, alice, m.ID, "nul \x00")
	wantKind(t, err, fault.Invalid, "content")
	_, err = f.svc.Revoke(ctx, bob, m.ID)
	wantKind(t, err, fault.Forbidden, "")

	r := must[im.Message](t)(f.svc.Revoke(ctx, alice, m.ID))
	if !r.Revoked || r.Content != "" {
		t.Fatalf("revoked: %+v", r)
	}
	again := must[im.Message](t)(f.svc.Revoke(ctx, alice, m.ID))
	if !again.Revoked {
		t.Fatalf("revoking twice: %+v", again)
	}
	_, err = f.svc.Edit(ctx, alice, m.ID, "back")
	wantKind(t, err, fault.Conflict, "")

	// Both sides have the edit and the revoke in their event log, and history shows them.
	for _, u := range []im.User{alice, bob} {
		var types []string
		for _, ev := range must[[]im.StoredEvent](t)(f.svc.EventsAfter(ctx, u, 0, 10, 1<<30)) {
			types = append(types, ev.Type)
		}
		if strings.Join(types, ",") != "message,message,message.edited,message.revoked" {
			t.Fatalf("%s events: %v", u.UserID, types)
		}
	}
	h := must[page.Page[im.Message]](t)(f.svc.History(ctx, bob, im.HistoryQuery{ChatType: im.Single, TargetID: "alice"}))
	if !h.Items[1].Revoked || h.Items[1].Content != "" || h.Items[1].EditedAt == nil {
		t.Fatalf("history: %+v", h.Items)
	}

	// Past the window the sender may no longer revoke.
	late := im.New(f.pool, im.Options{Announcer: f, RevokeWindow: time.Nanosecond})
	_, err = late.Revoke(ctx, alice, img.ID)
	wantKind(t, err, fault.Forbidden, "")
}

func TestHistoryFilters(t *testing.T) {
	f := newFixture(t)
	app := f.app("ak_hist", "alice", "bob")
	alice, bob := im.User{AppID: app, UserID: "alice"}, im.User{AppID: app, UserID: "bob"}
	ctx := context.Background()
	for i, c := range []string{"hello world", "你好世界", "Hello again", "bye"} {
		from, to := alice, "bob"
		if i%2 == 1 {
			from, to = bob, "alice"
		}
		must[im.Message](t)(f.svc.Send(ctx, from, im.SendInput{ToID: to, ChatType: im.Single, MsgType: im.Text, Content: c}))
	}
	must[im.Message](t)(f.svc.Send(ctx, bob, im.SendInput{ToID: "alice", ChatType: im.Single, MsgType: im.File, Content: `{"url":"u","name":"hello.pdf","size":3}`}))
	q := func(hq im.HistoryQuery) []string {
		hq.ChatType, hq.TargetID = im.Single, "bob"
		p := must[page.Page[im.Message]](t)(f.svc.History(ctx, alice, hq))
		var out []string
		for _, m := range p.Items {
			out = append(out, m.Content)
		}
		return out
	}
	if got := q(im.HistoryQuery{Keyword: "HELLO", MsgType: im.Text}); strings.Join(got, "|") != "Hello again|hello world" {
		t.Fatalf("keyword+msgType: %v", got)
	}
	if got := q(im.HistoryQuery{Keyword: "你好"}); len(got) != 1 {
		t.Fatalf("chinese keyword: %v", got)
	}
	if got := q(im.HistoryQuery{Keyword: "bob"}); len(got) != 3 {
		t.Fatalf("keyword on the sender: %v", got)
	}
	if got := q(im.HistoryQuery{Page: page.Request{Number: 1, Size: 2}}); strings.Join(got, "|") != "Hello again|你好世界" {
		t.Fatalf("page 1: %v", got)
	}
	// Zone-less times are read in the service's zone (UTC+8 here).
	now := time.Now().In(time.FixedZone("CST", 8*3600))
	if got := q(im.HistoryQuery{StartTime: now.Add(-time.Hour).Format("2006-01-02T15:04:05")}); len(got) != 5 {
		t.Fatalf("since an hour ago (local): %v", got)
	}
	if got := q(im.HistoryQuery{EndTime: now.Add(-time.Hour).Format("2006-01-02T15:04:05")}); len(got) != 0 {
		t.Fatalf("until an hour ago (local): %v", got)
	}
	if got := q(im.HistoryQuery{StartTime: now.Add(time.Hour).UTC().Format(time.RFC3339)}); len(got) != 0 {
		t.Fatalf("from an hour ahead (RFC 3339): %v", got)
	}
	_, err := f.svc.History(ctx, alice, im.HistoryQuery{ChatType: im.Single, TargetID: "bob", StartTime: "yesterday"})
	wantKind(t, err, fault.Invalid, "startTime")
}

func TestSearch(t *testing.T) {
	f := newFixture(t)
	app := f.app("ak_search", "alice", "bob", "carol")
	u := func(id string) im.User { return im.User{AppID: app, UserID: id} }
	ctx := context.Background()
	must[im.GroupInfo](t)(f.svc.CreateGroup(ctx, u("bob"), im.GroupCreate{GroupID: "g", Name: "g", MemberIDs: []string{"alice"}}))
	for _, s := range []struct{ from, to, text string }{
		{"bob", "alice", "你好，世界"},
		{"alice", "bob", "Hello World"},
		{"bob", "carol", "你好 carol, hello"},
		{"bob", "g", "group: 你好 all"},
		{"alice", "bob", "好"},
	} {
		t := im.Single
		if s.to == "g" {
			t = im.Group
		}
		must[im.Message](tt(f))(f.svc.Send(ctx, u(s.from), im.SendInput{ToID: s.to, ChatType: t, MsgType: im.Text, Content: s.text}))
	}
	// The indexer runs in the background of a server; here, one pass.
	must[int](t)(f.svc.IndexSearch(ctx))
	count := func(user, kw string) int64 {
		return must[page.Page[im.Message]](t)(f.svc.Search(ctx, u(user), kw, page.Request{})).Total
	}
	for _, c := range []struct {
		user, kw string
		want     int64
	}{
		{"alice", "你好", 2}, {"alice", "hello", 1}, {"alice", "WORLD", 1}, {"alice", "好", 3},
		{"carol", "你好", 1}, {"carol", "world", 0}, {"bob", "hello", 2},
	} {
		if got := count(c.user, c.kw); got != c.want {
			t.Errorf("%s searching %q found %d, want %d", c.user, c.kw, got, c.want)
		}
	}
	_, err := f.svc.Search(ctx, u("alice"), " ", page.Request{})
	wantKind(t, err, fault.Invalid, "keyword")
}

func tt(f *fixture) testing.TB { return f.t }
