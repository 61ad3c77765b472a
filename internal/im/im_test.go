package im_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/im"
	"github.com/xuqmgroup/xuqm/internal/page"
	"github.com/xuqmgroup/xuqm/internal/postgres/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// fixture is a database with one tenant, apps and their IM accounts.
type fixture struct {
	t          testing.TB
	pool       *pgxpool.Pool
	svc        *im.Service
	mu         sync.Mutex
	seen       []im.Delivery      // every user event announced
	seenGroups []im.GroupDelivery // every group event announced
}

// Announce records what the service announces.
func (f *fixture) Announce(_ context.Context, a im.Announcement) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seen = append(f.seen, a.Users...)
	f.seenGroups = append(f.seenGroups, a.Groups...)
}

func (f *fixture) groupDeliveries(typ string) []im.GroupDelivery {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []im.GroupDelivery
	for _, d := range f.seenGroups {
		if d.Type == typ {
			out = append(out, d)
		}
	}
	return out
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{t: t, pool: pgtest.NewDB(t)}
	f.svc = im.New(f.pool, im.Options{Location: time.FixedZone("CST", 8*3600), Announcer: f})
	return f
}

// app creates an app with accounts for users and returns its id.
func (f *fixture) app(key string, users ...string) int64 {
	f.t.Helper()
	ctx := context.Background()
	var tenant, app int64
	if err := f.pool.QueryRow(ctx, `INSERT INTO tenants (name, email) VALUES ($1, $1 || '@example.com') RETURNING id`, key).Scan(&tenant); err != nil {
		f.t.Fatal(err)
	}
	if err := f.pool.QueryRow(ctx, `INSERT INTO apps (tenant_id, app_key, app_secret, name) VALUES ($1, $2, 'secret', $2) RETURNING id`, tenant, key).Scan(&app); err != nil {
		f.t.Fatal(err)
	}
	for _, u := range users {
		if _, err := f.pool.Exec(ctx, `INSERT INTO im_accounts (app_id, user_id, nickname) VALUES ($1, $2, $3)`, app, u, strings.ToUpper(u[:1])+u[1:]); err != nil {
			f.t.Fatal(err)
		}
	}
	return app
}

func (f *fixture) deliveries(typ string) []im.Delivery {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []im.Delivery
	for _, d := range f.seen {
		if d.Type == typ {
			out = append(out, d)
		}
	}
	return out
}

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}

func wantKind(t *testing.T, err error, k fault.Kind, field string) {
	t.Helper()
	if !fault.Is(err, k) {
		t.Fatalf("got %v, want a %s error", err, k)
	}
	if field != "" {
		fe := fault.As(err)
		if len(fe.Fields) == 0 || fe.Fields[0].Field != field {
			t.Fatalf("got fields %+v, want %s", fe.Fields, field)
		}
	}
}

// validContent is a valid content of every type; FORWARD, QUOTE and MERGE point at ref.
func validContent(ref int64) map[im.MsgType]string {
	r := strconv.FormatInt(ref, 10)
	return map[im.MsgType]string{
		im.Text:      "hello 你好",
		im.Image:     `{"url":"https://f.example/a.png","width":10,"height":20}`,
		im.Audio:     `{"url":"https://f.example/a.m4a","duration":3.5}`,
		im.Video:     `{"url":"https://f.example/a.mp4","duration":12,"thumbnailUrl":"https://f.example/t.png"}`,
		im.File:      `{"url":"https://f.example/r.pdf","name":"report.pdf","size":1024}`,
		im.Location:  `{"latitude":31.23,"longitude":121.47,"name":"Bund"}`,
		im.Custom:    `{"kind":"card","anything":[1,2,3]}`,
		im.Notify:    `{"text":"Bob joined"}`,
		im.RichText:  `{"type":"doc","content":[]}`,
		im.CallAudio: `{"callId":"c1","status":"INVITED"}`,
		im.CallVideo: `{"callId":"c2","status":"ENDED","duration":30}`,
		im.Forward:   `{"messageId":"` + r + `"}`,
		im.Quote:     `{"quotedMsgId":"` + r + `","text":"agreed"}`,
		im.Merge:     `{"title":"chat log","messageIds":["` + r + `"]}`,
	}
}

