package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// Schedule is the offered load of a run: message k is due at Start + k/Rate, whoever sends
// it and however late the previous one went out, so that a slow answer never lowers the
// offered rate (a ticker would drop the ticks it missed).
type Schedule struct {
	Start    time.Time
	Rate     float64 // messages a second
	Warmup   time.Duration
	Duration time.Duration
}

// Due is when message k should leave.
func (s Schedule) Due(k int) time.Time {
	return s.Start.Add(time.Duration(float64(k) / s.Rate * float64(time.Second)))
}

// Window is the measured part: after the warm-up, for Duration.
func (s Schedule) Window() Window {
	from := s.Start.Add(s.Warmup)
	return Window{Start: from, End: from.Add(s.Duration)}
}

// Capacity is the number of messages the schedule can offer.
func (s Schedule) Capacity() int {
	return int(s.Rate*(s.Warmup+s.Duration).Seconds()) + 1
}

// SendFunc sends message k with content and clientMsgID as sender number sender and
// returns when the server has answered; nil means accepted.
type SendFunc func(ctx context.Context, sender, k int, content, clientMsgID string) error

// drive sends the schedule's messages from senders goroutines (message k from sender
// k mod senders), each with at most inFlight unanswered sends, until the window ends;
// then it waits for the answers still due. Every loop is bounded by the window's end.
//
// Each sender's sends are made by inFlight goroutines of its own that live for the whole
// run, not by a goroutine a send: a new goroutine grew its stack into the HTTP client's
// depth at every send, some 7% of the tool's CPU, which the tool takes from the server it
// measures when both run on one machine.
func drive(ctx context.Context, s Schedule, l *Ledger, senders, inFlight int, run string, send SendFunc) {
	end := s.Window().End
	var wg sync.WaitGroup
	for sender := range senders {
		due := make(chan int) // unbuffered: a message is handed over only to a free slot
		for range inFlight {
			wg.Go(func() {
				for k := range due {
					now := time.Now()
					if !now.Before(end) {
						continue // a free slot came only after the window's end
					}
					l.Sent(k, now)
					if err := send(ctx, sender, k, messageContent(run, k, now), run+"-"+strconv.Itoa(k)); err != nil {
						l.Refused(k, errReason(err))
						continue
					}
					l.Accepted(k, time.Now())
				}
			})
		}
		wg.Go(func() {
			defer close(due)
			for k := sender; k < l.Capacity(); k += senders {
				at := s.Due(k)
				if !at.Before(end) || !sleepUntil(ctx, at) {
					return
				}
				select {
				case due <- k:
				case <-ctx.Done():
					return
				}
			}
		})
	}
	wg.Wait()
}

// sleepUntil waits for t; false when ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// drain waits until every accepted message has its deliveries, or for at most d.
func drain(ctx context.Context, l *Ledger, d time.Duration) {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) && l.Outstanding() > 0 {
		if !sleepUntil(ctx, time.Now().Add(50*time.Millisecond)) {
			return
		}
	}
}

// messageContent is the text of message k: the run, k and the send time, so that a
// receiver can account for the delivery without asking anyone.
func messageContent(run string, k int, sent time.Time) string {
	return fmt.Sprintf("lt %s %d %d", run, k, sent.UnixNano())
}

func parseContent(content string) (run string, k int, sent time.Time, ok bool) {
	f := strings.Fields(content)
	if len(f) != 4 || f[0] != "lt" {
		return "", 0, time.Time{}, false
	}
	k, err1 := strconv.Atoi(f[2])
	ns, err2 := strconv.ParseInt(f[3], 10, 64)
	if err1 != nil || err2 != nil {
		return "", 0, time.Time{}, false
	}
	return f[1], k, time.Unix(0, ns), true
}

// serverFrame is what the tool reads of a server frame. A one-to-one message carries the
// user's event `seq`; a group message carries `seq` today and `groupId`/`groupSeq` once
// groups are read-diffused (FRAMES.md); the receiver needs neither, so both shapes pass.
type serverFrame struct {
	Type     string `json:"type"`
	ID       string `json:"id"`
	Seq      *int64 `json:"seq"`
	GroupID  string `json:"groupId"`
	GroupSeq *int64 `json:"groupSeq"`
	Data     struct {
		ToID     string `json:"toId"`
		FromID   string `json:"fromId"`
		ChatType string `json:"chatType"`
		Content  string `json:"content"`
		Code     int    `json:"code"`
		Message  string `json:"message"`
	} `json:"data"`
}

// receive reads ws until ctx ends or the conn closes, recording every `message` frame of
// this run in inbox; addressed tells whether a frame's message is meant for this receiver.
func receive(ctx context.Context, ws *websocket.Conn, run string, inbox *Inbox, addressed func(*serverFrame) bool) {
	for {
		_, data, err := ws.Read(ctx)
		if err != nil {
			return
		}
		at := time.Now()
		f, k, sent, ok := messageOf(data, run)
		switch {
		case f == nil: // not a message frame
		case !ok:
			inbox.l.Stray()
		default:
			inbox.Deliver(k, sent, at, addressed(f))
		}
	}
}

// messageOf reads a server frame: nil when it is not a `message`; ok when the message is
// one of run's, numbered k and sent at sent.
func messageOf(data []byte, run string) (f *serverFrame, k int, sent time.Time, ok bool) {
	f = &serverFrame{}
	if json.Unmarshal(data, f) != nil || f.Type != "message" {
		return nil, 0, time.Time{}, false
	}
	r, k, sent, ok := parseContent(f.Data.Content)
	return f, k, sent, ok && r == run
}

// groupOf is the group a group message frame belongs to, in either shape.
func (f *serverFrame) groupOf() string {
	if f.GroupID != "" {
		return f.GroupID
	}
	if f.Data.ChatType == "GROUP" {
		return f.Data.ToID
	}
	return ""
}
