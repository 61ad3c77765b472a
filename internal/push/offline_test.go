package push_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/xuqmgroup/xuqm/internal/presence"
	"github.com/xuqmgroup/xuqm/internal/push"
)

// fakePresence is the users online, answering as the tracker does.
type fakePresence map[presence.User]bool

func (f fakePresence) OnlineOf(_ context.Context, users []presence.User) (map[presence.User]bool, error) {
	out := map[presence.User]bool{}
	for _, u := range users {
		if f[u] {
			out[u] = true
		}
	}
	return out, nil
}

// message stores a one-to-one text from one user to another, created age ago.
func (w *world) message(t *testing.T, a app, from, to string, age time.Duration) int64 {
	t.Helper()
	ctx := context.Background()
	var chat, id int64
	if err := w.pool.QueryRow(ctx, `INSERT INTO im_chats (app_id, chat_type, chat_key) VALUES ($1, 'SINGLE', $2 || ' ' || $3 || ' ' || gen_random_uuid()) RETURNING id`, a.ID, from, to).Scan(&chat); err != nil {
		t.Fatal(err)
	}
	if err := w.pool.QueryRow(ctx, `INSERT INTO im_messages (app_id, chat_id, seq, chat_type, from_id, to_id, msg_type, content, created_at)
		VALUES ($1, $2, 1, 'SINGLE', $3, $4, 'TEXT', 'hello', now() - $5 * interval '1 second') RETURNING id`, a.ID, chat, from, to, age.Seconds()).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// imPushes are the app's pushes from IM, as "user" → how many pushes were queued for him.
func (w *world) imPushes(t *testing.T, a app) map[string]int {
	t.Helper()
	rows, err := w.pool.Query(context.Background(), `SELECT u FROM pushes, unnest(user_ids) u WHERE app_id = $1 AND source = 'IM'`, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			t.Fatal(err)
		}
		out[u]++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func pass(t *testing.T, o *push.OfflinePush) int {
	t.Helper()
	n, err := o.Pass(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// The offline recipient of a message gets one push of it, the online one none, the sender
// none; a pass rolled back (a crash before its commit) pushes nothing and the next one
// pushes it; another worker (a restart after the commit) does not push it again; a message
// older than the horizon is not pushed.
func TestOfflinePushOncePerMessage(t *testing.T) {
	w := newWorld(t)
	a := w.newApp(t, "ak_offline_push", "alice", "bob", "carol")
	w.configure(t, a)
	w.register(t, a, "alice", "alice-pixel-0001", push.FCM)
	w.register(t, a, "bob", "bob-pixel-0001", push.FCM)
	w.register(t, a, "carol", "carol-pixel-0001", push.FCM)
	online := fakePresence{{AppID: a.ID, UserID: "carol"}: true}
	opts := push.OfflineOptions{Horizon: 10 * time.Minute}

	w.message(t, a, "alice", "bob", 0)
	w.message(t, a, "alice", "carol", 0)
	w.message(t, a, "carol", "bob", time.Hour) // past the horizon

	first := w.svc.OfflinePush(online, opts)
	crash := errors.New("crash before commit")
	first.SetBeforeCommit(func() error { return crash })
	if _, err := first.Pass(context.Background()); !errors.Is(err, crash) {
		t.Fatalf("a failing pass: %v", err)
	}
	if got := w.imPushes(t, a); len(got) != 0 {
		t.Fatalf("a rolled back pass pushed %v", got)
	}
	first.SetBeforeCommit(nil)
	if n := pass(t, first); n != 3 {
		t.Fatalf("the pass looked at %d messages, want 3", n)
	}
	if got := w.imPushes(t, a); len(got) != 1 || got["bob"] != 1 {
		t.Fatalf("pushes after the pass: %v, want bob once", got)
	}
	// The same batch again, by this worker and by another instance's: nothing more.
	if n := pass(t, first); n != 0 {
		t.Fatalf("a second pass looked at %d messages", n)
	}
	svc2, _ := w.service(t)
	second := svc2.OfflinePush(online, opts)
	if n := pass(t, second); n != 0 {
		t.Fatalf("the restarted worker looked at %d messages again", n)
	}
	// A new message is pushed once, by whichever runs.
	w.message(t, a, "carol", "bob", 0)
	pass(t, second)
	pass(t, first)
	if got := w.imPushes(t, a); len(got) != 1 || got["bob"] != 2 {
		t.Fatalf("pushes after a second message: %v, want bob twice", got)
	}
	var deliveries int
	if err := w.pool.QueryRow(context.Background(), `SELECT count(*) FROM push_deliveries d JOIN pushes p ON p.id = d.push_id WHERE p.app_id = $1 AND p.source = 'IM'`, a.ID).Scan(&deliveries); err != nil {
		t.Fatal(err)
	}
	if deliveries != 2 {
		t.Fatalf("%d deliveries queued, want 2 (bob's device, once a message)", deliveries)
	}
}

// A muted conversation is not pushed; the recipient's other conversations are.
func TestOfflinePushSkipsMuted(t *testing.T) {
	w := newWorld(t)
	a := w.newApp(t, "ak_offline_mute", "alice", "bob", "carol")
	w.configure(t, a)
	w.register(t, a, "bob", "bob-pixel-0002", push.FCM)
	w.exec(t, `INSERT INTO push_conversation_mutes (app_id, user_id, chat_type, target_id) VALUES ($1, 'bob', 'SINGLE', 'alice')`, a.ID)
	w.message(t, a, "alice", "bob", 0)
	w.message(t, a, "carol", "bob", 0)
	o := w.svc.OfflinePush(fakePresence{}, push.OfflineOptions{})
	if n := pass(t, o); n != 2 {
		t.Fatalf("looked at %d messages, want 2", n)
	}
	var from []string
	rows, err := w.pool.Query(context.Background(), `SELECT title FROM pushes WHERE app_id = $1 AND source = 'IM'`, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		from = append(from, s)
	}
	if len(from) != 1 || from[0] != "carol" {
		t.Fatalf("pushes titled %v, want carol's only", from)
	}
}