func TestSendEveryType(t *testing.T) {
	f := newFixture(t)
	app := f.app("ak_send", "alice", "bob")
	alice, bob := im.User{AppID: app, UserID: "alice"}, im.User{AppID: app, UserID: "bob"}
	ctx := context.Background()
	first := must[im.Message](t)(f.svc.Send(ctx, alice, im.SendInput{ToID: "bob", ChatType: im.Single, MsgType: im.Text, Content: "first"}))
	if first.Seq != 1 || first.FromID != "alice" || first.ToID != "bob" || first.Revoked || first.GroupReadCount != nil {
		t.Fatalf("first message: %+v", first)
	}
	seq := first.Seq
	for _, typ := range im.MsgTypes {
		m := must[im.Message](t)(f.svc.Send(ctx, bob, im.SendInput{ToID: "alice", ChatType: im.Single, MsgType: typ, Content: validContent(first.ID)[typ]}))
		seq++
		if m.Seq != seq || m.MsgType != typ {
			t.Fatalf("%s: got seq %d type %s, want %d", typ, m.Seq, m.MsgType, seq)
		}
		if typ == im.Forward {
			var c struct {
				MessageID string     `json:"messageId"`
				Original  im.Message `json:"original"`
			}
			if err := json.Unmarshal([]byte(m.Content), &c); err != nil || c.Original.Content != "first" || c.Original.FromID != "alice" {
				t.Fatalf("FORWARD content does not carry the original: %s (%v)", m.Content, err)
			}
		}
	}
	// Both users got every message event, each under his own gap-free event seqs.
	for _, u := range []im.User{alice, bob} {
		events := must[[]im.StoredEvent](t)(f.svc.EventsAfter(ctx, u, 0, 100, 1<<30))
		if len(events) != 15 {
			t.Fatalf("%s has %d events, want 15", u.UserID, len(events))
		}
		for i, e := range events {
			if e.Seq != int64(i+1) || e.Type != im.EventMessage {
				t.Fatalf("%s event %d: seq %d type %s", u.UserID, i, e.Seq, e.Type)
			}
		}
	}
	if n := len(f.deliveries(im.EventMessage)); n != 15 {
		t.Fatalf("%d message deliveries announced, want 15", n)
	}
}

func TestBadContentIsRefused(t *testing.T) {
	f := newFixture(t)
	app := f.app("ak_bad", "alice", "bob", "carol")
	alice := im.User{AppID: app, UserID: "alice"}
	ctx := context.Background()
	theirs := must[im.Message](t)(f.svc.Send(ctx, im.User{AppID: app, UserID: "bob"}, im.SendInput{ToID: "carol", ChatType: im.Single, MsgType: im.Text, Content: "private"}))
	long := strings.Repeat("x", im.MaxContentChars+1)
	cases := []struct {
		typ     im.MsgType
		content string
		kind    fault.Kind
		field   string
	}{
		{im.Text, "", fault.Invalid, "content"},
		{im.Text, long, fault.Invalid, "content"},
		{im.Text, "nul \x00 inside", fault.Invalid, "content"},
		{im.Image, `{"width":1}`, fault.Invalid, "content.url"},
		{im.Image, `not json`, fault.Invalid, "content"},
		{im.Image, `["url"]`, fault.Invalid, "content"},
		{im.Audio, `{"url":"u"}`, fault.Invalid, "content.duration"},
		{im.Audio, `{"url":"u","duration":-1}`, fault.Invalid, "content.duration"},
		{im.Video, `{"url":"u","duration":"long"}`, fault.Invalid, "content.duration"},
		{im.File, `{"url":"u","name":"a"}`, fault.Invalid, "content.size"},
		{im.File, `{"url":"u","name":"a","size":1.5}`, fault.Invalid, "content.size"},
		{im.Location, `{"latitude":91,"longitude":0}`, fault.Invalid, "content.latitude"},
		{im.Location, `{"latitude":0}`, fault.Invalid, "content.longitude"},
		{im.Custom, `"just a string"`, fault.Invalid, "content"},
		{im.Notify, `{"text":""}`, fault.Invalid, "content.text"},
		{im.RichText, `[1,2]`, fault.Invalid, "content"},
		{im.CallAudio, `{"status":"INVITED"}`, fault.Invalid, "content.callId"},
		{im.CallVideo, `{"callId":"c","status":""}`, fault.Invalid, "content.status"},
		{im.Forward, `{"messageId":12}`, fault.Invalid, "content.messageId"},
		{im.Forward, `{"messageId":"999999"}`, fault.NotFound, ""},
		{im.Forward, `{"messageId":"` + strconv.FormatInt(theirs.ID, 10) + `"}`, fault.NotFound, ""},
		{im.Quote, `{"quotedMsgId":"1"}`, fault.Invalid, "content.text"},
		{im.Quote, `{"quotedMsgId":"` + strconv.FormatInt(theirs.ID, 10) + `","text":"x"}`, fault.NotFound, ""},
		{im.Merge, `{"title":"t","messageIds":[]}`, fault.Invalid, "content.messageIds"},
		{im.Merge, `{"title":"t","messageIds":["` + strconv.FormatInt(theirs.ID, 10) + `"]}`, fault.NotFound, ""},
		{"POSTCARD", `{}`, fault.Invalid, "msgType"},
	}
	for _, c := range cases {
		t.Run(string(c.typ), func(t *testing.T) {
			_, err := f.svc.Send(ctx, alice, im.SendInput{ToID: "bob", ChatType: im.Single, MsgType: c.typ, Content: c.content})
			wantKind(t, err, c.kind, c.field)
		})
	}
	_, err := f.svc.Send(ctx, alice, im.SendInput{ToID: "nobody", ChatType: im.Single, MsgType: im.Text, Content: "hi"})
	wantKind(t, err, fault.NotFound, "")
	_, err = f.svc.Send(ctx, alice, im.SendInput{ToID: "alice", ChatType: im.Single, MsgType: im.Text, Content: "hi"})
	wantKind(t, err, fault.Invalid, "toId")
	_, err = f.svc.Send(ctx, alice, im.SendInput{ToID: "bob", ChatType: "CHANNEL", MsgType: im.Text, Content: "hi"})
	wantKind(t, err, fault.Invalid, "chatType")
	// PostgreSQL stores no NUL in text: refused up front, not failing the statement.
	_, err = f.svc.Send(ctx, alice, im.SendInput{ToID: "b\x00b", ChatType: im.Single, MsgType: im.Text, Content: "hi"})
	wantKind(t, err, fault.Invalid, "toId")
	_, err = f.svc.Send(ctx, alice, im.SendInput{ToID: "bob", ChatType: im.Single, MsgType: im.Text, Content: "hi", ClientMsgID: "c\x00"})
	wantKind(t, err, fault.Invalid, "clientMsgId")
	// Escaped in JSON it is content like any other.
	m := must[im.Message](t)(f.svc.Send(ctx, alice, im.SendInput{ToID: "bob", ChatType: im.Single, MsgType: im.Notify, Content: `{"text":"a\u0000b"}`}))
	if m.Content != `{"text":"a\u0000b"}` {
		t.Errorf("content %q", m.Content)
	}
}

