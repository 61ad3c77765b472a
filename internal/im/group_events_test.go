package im_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/xuqmgroup/xuqm/internal/im"
)

// imRows counts the rows of the IM tables a send may write to.
func imRows(t *testing.T, f *fixture) int64 {
	t.Helper()
	var n int64
	err := f.pool.QueryRow(context.Background(), `SELECT
		(SELECT count(*) FROM im_messages) + (SELECT count(*) FROM im_group_events) + (SELECT count(*) FROM im_user_events) +
		(SELECT count(*) FROM im_user_states) + (SELECT count(*) FROM im_user_conversations) + (SELECT count(*) FROM im_chats)`).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestGroupMessageRowsDoNotGrowWithTheGroup: a message to a group of 500 writes as many
// rows as one to a group of 5: the message and its one group event.
func TestGroupMessageRowsDoNotGrowWithTheGroup(t *testing.T) {
	f := newFixture(t)
	users := make([]string, 500)
	for i := range users {
		users[i] = fmt.Sprintf("u%03d", i)
	}
	app := f.app("ak_rows", users...)
	ctx := context.Background()
	owner := im.User{AppID: app, UserID: users[0]}
	written := map[int]int64{}
	for _, size := range []int{5, 500} {
		g := fmt.Sprintf("g%d", size)
		must[im.GroupInfo](t)(f.svc.CreateGroup(ctx, owner, im.GroupCreate{GroupID: g, Name: g, MemberIDs: users[1:size]}))
		before := imRows(t, f)
		must[im.Message](t)(f.svc.Send(ctx, owner, im.SendInput{ToID: g, ChatType: im.Group, MsgType: im.Text, Content: "one row or two"}))
		written[size] = imRows(t, f) - before
	}
	if written[5] != 2 || written[500] != 2 {
		t.Fatalf("rows written by a group message: %v, want 2 for either size", written)
	}
}

// TestConcurrentSendsIntoGroupsThatShareMembers: senders in 10 groups with the same members
// all succeed, each group's seqs without a gap.
func TestConcurrentSendsIntoGroupsThatShareMembers(t *testing.T) {
	f := newFixture(t)
	users := make([]string, 20)
	for i := range users {
		users[i] = fmt.Sprintf("m%02d", i)
	}
	app := f.app("ak_shared", users...)
	ctx := context.Background()
	for g := range 10 {
		must[im.GroupInfo](t)(f.svc.CreateGroup(ctx, im.User{AppID: app, UserID: users[g]}, im.GroupCreate{GroupID: fmt.Sprintf("g%d", g), Name: "g", MemberIDs: users}))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for s := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 10 {
				_, err := f.svc.Send(ctx, im.User{AppID: app, UserID: users[s]}, im.SendInput{ToID: fmt.Sprintf("g%d", (s+k)%10), ChatType: im.Group, MsgType: im.Text, Content: "hi"})
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var groups, events, gaps int64
	if err := f.pool.QueryRow(ctx, `SELECT count(DISTINCT group_id), count(*), count(*) FILTER (WHERE seq > 20) FROM im_group_events WHERE app_id = $1`, app).Scan(&groups, &events, &gaps); err != nil {
		t.Fatal(err)
	}
	if groups != 10 || events != 200 || gaps != 0 {
		t.Fatalf("%d groups, %d events, %d past seq 20; want 10 groups of seqs 1 to 20", groups, events, gaps)
	}
}
