package realtime_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/testserver"
)

// contents are valid contents of every type; FORWARD, QUOTE and MERGE point at ref.
func contents(ref string) map[string]string {
	return map[string]string{
		"TEXT":       "hello 你好",
		"IMAGE":      `{"url":"https://f.example/a.png","width":10,"height":20}`,
		"AUDIO":      `{"url":"https://f.example/a.m4a","duration":3.5}`,
		"VIDEO":      `{"url":"https://f.example/a.mp4","duration":12}`,
		"FILE":       `{"url":"https://f.example/r.pdf","name":"report.pdf","size":1024}`,
		"LOCATION":   `{"latitude":31.23,"longitude":121.47}`,
		"CUSTOM":     `{"kind":"card"}`,
		"NOTIFY":     `{"text":"Bob joined"}`,
		"RICH_TEXT":  `{"type":"doc","content":[]}`,
		"CALL_AUDIO": `{"callId":"c1","status":"INVITED"}`,
		"CALL_VIDEO": `{"callId":"c2","status":"ENDED","duration":30}`,
		"FORWARD":    `{"messageId":"` + ref + `"}`,
		"QUOTE":      `{"quotedMsgId":"` + ref + `","text":"agreed"}`,
		"MERGE":      `{"title":"log","messageIds":["` + ref + `"]}`,
	}
}

// badContents are contents that break each type's schema.
var badContents = map[string]string{
	"TEXT": "", "IMAGE": `{"width":1}`, "AUDIO": `{"url":"u"}`, "VIDEO": `{"duration":1}`, "FILE": `{"url":"u","size":1}`,
	"LOCATION": `{"latitude":100,"longitude":0}`, "CUSTOM": `[1]`, "NOTIFY": `{}`, "RICH_TEXT": `"doc"`,
	"CALL_AUDIO": `{"callId":"c"}`, "CALL_VIDEO": `{"status":"ENDED"}`, "FORWARD": `{"messageId":"x"}`,
	"QUOTE": `{"quotedMsgId":"1"}`, "MERGE": `{"title":"t","messageIds":[]}`,
}

var msgTypes = []string{"TEXT", "IMAGE", "AUDIO", "VIDEO", "FILE", "LOCATION", "CUSTOM", "NOTIFY", "RICH_TEXT", "CALL_AUDIO", "CALL_VIDEO", "FORWARD", "QUOTE", "MERGE"}