func TestClientMsgIDReturnsTheFirstMessage(t *testing.T) {
	f := newFixture(t)
	app := f.app("ak_dedupe", "alice", "bob")
	alice := im.User{AppID: app, UserID: "alice"}
	ctx := context.Background()
	in := im.SendInput{ToID: "bob", ChatType: im.Single, MsgType: im.Text, Content: "once", ClientMsgID: "c-1"}
	var wg sync.WaitGroup
	got := make([]im.Message, 8)
	for i := range got {
		wg.Go(func() {
			m, err := f.svc.Send(ctx, alice, in)
			if err != nil {
				t.Error(err)
			}
			got[i] = m
		})
	}
	wg.Wait()
	for _, m := range got {
		if m.ID != got[0].ID || m.Seq != 1 || *m.ClientMsgID != "c-1" {
			t.Fatalf("resends gave different messages: %+v vs %+v", m, got[0])
		}
	}
	hist := must[page.Page[im.Message]](t)(f.svc.History(ctx, alice, im.HistoryQuery{ChatType: im.Single, TargetID: "bob"}))
	if hist.Total != 1 {
		t.Fatalf("%d messages stored, want 1", hist.Total)
	}
}

func TestOtherAppsAreApart(t *testing.T) {
	f := newFixture(t)
	appA := f.app("ak_a", "alice", "bob")
	appB := f.app("ak_b", "alice", "mallory")
	ctx := context.Background()
	m := must[im.Message](t)(f.svc.Send(ctx, im.User{AppID: appA, UserID: "alice"}, im.SendInput{ToID: "bob", ChatType: im.Single, MsgType: im.Text, Content: "for A"}))
	g := must[im.GroupInfo](t)(f.svc.CreateGroup(ctx, im.User{AppID: appA, UserID: "alice"}, im.GroupCreate{GroupID: "team", Name: "Team", MemberIDs: []string{"bob"}}))
	// Same user id in app B: sees nothing of app A.
	alsoAlice := im.User{AppID: appB, UserID: "alice"}
	_, err := f.svc.Edit(ctx, alsoAlice, m.ID, "hijack")
	wantKind(t, err, fault.NotFound, "")
	_, err = f.svc.Revoke(ctx, alsoAlice, m.ID)
	wantKind(t, err, fault.NotFound, "")
	_, err = f.svc.Group(ctx, alsoAlice, g.GroupID)
	wantKind(t, err, fault.NotFound, "")
	_, err = f.svc.Send(ctx, alsoAlice, im.SendInput{ToID: "bob", ChatType: im.Single, MsgType: im.Text, Content: "hi"})
	wantKind(t, err, fault.NotFound, "")
	_, err = f.svc.Send(ctx, im.User{AppID: appB, UserID: "mallory"}, im.SendInput{ToID: "alice", ChatType: im.Single, MsgType: im.Forward, Content: fmt.Sprintf(`{"messageId":"%d"}`, m.ID)})
	wantKind(t, err, fault.NotFound, "")
	must[int](t)(f.svc.IndexSearch(ctx))
	found := must[page.Page[im.Message]](t)(f.svc.Search(ctx, alsoAlice, "for a", page.Request{}))
	if found.Total != 0 {
		t.Fatalf("app B's alice found app A's messages: %+v", found.Items)
	}
}
