package im_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuqmgroup/xuqm/internal/im"
	"github.com/xuqmgroup/xuqm/internal/postgres"
	"github.com/xuqmgroup/xuqm/internal/postgres/pgtest"
)

// TestSendPathPlansProbeIndexes checks the plans PostgreSQL keeps for the statements of a
// send, a group send and a sync. pgx prepares them, and PostgreSQL soon plans such a
// statement once for every run (a generic plan), for the tables' size at that moment. Here
// the tables hold a few rows and have never been analyzed, as on a server just started:
// a generic plan made now that reads an IM table by a sequential scan would read all of it
// at every send later, until an ANALYZE replans it, so none may.
func TestSendPathPlansProbeIndexes(t *testing.T) {
	ctx := context.Background()
	pool, log := tracedDB(t)
	f := &fixture{t: t, pool: pool}
	f.svc = im.New(pool, im.Options{Location: time.UTC, Announcer: f})
	app := f.app("ak_plans", "alice", "bob", "carol")
	alice, bob := im.User{AppID: app, UserID: "alice"}, im.User{AppID: app, UserID: "bob"}
	for i, to := range []string{"bob", "carol", "bob"} {
		must[im.Message](t)(f.svc.Send(ctx, alice, im.SendInput{ToID: to, ChatType: im.Single, MsgType: im.Text, Content: "hi", ClientMsgID: "c" + string(rune('0'+i))}))
	}
	must[im.Message](t)(f.svc.Send(ctx, bob, im.SendInput{ToID: "alice", ChatType: im.Single, MsgType: im.Text, Content: "hello"}))
	g := must[im.GroupInfo](t)(f.svc.CreateGroup(ctx, alice, im.GroupCreate{Name: "g", MemberIDs: []string{"bob", "carol"}}))
	must[im.Message](t)(f.svc.Send(ctx, bob, im.SendInput{ToID: g.GroupID, ChatType: im.Group, MsgType: im.Text, Content: "all"}))
	must[[]im.StoredEvent](t)(f.svc.EventsAfter(ctx, alice, 0, 100, 1<<20))
	must[[]im.GroupPosition](t)(f.svc.GroupPositions(ctx, alice))
	must[[]im.StoredEvent](t)(f.svc.GroupEventsAfter(ctx, alice, g.GroupID, 0, 100, 1<<20))

	log.mu.Lock()
	statements := map[string]string{} // name → SQL
	name := regexp.MustCompile(`^-- name: (\w+)`)
	for _, sql := range log.sql {
		if m := name.FindStringSubmatch(sql); m != nil {
			statements[m[1]] = sql
		}
	}
	log.mu.Unlock()
	for _, want := range []string{"SendSingleMessages", "SendGroupMessage", "ListUserEventsAfter", "ListGroupEventsAfter"} {
		if statements[want] == "" {
			t.Fatalf("%s was not run; the test no longer covers it (ran %d named statements)", want, len(statements))
		}
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SET plan_cache_mode = force_generic_plan"); err != nil {
		t.Fatal(err)
	}
	seqScan := regexp.MustCompile(`Seq Scan on (im_\w+)`)
	for n, sql := range statements {
		sd, err := conn.Conn().Prepare(ctx, "plan_"+strings.ToLower(n), sql)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		query := "EXPLAIN EXECUTE " + sd.Name
		if k := len(sd.ParamOIDs); k > 0 {
			query += "(" + strings.TrimSuffix(strings.Repeat("NULL, ", k), ", ") + ")"
		}
		plan := explain(t, conn, query)
		if m := seqScan.FindStringSubmatch(plan); m != nil {
			t.Errorf("%s: the generic plan reads %s by a sequential scan:\n%s", n, m[1], plan)
		}
	}
}

// TestQueriesPlannedEachRunPrepareNothing checks that the background workers' queries are
// not kept as prepared statements, whose generic plans would outlive the tables' size.
func TestQueriesPlannedEachRunPrepareNothing(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.NewDB(t)
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	prepared := func() (n int) {
		t.Helper()
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '-- name: Lock' || 'SearchCursor%'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if _, err := postgres.QueriesPlannedEachRun(conn).LockSearchCursor(ctx); err != nil {
		t.Fatal(err)
	}
	if n := prepared(); n != 0 {
		t.Fatalf("planned each run: %d prepared statements, want none", n)
	}
	if _, err := postgres.Queries(conn).LockSearchCursor(ctx); err != nil {
		t.Fatal(err)
	}
	if n := prepared(); n != 1 {
		t.Fatalf("the ordinary queries: %d prepared statements, want 1 (the check above would pass for nothing)", n)
	}
}
