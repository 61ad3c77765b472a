package im_test

import (
	"context"
	"testing"
	"time"

	"github.com/xuqmgroup/xuqm/internal/im"
	"github.com/xuqmgroup/xuqm/internal/page"
)

// TestSearchIsOffTheSendPath: a send returns while no indexer runs, its message is found
// once one does, and a message sent while it runs is found within 2 s.
func TestSearchIsOffTheSendPath(t *testing.T) {
	f := newFixture(t)
	app := f.app("ak_index", "alice", "bob")
	alice, bob := im.User{AppID: app, UserID: "alice"}, im.User{AppID: app, UserID: "bob"}
	ctx := context.Background()
	send := func(text string) im.Message {
		return must[im.Message](t)(f.svc.Send(ctx, alice, im.SendInput{ToID: "bob", ChatType: im.Single, MsgType: im.Text, Content: text}))
	}
	count := func(kw string) int64 {
		return must[page.Page[im.Message]](t)(f.svc.Search(ctx, bob, kw, page.Request{})).Total
	}
	// No indexer: the sends are stored and answered all the same.
	first := send("你好 from before the indexer")
	send("Latin words before the indexer")
	if n := count("你好"); n != 0 {
		t.Fatalf("found %d before any indexing: the send indexed its message", n)
	}
	run, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); f.svc.RunSearchIndexer(run) }()
	defer func() { stop(); <-done }()
	waitFound := func(kw string, want int64) {
		t.Helper()
		deadline := time.Now().Add(2 * time.Second)
		for count(kw) != want {
			if time.Now().After(deadline) {
				t.Fatalf("%q: found %d, want %d, 2 s on", kw, count(kw), want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitFound("你好", 1)
	waitFound("latin WORDS", 1)
	send("a fresh 消息 sent while the indexer runs")
	waitFound("消息", 1)

	// An edit is findable by its new text at once, and no longer by the old; a revoked
	// message is found no more.
	must[im.Message](t)(f.svc.Edit(ctx, alice, first.ID, "edited: 再见"))
	if count("再见") != 1 || count("你好") != 0 {
		t.Fatalf("after the edit: 再见 %d, 你好 %d", count("再见"), count("你好"))
	}
	must[im.Message](t)(f.svc.Revoke(ctx, alice, first.ID))
	if n := count("再见"); n != 0 {
		t.Fatalf("a revoked message is still found (%d)", n)
	}
}

// TestSearchIndexesLateCommits: a message whose id was drawn before a later message's, but
// committed after the indexer passed that later one, is indexed all the same.
func TestSearchIndexesLateCommits(t *testing.T) {
	f := newFixture(t)
	app := f.app("ak_late", "alice", "bob")
	alice, bob := im.User{AppID: app, UserID: "alice"}, im.User{AppID: app, UserID: "bob"}
	ctx := context.Background()
	early := must[im.Message](t)(f.svc.Send(ctx, alice, im.SendInput{ToID: "bob", ChatType: im.Single, MsgType: im.Text, Content: "warm up"}))
	var chatID int64
	if err := f.pool.QueryRow(ctx, `SELECT chat_id FROM im_messages WHERE id = $1`, early.ID).Scan(&chatID); err != nil {
		t.Fatal(err)
	}
	// A send still running: its id is drawn, its row not visible.
	tx, err := f.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	var lateID int64
	if err := tx.QueryRow(ctx, `INSERT INTO im_messages (app_id, chat_id, seq, chat_type, from_id, to_id, msg_type, content, search_text)
		VALUES ($1, $2, 100, 'SINGLE', 'alice', 'bob', 'TEXT', 'slowpoke', 'slowpoke') RETURNING id`, app, chatID).Scan(&lateID); err != nil {
		t.Fatal(err)
	}
	must[im.Message](t)(f.svc.Send(ctx, alice, im.SendInput{ToID: "bob", ChatType: im.Single, MsgType: im.Text, Content: "overtaker"}))
	must[int](t)(f.svc.IndexSearch(ctx))
	count := func(kw string) int64 {
		return must[page.Page[im.Message]](t)(f.svc.Search(ctx, bob, kw, page.Request{})).Total
	}
	if count("overtaker") != 1 {
		t.Fatal("the later message is not indexed")
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	must[int](t)(f.svc.IndexSearch(ctx))
	if count("slowpoke") != 1 {
		t.Fatal("the message committed late was skipped by the indexer")
	}
	var gaps int
	if err := f.pool.QueryRow(ctx, `SELECT cardinality(gaps) FROM im_search_cursor`).Scan(&gaps); err != nil {
		t.Fatal(err)
	}
	if gaps != 0 {
		t.Fatalf("%d gaps left after the late message was indexed", gaps)
	}
}
