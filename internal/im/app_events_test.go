package im_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/xuqmgroup/xuqm/internal/im"
	"github.com/xuqmgroup/xuqm/internal/page"
	"github.com/xuqmgroup/xuqm/internal/postgres/pgtest"
)

// notifier is an im.Notifier that wants what it is told, records the events queued, checks
// that they come inside a live transaction, and can fail.
type notifier struct {
	mu     sync.Mutex
	want   map[string]bool
	fail   bool
	events []im.AppEvent
	asked  int // Wants calls
}

func (n *notifier) Wants(_ context.Context, _ int64, event string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.asked++
	return n.want[event]
}

func (n *notifier) NotifyTx(ctx context.Context, tx pgx.Tx, events []im.AppEvent) error {
	// The transaction is open: the event's own rows are visible in it.
	if _, err := tx.Exec(ctx, "SELECT 1"); err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.fail {
		return errors.New("the job queue is down")
	}
	for _, e := range events {
		if n.want[e.Event] {
			n.events = append(n.events, e)
		}
	}
	return nil
}

func (n *notifier) set(fail bool, want ...string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.fail, n.want, n.events = fail, map[string]bool{}, nil
	for _, w := range want {
		n.want[w] = true
	}
}

func (n *notifier) queued() []im.AppEvent {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]im.AppEvent(nil), n.events...)
}

func newNotified(t *testing.T) (*fixture, *notifier) {
	f := &fixture{t: t, pool: pgtest.NewDB(t)}
	n := &notifier{}
	f.svc = im.New(f.pool, im.Options{Location: time.UTC, Announcer: f, Notifier: n})
	return f, n
}

func (f *fixture) stored(u im.User, chat im.ChatType, target string) int64 {
	f.t.Helper()
	p, err := f.svc.History(context.Background(), u, im.HistoryQuery{ChatType: chat, TargetID: target})
	if err != nil {
		f.t.Fatal(err)
	}
	return p.Total
}

// The delivery of an event is queued in the transaction that stores the event: when it
// cannot be queued, the event is not stored either, and the caller is told.
func TestAppEventsAreQueuedInTheEventsTransaction(t *testing.T) {
	ctx := context.Background()
	f, n := newNotified(t)
	app := f.app("ak_events", "alice", "bob", "carol")
	alice, bob := im.User{AppID: app, UserID: "alice"}, im.User{AppID: app, UserID: "bob"}
	must[im.GroupInfo](t)(f.svc.CreateGroup(ctx, alice, im.GroupCreate{GroupID: "g1", Name: "g1", MemberIDs: []string{"bob"}}))

	n.set(true, im.WebhookMessageSent)
	if _, err := f.svc.Send(ctx, alice, im.SendInput{ToID: "bob", ChatType: im.Single, MsgType: im.Text, Content: "lost?"}); err == nil {
		t.Fatal("a one-to-one send whose delivery could not be queued succeeded")
	}
	if _, err := f.svc.Send(ctx, alice, im.SendInput{ToID: "g1", ChatType: im.Group, MsgType: im.Text, Content: "lost?"}); err == nil {
		t.Fatal("a group send whose delivery could not be queued succeeded")
	}
	if got := f.stored(alice, im.Single, "bob") + f.stored(alice, im.Group, "g1"); got != 0 {
		t.Fatalf("%d messages stored without their deliveries", got)
	}

	n.set(false, im.WebhookMessageSent)
	m := must[im.Message](t)(f.svc.Send(ctx, alice, im.SendInput{ToID: "bob", ChatType: im.Single, MsgType: im.Text, Content: "hello"}))
	g := must[im.Message](t)(f.svc.Send(ctx, alice, im.SendInput{ToID: "g1", ChatType: im.Group, MsgType: im.Text, Content: "hi all"}))
	ev := n.queued()
	if len(ev) != 2 || ev[0].Data.(im.Message).ID != m.ID || ev[0].Data.(im.Message).Seq != m.Seq || ev[1].Data.(im.Message).ID != g.ID {
		t.Fatalf("queued message.sent: %+v", ev)
	}

	// Nothing wanted: nothing queued, and the sends still work.
	n.set(false)
	must[im.Message](t)(f.svc.Send(ctx, bob, im.SendInput{ToID: "alice", ChatType: im.Single, MsgType: im.Text, Content: "back"}))
	if ev := n.queued(); len(ev) != 0 {
		t.Fatalf("queued without a subscriber: %+v", ev)
	}

	// Edits, revokes and friend events alike.
	n.set(true, im.WebhookMessageEdited, im.WebhookMessageRevoked, im.WebhookFriendRequested, im.WebhookFriendAdded, im.WebhookFriendDeleted)
	if _, err := f.svc.Edit(ctx, alice, m.ID, "changed"); err == nil {
		t.Fatal("an edit whose delivery could not be queued succeeded")
	}
	if _, err := f.svc.Revoke(ctx, alice, m.ID); err == nil {
		t.Fatal("a revoke whose delivery could not be queued succeeded")
	}
	if _, err := f.svc.SendFriendRequest(ctx, alice, "carol", ""); err == nil {
		t.Fatal("a friend request whose delivery could not be queued succeeded")
	}
	if h := must[page.Page[im.Message]](t)(f.svc.History(ctx, alice, im.HistoryQuery{ChatType: im.Single, TargetID: "bob"})); h.Items[1].Content != "hello" || h.Items[1].Revoked {
		t.Fatalf("a failed edit or revoke changed the message: %+v", h.Items[1])
	}
	if p := must[page.Page[im.FriendRequest]](t)(f.svc.FriendRequests(ctx, alice, true, "", page.Request{})); p.Total != 0 {
		t.Fatalf("a friend request was stored without its delivery: %+v", p.Items)
	}

	n.set(false, im.WebhookMessageEdited, im.WebhookMessageRevoked, im.WebhookFriendRequested, im.WebhookFriendAdded, im.WebhookFriendDeleted)
	must[im.Message](t)(f.svc.Edit(ctx, alice, m.ID, "changed"))
	must[im.Message](t)(f.svc.Revoke(ctx, alice, m.ID))
	fr := must[im.FriendRequest](t)(f.svc.SendFriendRequest(ctx, alice, "carol", "hi"))
	must[im.FriendRequest](t)(f.svc.AnswerFriendRequest(ctx, im.User{AppID: app, UserID: "carol"}, fr.ID, true))
	if err := f.svc.DeleteFriend(ctx, alice, "carol"); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range n.queued() {
		names = append(names, e.Event)
	}
	want := []string{im.WebhookMessageEdited, im.WebhookMessageRevoked, im.WebhookFriendRequested, im.WebhookFriendAdded, im.WebhookFriendDeleted}
	if len(names) != len(want) {
		t.Fatalf("queued %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("queued %v, want %v", names, want)
		}
	}
}
