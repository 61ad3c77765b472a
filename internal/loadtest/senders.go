package loadtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// sendBody is POST /api/im/messages/send's body and the `send` frame's data.
type sendBody struct {
	ToID        string `json:"toId"`
	ChatType    string `json:"chatType"`
	MsgType     string `json:"msgType"`
	Content     string `json:"content"`
	ClientMsgID string `json:"clientMsgId"`
}

// httpSend sends over HTTP with the sender's own IM token, from a pool of connections of
// up to inFlight a sender; done closes them.
func httpSend(t *Target, tokens []string, inFlight int, to func(k int) (string, string)) (send SendFunc, done func(), err error) {
	pool, err := newRawPool(t.URL, len(tokens)*inFlight)
	if err != nil {
		return nil, nil, err
	}
	path := "/api/im/messages/send?appId=" + url.QueryEscape(t.AppKey)
	return func(ctx context.Context, sender, k int, content, clientMsgID string) error {
		toID, chatType := to(k)
		body, _ := json.Marshal(sendBody{ToID: toID, ChatType: chatType, MsgType: "TEXT", Content: content, ClientMsgID: clientMsgID})
		return pool.post(ctx, path, body, "Authorization", "Bearer "+tokens[sender])
	}, pool.close, nil
}

// wsSender sends `send` frames over one WebSocket and matches each `ack` or `error` to its
// frame by id.
type wsSender struct {
	ws      *websocket.Conn
	mu      sync.Mutex
	waiting map[string]chan error
}

func newWSSender(ctx context.Context, ws *websocket.Conn) *wsSender {
	s := &wsSender{ws: ws, waiting: map[string]chan error{}}
	go s.read(ctx)
	return s
}

func (s *wsSender) read(ctx context.Context) {
	for {
		_, data, err := s.ws.Read(ctx)
		if err != nil {
			return
		}
		var f serverFrame
		if json.Unmarshal(data, &f) != nil || (f.Type != "ack" && f.Type != "error") || f.ID == "" {
			continue // its own message events, and anything else
		}
		s.mu.Lock()
		ch := s.waiting[f.ID]
		delete(s.waiting, f.ID)
		s.mu.Unlock()
		if ch == nil {
			continue
		}
		if f.Type == "ack" {
			ch <- nil
		} else {
			ch <- &StatusError{Code: f.Data.Code, Message: f.Data.Message}
		}
	}
}

func (s *wsSender) send(ctx context.Context, id string, body sendBody) error {
	frame, _ := json.Marshal(struct {
		Type string   `json:"type"`
		ID   string   `json:"id"`
		Data sendBody `json:"data"`
	}{"send", id, body})
	ch := make(chan error, 1)
	s.mu.Lock()
	s.waiting[id] = ch
	s.mu.Unlock()
	forget := func() {
		s.mu.Lock()
		delete(s.waiting, id)
		s.mu.Unlock()
	}
	if err := s.ws.Write(ctx, websocket.MessageText, frame); err != nil {
		forget()
		return err
	}
	timer := time.NewTimer(30 * time.Second)
	defer timer.Stop()
	select {
	case err := <-ch:
		return err
	case <-timer.C:
		forget()
		return errors.New("no ack within 30 s")
	case <-ctx.Done():
		forget()
		return ctx.Err()
	}
}

// wsSend sends `send` frames, one WebSocket per sender.
func wsSend(conns []*wsSender, to func(k int) (string, string)) SendFunc {
	return func(ctx context.Context, sender, k int, content, clientMsgID string) error {
		toID, chatType := to(k)
		return conns[sender].send(ctx, strconv.Itoa(k), sendBody{ToID: toID, ChatType: chatType, MsgType: "TEXT", Content: content, ClientMsgID: clientMsgID})
	}
}

// dialAll opens one WebSocket per token, a few at a time.
func dialAll(ctx context.Context, t *Target, tokens []string) ([]*websocket.Conn, error) {
	conns := make([]*websocket.Conn, len(tokens))
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	sem := make(chan struct{}, 32)
	for i, tok := range tokens {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ws, err := t.Dial(ctx, tok, nil)
			if err != nil {
				mu.Lock()
				if first == nil {
					first = fmt.Errorf("WebSocket %d: %w", i, err)
				}
				mu.Unlock()
				return
			}
			conns[i] = ws
		}()
	}
	wg.Wait()
	if first != nil {
		closeAll(conns)
		return nil, first
	}
	return conns, nil
}

func closeAll(conns []*websocket.Conn) {
	for _, c := range conns {
		if c != nil {
			_ = c.CloseNow()
		}
	}
}
