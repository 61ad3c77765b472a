package im_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/im"
	"github.com/xuqmgroup/xuqm/internal/page"
)

func TestGroupLifecycle(t *testing.T) {
	f := newFixture(t)
	app := f.app("ak_group", "alice", "bob", "carol", "dave", "eve")
	u := func(id string) im.User { return im.User{AppID: app, UserID: id} }
	ctx := context.Background()

	_, err := f.svc.CreateGroup(ctx, u("alice"), im.GroupCreate{Name: "x", MemberIDs: []string{"bob", "ghost"}})
	wantKind(t, err, fault.NotFound, "")
	g := must[im.GroupInfo](t)(f.svc.CreateGroup(ctx, u("alice"), im.GroupCreate{GroupID: "g1", Name: "Team 团队", MemberIDs: []string{"bob", "carol", "alice", "bob"}}))
	if g.MemberCount != 3 || g.OwnerID != "alice" {
		t.Fatalf("group: %+v", g)
	}
	_, err = f.svc.CreateGroup(ctx, u("bob"), im.GroupCreate{GroupID: "g1", Name: "again"})
	wantKind(t, err, fault.Conflict, "")

	// Non-members can neither post, read nor see a private group.
	_, err = f.svc.Send(ctx, u("dave"), im.SendInput{ToID: "g1", ChatType: im.Group, MsgType: im.Text, Content: "let me in"})
	wantKind(t, err, fault.Forbidden, "")
	_, err = f.svc.History(ctx, u("dave"), im.HistoryQuery{ChatType: im.Group, TargetID: "g1"})
	wantKind(t, err, fault.Forbidden, "")
	_, err = f.svc.Group(ctx, u("dave"), "g1")
	wantKind(t, err, fault.Forbidden, "")
	_, err = f.svc.Members(ctx, u("dave"), "g1", "", page.Request{})
	wantKind(t, err, fault.Forbidden, "")
	_, err = f.svc.Send(ctx, u("dave"), im.SendInput{ToID: "nope", ChatType: im.Group, MsgType: im.Text, Content: "?"})
	wantKind(t, err, fault.NotFound, "")

	m := must[im.Message](t)(f.svc.Send(ctx, u("bob"), im.SendInput{ToID: "g1", ChatType: im.Group, MsgType: im.Text, Content: "hello team"}))
	if m.GroupReadCount == nil || *m.GroupReadCount != 0 {
		t.Fatalf("new group message: %+v", m)
	}
	// Readers raise the sender's groupReadCount, and he is told each time.
	for i, reader := range []string{"alice", "carol"} {
		mark := must[im.ReadMark](t)(f.svc.MarkRead(ctx, u(reader), im.Group, "g1", nil))
		if mark.ReadSeq != m.Seq || mark.UnreadCount != 0 {
			t.Fatalf("%s read mark: %+v", reader, mark)
		}
		hist := must[page.Page[im.Message]](t)(f.svc.History(ctx, u("bob"), im.HistoryQuery{ChatType: im.Group, TargetID: "g1"}))
		if got := *hist.Items[0].GroupReadCount; got != int32(i+1) {
			t.Fatalf("groupReadCount after %d readers is %d", i+1, got)
		}
	}
	var receipts []int32
	for _, d := range f.deliveries(im.EventRead) {
		var r struct {
			UserID         string `json:"userId"`
			GroupReadCount *int32 `json:"groupReadCount"`
		}
		_ = json.Unmarshal(d.Data, &r)
		if d.Recipients[0].UserID == "bob" && r.GroupReadCount != nil {
			receipts = append(receipts, *r.GroupReadCount)
		}
	}
	if fmt.Sprint(receipts) != "[1 2]" {
		t.Fatalf("bob's read receipts carried %v, want [1 2]", receipts)
	}

	// Only the owner or an admin changes the group; any member invites.
	_, err = f.svc.UpdateGroup(ctx, u("bob"), "g1", im.GroupUpdate{Name: ptr("mine")})
	wantKind(t, err, fault.Forbidden, "")
	pub := true
	g = must[im.GroupInfo](t)(f.svc.UpdateGroup(ctx, u("alice"), "g1", im.GroupUpdate{Public: &pub, Notice: ptr("welcome")}))
	if !g.Public || g.Notice != "welcome" || g.Name != "Team 团队" {
		t.Fatalf("updated group: %+v", g)
	}
	g = must[im.GroupInfo](t)(f.svc.AddMembers(ctx, u("bob"), "g1", []string{"dave", "carol"}))
	if g.MemberCount != 4 {
		t.Fatalf("member count %d, want 4", g.MemberCount)
	}
	// A new member starts with everything read, the notice of his joining the last of it,
	// and can read the history.
	conv := must[page.Page[im.Conversation]](t)(f.svc.Conversations(ctx, u("dave"), page.Request{}))
	if last := conv.Items[0].LastMessage; conv.Total != 1 || conv.Items[0].UnreadCount != 0 || last.MsgType != im.Notify ||
		last.FromID != "bob" || !strings.Contains(last.Content, `"text":"bob added dave"`) {
		t.Fatalf("dave's conversations: %+v %+v", conv.Items, last)
	}
	hist := must[page.Page[im.Message]](t)(f.svc.History(ctx, u("dave"), im.HistoryQuery{ChatType: im.Group, TargetID: "g1"}))
	if hist.Total != 2 || hist.Items[1].Content != "hello team" {
		t.Fatalf("dave's history: %+v", hist.Items)
	}
	members := must[page.Page[im.Member]](t)(f.svc.Members(ctx, u("dave"), "g1", "", page.Request{}))
	if members.Total != 4 || members.Items[0].UserID != "alice" || members.Items[0].Role != im.RoleOwner || members.Items[0].Nickname != "Alice" {
		t.Fatalf("members: %+v", members.Items)
	}
	found := must[page.Page[im.Member]](t)(f.svc.Members(ctx, u("dave"), "g1", "CAR", page.Request{}))
	if found.Total != 1 || found.Items[0].UserID != "carol" {
		t.Fatalf("member search: %+v", found.Items)
	}

	// Public groups are listed and searchable by outsiders; joinable tells who may ask.
	list := must[page.Page[im.GroupInfo]](t)(f.svc.PublicGroups(ctx, u("eve"), "团队", page.Request{}))
	if list.Total != 1 || list.Items[0].Joinable == nil || !*list.Items[0].Joinable {
		t.Fatalf("public groups for eve: %+v", list.Items)
	}
	search := must[page.Page[im.GroupInfo]](t)(f.svc.SearchGroups(ctx, u("bob"), "team", page.Request{}))
	if search.Total != 1 || *search.Items[0].Joinable {
		t.Fatalf("search for bob: %+v", search.Items)
	}
	if d := must[im.GroupInfo](t)(f.svc.Group(ctx, u("eve"), "g1")); d.GroupID != "g1" {
		t.Fatalf("eve sees the public group: %+v", d)
	}

	// Leave, remove, dissolve.
	wantKind(t, f.svc.RemoveMember(ctx, u("alice"), "g1", "alice"), fault.Forbidden, "")
	wantKind(t, f.svc.RemoveMember(ctx, u("bob"), "g1", "carol"), fault.Forbidden, "")
	wantKind(t, f.svc.RemoveMember(ctx, u("alice"), "g1", "eve"), fault.NotFound, "")
	if err := f.svc.RemoveMember(ctx, u("carol"), "g1", "carol"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.RemoveMember(ctx, u("alice"), "g1", "dave"); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Send(ctx, u("dave"), im.SendInput{ToID: "g1", ChatType: im.Group, MsgType: im.Text, Content: "still here?"})
	wantKind(t, err, fault.Forbidden, "")
	wantKind(t, f.svc.DissolveGroup(ctx, u("bob"), "g1"), fault.Forbidden, "")
	if err := f.svc.DissolveGroup(ctx, u("alice"), "g1"); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.History(ctx, u("alice"), im.HistoryQuery{ChatType: im.Group, TargetID: "g1"})
	wantKind(t, err, fault.NotFound, "")
	_, err = f.svc.CreateGroup(ctx, u("alice"), im.GroupCreate{GroupID: "g1", Name: "reuse"})
	wantKind(t, err, fault.Conflict, "")

	var events []string
	for _, d := range f.deliveries(im.EventGroup) {
		var e struct {
			Event string `json:"event"`
		}
		_ = json.Unmarshal(d.Data, &e)
		events = append(events, fmt.Sprintf("%s:%d", e.Event, len(d.Recipients)))
	}
	// A member's own membership on his own stream; the rest once, on the group's (after
	// the group message at seq 1).
	want := "[CREATED:3 MEMBERS_ADDED:1 MEMBER_LEFT:1 MEMBER_REMOVED:1 DISSOLVED:2]"
	if fmt.Sprint(events) != want {
		t.Fatalf("group events on users' streams %v, want %s", events, want)
	}
	var notices []string
	for _, d := range f.groupDeliveries(im.EventGroup) {
		var e struct {
			Event string `json:"event"`
		}
		_ = json.Unmarshal(d.Data, &e)
		notices = append(notices, fmt.Sprintf("%s:%d", e.Event, d.Seq))
	}
	// Each membership change is followed by its NOTIFY message (seqs 4, 6, 8, and 9 for
	// the dissolution); an update of the notice leaves none.
	if want := "[UPDATED:2 MEMBERS_ADDED:3 MEMBER_LEFT:5 MEMBER_REMOVED:7]"; fmt.Sprint(notices) != want {
		t.Fatalf("group events on the group's stream %v, want %s", notices, want)
	}
}

func ptr[T any](v T) *T { return &v }
