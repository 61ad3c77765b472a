package realtime_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/xuqmgroup/xuqm/internal/realtime"
)

// clientFrame is a masked text frame (mask key 0: the payload as it is).
func clientFrame(payload string) []byte {
	return append([]byte{0x81, 0x80 | byte(len(payload)), 0, 0, 0, 0}, payload...)
}

// readServerFrame reads one unmasked frame of a small payload.
func readServerFrame(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		t.Fatal(err)
	}
	n := int(h[1] & 0x7f)
	if n == 126 {
		var l [2]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			t.Fatal(err)
		}
		n = int(binary.BigEndian.Uint16(l[:]))
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(r, p); err != nil {
		t.Fatal(err)
	}
	return string(p)
}

// An idle conn's reader waits for the socket outside the WebSocket's reader (conn.waitIdle):
// frames that came together, and so wait in the reader's buffer rather than in the socket,
// are all answered, those that came with the upgrade request as well as later ones.
func TestFramesThatComeTogetherAreAllServed(t *testing.T) {
	h := startHub(t, realtime.Options{}, hubExtras{})
	nc, err := net.Dial("tcp", strings.TrimPrefix(h.url, "ws://"))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(20 * time.Second))
	req := "GET /?app=one&user=alice HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
	// Two frames in the upgrade request's segment: net/http reads them ahead.
	first := append([]byte(req), clientFrame(`{"type":"ping","id":"a"}`)...)
	first = append(first, clientFrame(`{"type":"ping","id":"b"}`)...)
	if _, err := nc.Write(first); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(nc)
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %s", resp.Status)
	}
	for _, id := range []string{"a", "b"} {
		if f := readServerFrame(t, r); f != `{"type":"pong","id":"`+id+`"}` {
			t.Fatalf("frame %s: %s", id, f)
		}
	}
	// Then, the reader idle, three frames in one write: the first read takes them all.
	var later []byte
	for _, id := range []string{"c", "d", "e"} {
		later = append(later, clientFrame(`{"type":"ping","id":"`+id+`"}`)...)
	}
	h.waitOnline(1)
	if _, err := nc.Write(later); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"c", "d", "e"} {
		if f := readServerFrame(t, r); f != `{"type":"pong","id":"`+id+`"}` {
			t.Fatalf("frame %s: %s", id, f)
		}
	}
}

// The server pings only conns silent for PingInterval: a client that keeps sending frames
// is never pinged (its reader stays in the shallow idle wait), a silent one is, and stays
// open by answering.
func TestOnlySilentConnectionsArePinged(t *testing.T) {
	h := startHub(t, realtime.Options{PingInterval: time.Second, IdleTimeout: time.Minute}, hubExtras{})
	var chattyPings, quietPings atomic.Int32
	counting := func(n *atomic.Int32) *websocket.DialOptions {
		return &websocket.DialOptions{OnPingReceived: func(context.Context, []byte) bool { n.Add(1); return true }}
	}
	chatty := dialURL(t, h.socketURL("one", "alice", 0), counting(&chattyPings))
	quiet := dialURL(t, h.socketURL("one", "bob", 0), counting(&quietPings))
	h.waitOnline(2)
	for i := 0; quietPings.Load() < 2; i++ {
		time.Sleep(100 * time.Millisecond) // well within the frame rate, and the ping interval
		chatty.send(map[string]any{"type": "ping", "id": strconv.Itoa(i)})
		if f := chatty.nextOf("pong"); f.ID != strconv.Itoa(i) {
			t.Fatalf("pong: %s", f.raw)
		}
	}
	if n := chattyPings.Load(); n != 0 {
		t.Fatalf("the client that kept sending frames was pinged %d times", n)
	}
	quiet.send(map[string]any{"type": "ping", "id": "q"})
	if f := quiet.nextOf("pong"); f.ID != "q" {
		t.Fatalf("pong: %s", f.raw)
	}
}