func sendHTTP(t testing.TB, a *app, token string, body api.SendMessage) *api.SendMessageResponse {
	t.Helper()
	r, err := a.s.Client.SendMessageWithResponse(context.Background(), &api.SendMessageParams{AppId: a.key}, body, testserver.Bearer(token))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestEveryTypeOverHTTPAndWebSocket(t *testing.T) {
	s := testserver.Start(t, nil)
	a := newApp(t, s, "ak_types", "alice", "bob")
	alice, bob := dial(t, s, a.token(t, "alice")), dial(t, s, a.token(t, "bob"))

	first := sendHTTP(t, a, a.token(t, "alice"), api.SendMessage{ToId: "bob", ChatType: "SINGLE", MsgType: "TEXT", Content: "first"})
	if first.JSON200 == nil {
		t.Fatalf("send: %d %s", first.StatusCode(), first.Body)
	}
	ref := first.JSON200.Data.Id
	for _, c := range []*client{alice, bob} {
		if f := c.nextOf("message"); !strings.Contains(string(f.Data), `"first"`) {
			t.Fatalf("first message event: %s", f.raw)
		}
	}
	// alice sends every type over HTTP, bob over the WebSocket; both see all of them live.
	for _, typ := range msgTypes {
		r := sendHTTP(t, a, a.token(t, "alice"), api.SendMessage{ToId: "bob", ChatType: "SINGLE", MsgType: api.MsgType(typ), Content: contents(ref)[typ]})
		if r.JSON200 == nil || string(r.JSON200.Data.MsgType) != typ {
			t.Fatalf("HTTP send %s: %d %s", typ, r.StatusCode(), r.Body)
		}
		bob.send(map[string]any{"type": "send", "id": "f-" + typ, "data": map[string]any{"toId": "alice", "chatType": "SINGLE", "msgType": typ, "content": contents(ref)[typ], "clientMsgId": "c-" + typ}})
		ack := bob.nextOf("ack")
		if ack.ID != "f-"+typ || !strings.Contains(string(ack.Data), `"msgType":"`+typ+`"`) {
			t.Fatalf("ack for %s: %s", typ, ack.raw)
		}
	}
	for name, c := range map[string]*client{"alice": alice, "bob": bob} {
		got := map[string]int{}
		for range 2 * len(msgTypes) {
			f := c.nextOf("message")
			var m api.Message
			_ = json.Unmarshal(f.Data, &m)
			got[string(m.MsgType)]++
		}
		for _, typ := range msgTypes {
			if got[typ] != 2 {
				t.Fatalf("%s got %d %s messages, want 2 (%v)", name, got[typ], typ, got)
			}
		}
	}
	// Bad content of each type is refused both ways, naming the field; the socket stays open.
	for _, typ := range msgTypes {
		r := sendHTTP(t, a, a.token(t, "alice"), api.SendMessage{ToId: "bob", ChatType: "SINGLE", MsgType: api.MsgType(typ), Content: badContents[typ]})
		if r.StatusCode() != http.StatusBadRequest || r.JSON400 == nil {
			t.Fatalf("HTTP bad %s: %d %s", typ, r.StatusCode(), r.Body)
		}
		if typ != "TEXT" && !strings.Contains(string(r.Body), `"field":"content`) {
			t.Fatalf("HTTP bad %s names no content field: %s", typ, r.Body)
		}
		bob.send(map[string]any{"type": "send", "id": "bad-" + typ, "data": map[string]any{"toId": "alice", "chatType": "SINGLE", "msgType": typ, "content": badContents[typ]}})
		e := bob.nextOf("error")
		if e.ID != "bad-"+typ || !strings.Contains(string(e.Data), `"code":400`) {
			t.Fatalf("WS bad %s: %s", typ, e.raw)
		}
	}
	bob.send(map[string]any{"type": "ping", "id": "p1"})
	if f := bob.nextOf("pong"); f.ID != "p1" {
		t.Fatalf("pong: %s", f.raw)
	}
}

func TestBadFramesKeepTheConnection(t *testing.T) {
	s := testserver.Start(t, nil)
	a := newApp(t, s, "ak_frames", "alice", "bob")
	c := dial(t, s, a.token(t, "alice"))
	for _, raw := range []string{`not json`, `{"type":"dance"}`, `{"type":"sync"}`, `{"type":"send","data":{}}`, `{"id":"x"}`, `{"type":"read","data":{"targetId":"bob"}}`} {
		c.sendRaw([]byte(raw))
		if e := c.next(); e.Type != "error" || !strings.Contains(string(e.Data), `"code":400`) {
			t.Fatalf("%s: got %s", raw, e.raw)
		}
	}
	c.send(map[string]any{"type": "sync", "afterSeq": 0})
	if f := c.next(); f.Type != "synced" || f.Seq != 0 {
		t.Fatalf("sync with no events: %s", f.raw)
	}
	// A frame over 64 KiB closes the connection with 1009. The server closes as soon as it
	// has read the frame's header, so the rest of the frame may meet a reset socket: then the
	// write fails and the close frame may be lost with the connection, which is closed all the
	// same; a close frame that does arrive must say 1009.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = c.ws.Write(ctx, websocket.MessageText, []byte(`{"type":"ping","pad":"`+strings.Repeat("x", 70<<10)+`"}`))
	select {
	case <-c.frames:
	case <-time.After(10 * time.Second):
	}
	select {
	case err := <-c.closed:
		if st := websocket.CloseStatus(err); st != -1 && st != websocket.StatusMessageTooBig {
			t.Fatalf("closed with %v, want 1009", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("an oversized frame left the connection open")
	}
}

func TestThreeDevicesReceive(t *testing.T) {
	s := testserver.Start(t, nil)
	a := newApp(t, s, "ak_devices", "alice", "bob")
	devices := []*client{dial(t, s, a.token(t, "bob")), dial(t, s, a.token(t, "bob")), dial(t, s, a.token(t, "bob"))}
	sendHTTP(t, a, a.token(t, "alice"), api.SendMessage{ToId: "bob", ChatType: "SINGLE", MsgType: "TEXT", Content: "to every device"})
	for i, d := range devices {
		f := d.nextOf("message")
		if f.Seq != 1 || !strings.Contains(string(f.Data), "to every device") {
			t.Fatalf("device %d: %s", i, f.raw)
		}
	}
}

func TestReconnectAndSyncGetEverythingOnce(t *testing.T) {
	s := testserver.Start(t, nil)
	a := newApp(t, s, "ak_sync", "alice", "bob")
	bob := dial(t, s, a.token(t, "bob"))
	sendHTTP(t, a, a.token(t, "alice"), api.SendMessage{ToId: "bob", ChatType: "SINGLE", MsgType: "TEXT", Content: "before"})
	last := bob.nextOf("message").Seq
	_ = bob.ws.Close(websocket.StatusNormalClosure, "")
	for i := range 50 {
		r := sendHTTP(t, a, a.token(t, "alice"), api.SendMessage{ToId: "bob", ChatType: "SINGLE", MsgType: "TEXT", Content: "m" + strconv.Itoa(i)})
		if r.JSON200 == nil {
			t.Fatalf("send %d: %d", i, r.StatusCode())
		}
	}
	bob = dial(t, s, a.token(t, "bob"))
	bob.send(map[string]any{"type": "sync", "afterSeq": last})
	for i := range 50 {
		f := bob.next()
		if f.Type != "message" || f.Seq != last+1+int64(i) || !strings.Contains(string(f.Data), `"content":"m`+strconv.Itoa(i)+`"`) {
			t.Fatalf("event %d after reconnect: %s", i, f.raw)
		}
	}
	if f := bob.next(); f.Type != "synced" || f.Seq != last+50 {
		t.Fatalf("end of sync: %s", f.raw)
	}
	if !bob.quiet(300 * time.Millisecond) {
		t.Fatal("an event came twice")
	}
}

func TestRestartLosesNoEvent(t *testing.T) {
	s := testserver.Start(t, nil)
	a := newApp(t, s, "ak_restart", "alice", "bob")
	for i := range 5 {
		sendHTTP(t, a, a.token(t, "alice"), api.SendMessage{ToId: "bob", ChatType: "SINGLE", MsgType: "TEXT", Content: "kept " + strconv.Itoa(i)})
	}
	s.Restart()
	bob := dial(t, s, a.token(t, "bob"))
	bob.send(map[string]any{"type": "sync", "afterSeq": 0})
	for i := range 5 {
		if f := bob.next(); f.Type != "message" || f.Seq != int64(i+1) {
			t.Fatalf("event %d after restart: %s", i, f.raw)
		}
	}
	if f := bob.next(); f.Type != "synced" || f.Seq != 5 {
		t.Fatalf("synced: %s", f.raw)
	}
}

func TestEditAndRevokeArriveLive(t *testing.T) {
	s := testserver.Start(t, nil)
	a := newApp(t, s, "ak_live", "alice", "bob")
	bob := dial(t, s, a.token(t, "bob"))
	tok := a.token(t, "alice")
	m := sendHTTP(t, a, tok, api.SendMessage{ToId: "bob", ChatType: "SINGLE", MsgType: "TEXT", Content: "helo"}).JSON200.Data
	bob.nextOf("message")
	e, err := s.Client.EditMessageWithResponse(context.Background(), m.Id, &api.EditMessageParams{AppId: a.key}, api.MessageEdit{Content: "hello"}, testserver.Bearer(tok))
	if err != nil || e.JSON200 == nil || e.JSON200.Data.EditedAt == nil {
		t.Fatalf("edit: %v %s", err, e.Body)
	}
	if f := bob.nextOf("message.edited"); !strings.Contains(string(f.Data), `"content":"hello"`) {
		t.Fatalf("edited event: %s", f.raw)
	}
	r, err := s.Client.RevokeMessageWithResponse(context.Background(), m.Id, &api.RevokeMessageParams{AppId: a.key}, testserver.Bearer(tok))
	if err != nil || r.JSON200 == nil || !r.JSON200.Data.Revoked {
		t.Fatalf("revoke: %v %s", err, r.Body)
	}
	if f := bob.nextOf("message.revoked"); !strings.Contains(string(f.Data), `"revokedBy":"alice"`) {
		t.Fatalf("revoked event: %s", f.raw)
	}
	h, err := s.Client.ListSingleHistoryWithResponse(context.Background(), "alice", &api.ListSingleHistoryParams{AppId: a.key}, testserver.Bearer(a.token(t, "bob")))
	if err != nil || h.JSON200 == nil || !h.JSON200.Data.Content[0].Revoked {
		t.Fatalf("history after revoke: %v %s", err, h.Body)
	}
}

func TestGroupOfFifty(t *testing.T) {
	s := testserver.Start(t, nil)
	users := make([]string, 50)
	for i := range users {
		users[i] = fmt.Sprintf("u%02d", i)
	}
	a := newApp(t, s, "ak_fifty", users...)
	g, err := s.Client.CreateGroupWithResponse(context.Background(), &api.CreateGroupParams{AppId: a.key},
		api.GroupCreate{GroupId: ptr("fifty"), Name: "Fifty", MemberIds: users[1:]}, testserver.Bearer(a.token(t, users[0])))
	if err != nil || g.JSON200 == nil || g.JSON200.Data.MemberCount != 50 {
		t.Fatalf("create group: %v %s", err, g.Body)
	}
	conns := make([]*client, len(users))
	for i, u := range users {
		conns[i] = dial(t, s, a.token(t, u))
	}
	sender := conns[0]
	sender.send(map[string]any{"type": "send", "id": "g1", "data": map[string]any{"toId": "fifty", "chatType": "GROUP", "msgType": "TEXT", "content": "hi all"}})
	ack := sender.nextOf("ack")
	var m api.Message
	_ = json.Unmarshal(ack.Data, &m)
	for i, c := range conns {
		f := c.nextOf("message")
		if !strings.Contains(string(f.Data), `"hi all"`) || !strings.Contains(string(f.Data), `"groupReadCount":0`) {
			t.Fatalf("member %d: %s", i, f.raw)
		}
	}
	for _, c := range conns[1:] {
		c.send(map[string]any{"type": "read", "data": map[string]any{"targetId": "fifty", "chatType": "GROUP", "seq": m.Seq}})
	}
	best := 0
	for range 49 {
		f := sender.nextOf("read")
		var r struct {
			MessageID      string `json:"messageId"`
			GroupReadCount int    `json:"groupReadCount"`
		}
		_ = json.Unmarshal(f.Data, &r)
		if r.MessageID != m.Id {
			t.Fatalf("read receipt for another message: %s", f.raw)
		}
		best = max(best, r.GroupReadCount)
	}
	if best != 49 {
		t.Fatalf("the sender saw groupReadCount reach %d, want 49", best)
	}
	h, err := s.Client.ListGroupHistoryWithResponse(context.Background(), "fifty", &api.ListGroupHistoryParams{AppId: a.key}, testserver.Bearer(a.token(t, users[0])))
	if err != nil || h.JSON200 == nil || *h.JSON200.Data.Content[0].GroupReadCount != 49 {
		t.Fatalf("group history: %v %s", err, h.Body)
	}
	// The gap fill: what changed after a group event seq, with each message's groupSeq.
	gap, err := s.Client.ListGroupHistoryWithResponse(context.Background(), "fifty", &api.ListGroupHistoryParams{AppId: a.key, AfterSeq: ptr(int64(0))}, testserver.Bearer(a.token(t, users[1])))
	if err != nil || gap.JSON200 == nil || len(gap.JSON200.Data.Content) != 1 || gap.JSON200.Data.Content[0].GroupSeq == nil || *gap.JSON200.Data.Content[0].GroupSeq != *m.GroupSeq {
		t.Fatalf("group history after seq 0: %v %s", err, gap.Body)
	}
}

func TestSearchAndOtherApps(t *testing.T) {
	s := testserver.Start(t, nil)
	a := newApp(t, s, "ak_one", "alice", "bob")
	b := newApp(t, s, "ak_two", "alice", "carol")
	tok := a.token(t, "alice")
	sendHTTP(t, a, tok, api.SendMessage{ToId: "bob", ChatType: "SINGLE", MsgType: "TEXT", Content: "你好, Bob!"})
	sendHTTP(t, a, tok, api.SendMessage{ToId: "bob", ChatType: "SINGLE", MsgType: "TEXT", Content: "Hello there"})
	// The index follows the sends within 2 s (internal/im/search_index.go).
	deadline := time.Now().Add(2 * time.Second)
	for kw, want := range map[string]int64{"你好": 1, "hello": 1, "BOB": 1, "nothing": 0} {
		for {
			r, err := s.Client.SearchMessagesWithResponse(context.Background(), &api.SearchMessagesParams{AppId: a.key, Keyword: kw}, testserver.Bearer(tok))
			if err != nil || r.JSON200 == nil {
				t.Fatalf("search %q: %v %s", kw, err, r.Body)
			}
			if got := r.JSON200.Data.TotalElements; got == want {
				break
			} else if time.Now().After(deadline) {
				t.Fatalf("search %q found %d, want %d, 2 s after the sends", kw, got, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// An IM token of app one is refused by app two's routes and cannot reach app two's users.
	r, err := s.Client.SearchMessagesWithResponse(context.Background(), &api.SearchMessagesParams{AppId: b.key, Keyword: "hi"}, testserver.Bearer(tok))
	if err != nil || r.StatusCode() != http.StatusForbidden {
		t.Fatalf("other app's route: %v %d", err, r.StatusCode())
	}
	if r := sendHTTP(t, a, tok, api.SendMessage{ToId: "carol", ChatType: "SINGLE", MsgType: "TEXT", Content: "hi"}); r.StatusCode() != http.StatusNotFound {
		t.Fatalf("message to another app's user: %d", r.StatusCode())
	}
	// A group of app one is invisible to app two, and to app one's non-members.
	g, _ := s.Client.CreateGroupWithResponse(context.Background(), &api.CreateGroupParams{AppId: a.key}, api.GroupCreate{GroupId: ptr("secret"), Name: "s", MemberIds: []string{}}, testserver.Bearer(a.token(t, "bob")))
	if g.JSON200 == nil {
		t.Fatalf("create group: %s", g.Body)
	}
	if r, _ := s.Client.GetGroupWithResponse(context.Background(), "secret", &api.GetGroupParams{AppId: b.key}, testserver.Bearer(b.token(t, "carol"))); r.StatusCode() != http.StatusNotFound {
		t.Fatalf("other app's group: %d", r.StatusCode())
	}
	if r, _ := s.Client.GetGroupWithResponse(context.Background(), "secret", &api.GetGroupParams{AppId: a.key}, testserver.Bearer(tok)); r.StatusCode() != http.StatusForbidden {
		t.Fatalf("non-member: %d", r.StatusCode())
	}
	// The WebSocket refuses a bad token before upgrading, with the envelope.
	resp, err := http.Get(s.URL + "/ws/im?token=not-a-token")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("bad token upgrade: %d", resp.StatusCode)
	}
}

func ptr[T any](v T) *T { return &v }
