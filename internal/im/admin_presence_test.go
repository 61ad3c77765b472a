package im_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/im"
	"github.com/xuqmgroup/xuqm/internal/page"
	"github.com/xuqmgroup/xuqm/internal/presence"
)

// The admin's user list says who is online on any instance: the presence the instances
// share in PostgreSQL, not this instance's own connections.
func TestAdminOnlineIsTheSharedPresence(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	app := f.app("ak_presence", "alice", "bob", "carol")
	tr, err := presence.Start(ctx, f.pool, presence.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close(ctx)
	f.svc = im.New(f.pool, im.Options{Location: time.FixedZone("CST", 8*3600), Announcer: f, Presence: tr})
	// bob has a WebSocket on another instance, carol on this one.
	other := uuid.New()
	if _, err := f.pool.Exec(ctx, `INSERT INTO presence_instances (id) VALUES ($1)`, other); err != nil {
		t.Fatal(err)
	}
	if _, err := f.pool.Exec(ctx, `INSERT INTO presence_connections (app_id, user_id, instance_id) VALUES ($1, 'bob', $2)`, app, other); err != nil {
		t.Fatal(err)
	}
	tr.Connected(app, "carol")
	admin := im.Admin{AppID: app, ActorType: im.ActorTenant, ActorID: "1"}
	online := func() map[string]bool {
		t.Helper()
		p := must[page.Page[im.AdminUser]](t)(f.svc.AdminUsers(ctx, admin, "", false, page.Request{}))
		out := map[string]bool{}
		for _, u := range p.Items {
			out[u.UserID] = u.Online
		}
		return out
	}
	if got := online(); got["alice"] || !got["bob"] || !got["carol"] {
		t.Fatalf("online: %v, want bob (another instance) and carol (this one)", got)
	}
	// Every app's users, each once, as the operators' statistics count them.
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, err := presence.CountOnline(ctx, db.New(f.pool))
		if err != nil {
			t.Fatal(err)
		}
		if n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d users online counted, want 2", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The other instance falls silent (crashed): bob is offline once its row expires.
	if _, err := f.pool.Exec(ctx, `UPDATE presence_instances SET seen_at = now() - interval '1 hour' WHERE id = $1`, other); err != nil {
		t.Fatal(err)
	}
	if got := online(); got["bob"] || !got["carol"] {
		t.Fatalf("online after bob's instance went silent: %v", got)
	}
	if n, err := presence.CountOnline(ctx, db.New(f.pool)); err != nil || n != 1 {
		t.Fatalf("%d users online counted (%v), want 1", n, err)
	}
}
