package realtime_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/eventbus"
	"github.com/xuqmgroup/xuqm/internal/eventbus/natstest"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/im"
	"github.com/xuqmgroup/xuqm/internal/postgres/pgtest"
	"github.com/xuqmgroup/xuqm/internal/realtime"
)

// instances are IM cores with their hubs on one database: one on the in-process bus, or
// several sharing a NATS server, as separate processes would. Their WebSockets trust ?user=.
type instances struct {
	t    *testing.T
	pool *pgxpool.Pool
	app  int64
	svc  []*im.Service
	hubs []*realtime.Hub
	urls []string
}

func startInstances(t *testing.T, n int, users []string) *instances {
	t.Helper()
	pool := pgtest.NewDB(t)
	is := &instances{t: t, pool: pool}
	ctx := context.Background()
	var tenant int64
	if err := pool.QueryRow(ctx, `INSERT INTO tenants (name, email) VALUES ('g', 'g@example.com') RETURNING id`).Scan(&tenant); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `INSERT INTO apps (tenant_id, app_key, app_secret, name) VALUES ($1, 'ak_groups', 's', 'g') RETURNING id`, tenant).Scan(&is.app); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO im_accounts (app_id, user_id) SELECT $1, unnest($2::text[])`, is.app, users); err != nil {
		t.Fatal(err)
	}
	prefix, natsURL := "test"+auth.RandomHex(6), ""
	if n > 1 {
		natsURL = natstest.URL(t) // one server for all of them
	}
	for range n {
		var bus eventbus.Bus = eventbus.NewLocal()
		if n > 1 {
			nb, err := eventbus.NewNATS(natsURL, prefix, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = nb.Close() })
			bus = nb
		}
		svc := im.New(pool, im.Options{Announcer: realtime.NewAnnouncer(bus, nil)})
		hub, err := realtime.NewHub(svc, bus, realtime.Options{MaxPerAddr: 10_000})
		if err != nil {
			t.Fatal(err)
		}
		if f, ok := bus.(interface{ Flush() error }); ok {
			if err := f.Flush(); err != nil { // the subscription is in place on the server
				t.Fatal(err)
			}
		}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s := realtime.Session{User: im.User{AppID: is.app, UserID: r.URL.Query().Get("user")}}
			if err := hub.Serve(w, r, s); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
			}
		}))
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			hub.Close(ctx)
			srv.Close()
		})
		is.svc, is.hubs, is.urls = append(is.svc, svc), append(is.hubs, hub), append(is.urls, "ws"+strings.TrimPrefix(srv.URL, "http"))
	}
	return is
}

func (is *instances) user(id string) im.User { return im.User{AppID: is.app, UserID: id} }

func (is *instances) dial(i int, user string) *client {
	is.t.Helper()
	return dialURL(is.t, is.urls[i]+"/?"+url.Values{"user": {user}}.Encode(), nil)
}

func (is *instances) waitOnline(n int64) {
	is.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var online int64
		for _, h := range is.hubs {
			online += h.Online()
		}
		if online == n {
			return
		}
		if time.Now().After(deadline) {
			is.t.Fatalf("%d WebSockets open, want %d", online, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (is *instances) sendGroup(i int, from, group, text string) im.Message {
	is.t.Helper()
	m, err := is.svc[i].Send(context.Background(), is.user(from), im.SendInput{ToID: group, ChatType: im.Group, MsgType: im.Text, Content: text})
	if err != nil {
		is.t.Fatal(err)
	}
	return m
}

// TestGroupOf200OverTwoInstances: a message to a group of 200, half of them connected to
// each of two instances on NATS, reaches every member's connection, as a group event.
func TestGroupOf200OverTwoInstances(t *testing.T) {
	users := make([]string, 200)
	for i := range users {
		users[i] = fmt.Sprintf("u%03d", i)
	}
	is := startInstances(t, 2, users)
	ctx := context.Background()
	if _, err := is.svc[0].CreateGroup(ctx, is.user(users[0]), im.GroupCreate{GroupID: "big", Name: "Big", MemberIDs: users[1:]}); err != nil {
		t.Fatal(err)
	}
	conns := make([]*client, len(users))
	for i, u := range users {
		conns[i] = is.dial(i%2, u)
	}
	is.waitOnline(200)
	m := is.sendGroup(1, users[7], "big", "hello, two hundred")
	for i, c := range conns {
		f := c.nextOf("message")
		if f.GroupID != "big" || f.GroupSeq != *m.GroupSeq || !strings.Contains(string(f.Data), `"hello, two hundred"`) {
			t.Fatalf("member %d: %s", i, f.raw)
		}
	}
}

// TestOfflineMemberSyncsTheGroup: a member away for 30 messages, 3 edits and 2 revokes gets
// each once and in order by sync, then synced with every group of his.
func TestOfflineMemberSyncsTheGroup(t *testing.T) {
	is := startInstances(t, 1, []string{"alice", "bob", "carol"})
	ctx := context.Background()
	for _, g := range []string{"team", "other"} {
		if _, err := is.svc[0].CreateGroup(ctx, is.user("alice"), im.GroupCreate{GroupID: g, Name: g, MemberIDs: []string{"bob", "carol"}}); err != nil {
			t.Fatal(err)
		}
	}
	var sent []im.Message
	for i := range 30 {
		sent = append(sent, is.sendGroup(0, []string{"alice", "carol"}[i%2], "team", fmt.Sprintf("message %d", i)))
	}
	edits := []im.Message{sent[0], sent[2], sent[4]} // alice's
	for _, m := range edits {
		if _, err := is.svc[0].Edit(ctx, is.user("alice"), m.ID, "edited "+m.Content); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range []im.Message{sent[1], sent[3]} { // carol's
		if _, err := is.svc[0].Revoke(ctx, is.user("carol"), m.ID); err != nil {
			t.Fatal(err)
		}
	}
	bob := is.dial(0, "bob")
	bob.send(map[string]any{"type": "sync", "id": "s1", "afterSeq": 0, "groups": []map[string]any{{"groupId": "team", "afterSeq": 0}}})
	var got []string
	for {
		f := bob.next()
		if f.Type == "synced" {
			var groups []struct {
				GroupID string `json:"groupId"`
				Seq     int64  `json:"seq"`
			}
			var body struct {
				Groups json.RawMessage `json:"groups"`
			}
			_ = json.Unmarshal(f.raw, &body)
			_ = json.Unmarshal(body.Groups, &groups)
			if fmt.Sprint(groups) != "[{other 0} {team 35}]" {
				t.Fatalf("synced: %s", f.raw)
			}
			break
		}
		if f.Type == "group.event" && f.Seq > 0 {
			continue // his own CREATED events, on his stream
		}
		if f.GroupID != "team" || f.GroupSeq != int64(len(got)+1) {
			t.Fatalf("event %d: %s", len(got), f.raw)
		}
		got = append(got, f.Type)
	}
	want := strings.Repeat("message ", 30) + strings.Repeat("message.edited ", 3) + strings.Repeat("message.revoked ", 2)
	if strings.Join(got, " ")+" " != want {
		t.Fatalf("replayed %v", got)
	}
	// Synced again from where he is: nothing twice.
	bob.send(map[string]any{"type": "sync", "afterSeq": 100, "groups": []map[string]any{{"groupId": "team", "afterSeq": 35}}})
	if f := bob.next(); f.Type != "synced" {
		t.Fatalf("a second sync replayed %s", f.raw)
	}
	// The gap fill of group history: what changed after seq 30, oldest change first.
	page, err := is.svc[0].History(ctx, is.user("bob"), im.HistoryQuery{ChatType: im.Group, TargetID: "team", AfterSeq: ptr(int64(30))})
	if err != nil {
		t.Fatal(err)
	}
	var changed []string
	for _, m := range page.Items {
		changed = append(changed, fmt.Sprintf("%s:%d", m.Content, *m.GroupSeq))
	}
	if fmt.Sprint(changed) != "[edited message 0:31 edited message 2:32 edited message 4:33 :34 :35]" {
		t.Fatalf("history after 30: %v", changed)
	}
}

// TestRemovedMemberGetsNothingOfTheGroup: after his removal a member gets the group's
// events neither live, nor by sync, nor by history.
func TestRemovedMemberGetsNothingOfTheGroup(t *testing.T) {
	is := startInstances(t, 1, []string{"alice", "bob", "carol"})
	ctx := context.Background()
	if _, err := is.svc[0].CreateGroup(ctx, is.user("alice"), im.GroupCreate{GroupID: "team", Name: "Team", MemberIDs: []string{"bob", "carol"}}); err != nil {
		t.Fatal(err)
	}
	bob, carol := is.dial(0, "bob"), is.dial(0, "carol")
	is.waitOnline(2)
	is.sendGroup(0, "alice", "team", "before")
	if f := bob.nextOf("message"); f.GroupID != "team" {
		t.Fatalf("before the removal: %s", f.raw)
	}
	if err := is.svc[0].RemoveMember(ctx, is.user("alice"), "team", "bob"); err != nil {
		t.Fatal(err)
	}
	if f := bob.nextOf("group.event"); f.Seq == 0 || !strings.Contains(string(f.Data), `"MEMBER_REMOVED"`) {
		t.Fatalf("bob's removal: %s", f.raw)
	}
	is.sendGroup(0, "alice", "team", "after")
	for f := carol.nextOf("message"); !strings.Contains(string(f.Data), `"after"`); f = carol.nextOf("message") {
	}
	// A one-to-one message after it: by the time it comes, the group's would have.
	if _, err := is.svc[0].Send(ctx, is.user("alice"), im.SendInput{ToID: "bob", ChatType: im.Single, MsgType: im.Text, Content: "marker"}); err != nil {
		t.Fatal(err)
	}
	for {
		f := bob.next()
		if f.GroupID != "" {
			t.Fatalf("bob got a group event after his removal: %s", f.raw)
		}
		if f.Type == "message" {
			break
		}
	}
	bob.send(map[string]any{"type": "sync", "afterSeq": 100, "groups": []map[string]any{{"groupId": "team", "afterSeq": 0}}})
	if f := bob.next(); f.Type != "synced" || !strings.Contains(string(f.raw), `"groups":[]`) {
		t.Fatalf("bob's sync: %s", f.raw)
	}
	_, err := is.svc[0].History(ctx, is.user("bob"), im.HistoryQuery{ChatType: im.Group, TargetID: "team", AfterSeq: ptr(int64(0))})
	if !fault.Is(err, fault.Forbidden) {
		t.Fatalf("bob's history: %v", err)
	}
}
