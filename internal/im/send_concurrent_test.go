package im_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/im"
)

// TestConcurrentSendsKeepEverySequence sends from many goroutines at once among a few
// users, so that sends are stored together, some retrying a clientMsgId that another
// goroutine is sending at the same time; every sequence must stay dense and every event
// be announced once.
func TestConcurrentSendsKeepEverySequence(t *testing.T) {
	f := newFixture(t)
	users := []string{"u0", "u1", "u2", "u3", "u4", "u5"}
	app := f.app("ak_concurrent", users...)
	const goroutines, sends = 24, 20
	type sent struct {
		clientMsgID string
		m           im.Message
	}
	results := make([][]sent, goroutines)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range sends {
				// Goroutines 2k and 2k+1 send the same messages with the same clientMsgIds.
				from, to := users[(g/2+i)%len(users)], users[(g/2+i+1+i%3)%len(users)]
				id := ""
				if i%2 == 0 {
					id = fmt.Sprintf("g%d-%d", g/2, i)
				}
				m, err := f.svc.Send(context.Background(), im.User{AppID: app, UserID: from},
					im.SendInput{ToID: to, ChatType: im.Single, MsgType: im.Text, Content: fmt.Sprintf("%d/%d", g/2, i), ClientMsgID: id})
				if err != nil {
					t.Errorf("goroutine %d send %d: %v", g, i, err)
					return
				}
				results[g] = append(results[g], sent{id, m})
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	// A clientMsgId sent twice at once gave both senders the one message.
	byClientID := map[string]int64{}
	stored := map[int64]im.Message{}
	for _, rs := range results {
		for _, r := range rs {
			stored[r.m.ID] = r.m
			if r.clientMsgID == "" {
				continue
			}
			if id, ok := byClientID[r.clientMsgID]; ok && id != r.m.ID {
				t.Errorf("clientMsgId %s: messages %d and %d", r.clientMsgID, id, r.m.ID)
			}
			byClientID[r.clientMsgID] = r.m.ID
		}
	}
	var n int
	if err := f.pool.QueryRow(context.Background(), `SELECT count(*) FROM im_messages`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != len(stored) {
		t.Errorf("%d messages stored, %d returned to senders", n, len(stored))
	}

	// Each conversation's seqs are 1…n, and each user's events 1…m, each announced once.
	chatSeqs := map[string][]bool{}
	involved := map[string]int{}
	for _, m := range stored {
		k := min(m.FromID, m.ToID) + " " + max(m.FromID, m.ToID)
		for int64(len(chatSeqs[k])) < m.Seq {
			chatSeqs[k] = append(chatSeqs[k], false)
		}
		if chatSeqs[k][m.Seq-1] {
			t.Errorf("conversation %s: seq %d given twice", k, m.Seq)
		}
		chatSeqs[k][m.Seq-1] = true
		involved[m.FromID]++
		involved[m.ToID]++
	}
	for k, seqs := range chatSeqs {
		for i, ok := range seqs {
			if !ok {
				t.Errorf("conversation %s: seq %d missing", k, i+1)
			}
		}
	}
	announced := map[string]map[int64]int{}
	for _, d := range f.deliveries(im.EventMessage) {
		for _, r := range d.Recipients {
			if announced[r.UserID] == nil {
				announced[r.UserID] = map[int64]int{}
			}
			announced[r.UserID][r.Seq]++
		}
	}
	for _, u := range users {
		latest, err := f.svc.LatestEventSeq(context.Background(), im.User{AppID: app, UserID: u})
		if err != nil {
			t.Fatal(err)
		}
		if latest != int64(involved[u]) {
			t.Errorf("%s: latest event seq %d, but %d messages", u, latest, involved[u])
		}
		events, err := f.svc.EventsAfter(context.Background(), im.User{AppID: app, UserID: u}, 0, 1000, 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range events {
			if e.Seq != int64(i+1) {
				t.Fatalf("%s: event %d has seq %d", u, i, e.Seq)
			}
			if announced[u][e.Seq] != 1 {
				t.Errorf("%s: event %d announced %d times", u, e.Seq, announced[u][e.Seq])
			}
		}
		if len(announced[u]) != len(events) {
			t.Errorf("%s: %d events announced, %d stored", u, len(announced[u]), len(events))
		}
	}
}

// TestReadsAndSendsDoNotDeadlock marks conversations read while other conversations of
// the same users are sent to, stored together: each takes several users' event counters,
// and must take them in the same order.
func TestReadsAndSendsDoNotDeadlock(t *testing.T) {
	var log bytes.Buffer
	f := newFixture(t)
	f.svc = im.New(f.pool, im.Options{Announcer: f, Log: slog.New(slog.NewTextHandler(&syncWriter{w: &log}, nil))})
	users := []string{"u0", "u1", "u2", "u3", "u4", "u5", "u6", "u7"}
	app := f.app("ak_deadlock", users...)
	ctx := context.Background()
	for i, u := range users { // every conversation exists
		for _, v := range users[i+1:] {
			must[im.Message](t)(f.svc.Send(ctx, im.User{AppID: app, UserID: u}, im.SendInput{ToID: v, ChatType: im.Single, MsgType: im.Text, Content: "hi"}))
		}
	}
	var wg sync.WaitGroup
	for g := range 12 {
		wg.Go(func() {
			for i := range 40 {
				a, b := users[(g+i)%len(users)], users[(g*3+i*5+1)%len(users)]
				if a == b {
					continue
				}
				var err error
				if g%3 == 0 {
					_, err = f.svc.MarkRead(ctx, im.User{AppID: app, UserID: a}, im.Single, b, nil)
				} else {
					_, err = f.svc.Send(ctx, im.User{AppID: app, UserID: a}, im.SendInput{ToID: b, ChatType: im.Single, MsgType: im.Text, Content: "x"})
				}
				if err != nil {
					t.Errorf("goroutine %d: %v", g, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if strings.Contains(log.String(), "deadlock") {
		t.Errorf("a batch deadlocked: %s", log.String())
	}
}

type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// TestNewConversationsDoNotDeadlock changes conversations, some with no message yet
// (which creates their rows), while messages, stored alone or together with others,
// create or pass them.
func TestNewConversationsDoNotDeadlock(t *testing.T) {
	var log bytes.Buffer
	f := newFixture(t)
	f.svc = im.New(f.pool, im.Options{Announcer: f, Log: slog.New(slog.NewTextHandler(&syncWriter{w: &log}, nil))})
	users := make([]string, 16)
	for i := range users {
		users[i] = fmt.Sprintf("u%02d", i)
	}
	app := f.app("ak_fresh", users...)
	ctx := context.Background()
	var wg sync.WaitGroup
	for g := range 12 {
		wg.Go(func() {
			for i := range 40 {
				a, b := users[(g+i)%len(users)], users[(g*7+i*3+1)%len(users)]
				if a == b {
					continue
				}
				u := im.User{AppID: app, UserID: a}
				var err error
				switch g % 4 {
				case 0:
					_, err = f.svc.SetDraft(ctx, u, im.Single, b, "draft")
				case 1:
					_, err = f.svc.MarkRead(ctx, u, im.Single, b, nil)
				case 2:
					if err = f.svc.DeleteConversation(ctx, u, im.Single, b); fault.Is(err, fault.NotFound) {
						err = nil // none yet
					}
				default:
					_, err = f.svc.Send(ctx, u, im.SendInput{ToID: b, ChatType: im.Single, MsgType: im.Text, Content: "x"})
				}
				if err != nil {
					t.Errorf("goroutine %d: %v", g, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if strings.Contains(log.String(), "deadlock") {
		t.Errorf("a batch deadlocked: %s", log.String())
	}
}
