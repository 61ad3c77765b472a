package realtime_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/xuqmgroup/xuqm/internal/postgres/pgtest"
	"github.com/xuqmgroup/xuqm/internal/testserver"
)

// BenchmarkSendToDelivery measures the time from a `send` frame leaving a sender to the
// `message` event reaching the receiver over loopback WebSockets, at 1,000 messages a
// second (XUQM_BENCH_RATE) from 32 senders or more, each under the per-connection frame
// limit; it reports p50 and p99. The server runs with its defaults.
func BenchmarkSendToDelivery(b *testing.B) {
	rate := 1000 // messages a second
	if v, err := strconv.Atoi(os.Getenv("XUQM_BENCH_RATE")); err == nil && v > 0 {
		rate = v
	}
	s := testserver.Start(b, map[string]string{"DATABASE_URL": pgtest.NewDBURL(b)})
	users := []string{"bob"}
	nSenders := max(32, rate/25)
	for i := range nSenders {
		users = append(users, "s"+strconv.Itoa(i))
	}
	a := newApp(b, s, "ak_latency", users...)
	ctx := context.Background()
	dialRaw := func(user string) *websocket.Conn {
		u := "ws" + strings.TrimPrefix(s.URL, "http") + "/ws/im?token=" + url.QueryEscape(a.token(b, user))
		ws, _, err := websocket.Dial(ctx, u, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = ws.CloseNow() })
		return ws
	}
	receiver := dialRaw("bob")
	senders := make([]*websocket.Conn, nSenders)
	for i := range senders {
		senders[i] = dialRaw(users[i+1])
		go func() { // drain acks and own events
			for {
				if _, _, err := senders[i].Read(ctx); err != nil {
					return
				}
			}
		}()
	}
	latencies := make([]time.Duration, 0, b.N)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for len(latencies) < b.N {
			_, data, err := receiver.Read(ctx)
			if err != nil {
				return
			}
			var f struct {
				Type string `json:"type"`
				Data struct {
					Content string `json:"content"`
				} `json:"data"`
			}
			if json.Unmarshal(data, &f) != nil || f.Type != "message" {
				continue
			}
			sent, _ := strconv.ParseInt(f.Data.Content, 10, 64)
			latencies = append(latencies, time.Since(time.Unix(0, sent)))
		}
	}()
	b.ResetTimer()
	// Each send is due at its time from the start; a late one goes at once, so that the
	// rate holds even when the sender is not scheduled in time (a ticker drops ticks).
	start := time.Now()
	for i := range b.N {
		if wait := time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(rate))); wait > 0 {
			time.Sleep(wait)
		}
		frame := fmt.Sprintf(`{"type":"send","id":"f%d","data":{"toId":"bob","chatType":"SINGLE","msgType":"TEXT","content":"%d"}}`, i, time.Now().UnixNano())
		if err := senders[i%nSenders].Write(ctx, websocket.MessageText, []byte(frame)); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		b.Fatalf("received %d of %d messages", len(latencies), b.N)
	}
	b.StopTimer()
	slices.Sort(latencies)
	b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkIdleConnectionMemory opens idle WebSockets with bare clients (a TCP socket that
// did the handshake and reads nothing) and reports the memory each adds to the process,
// and that figure less what a bare TCP connection pair costs: the server's own part.
func BenchmarkIdleConnectionMemory(b *testing.B) {
	const n = 2000
	s := testserver.Start(b, nil)
	a := newApp(b, s, "ak_memory", "idle")
	token := a.token(b, "idle")
	addr := strings.TrimPrefix(s.URL, "http://")
	for range b.N {
		perConn := measure(b, n, func() []net.Conn { return handshakes(b, addr, token, n) })
		perPair := measure(b, n, func() []net.Conn { return tcpPairs(b, n) })
		b.ReportMetric(perConn, "B/conn")
		b.ReportMetric(perConn-perPair, "server-B/conn")
	}
}

func inUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse
}

func measure(b *testing.B, n int, open func() []net.Conn) float64 {
	before := inUse()
	conns := open()
	time.Sleep(500 * time.Millisecond) // let every conn settle into its idle state
	after := inUse()
	for _, c := range conns {
		_ = c.Close()
	}
	time.Sleep(500 * time.Millisecond)
	return float64(after-before) / float64(n)
}

// handshakes opens n WebSockets by hand: the client side is a bare socket.
func handshakes(b *testing.B, addr, token string, n int) []net.Conn {
	conns := make([]net.Conn, 0, n)
	req := "GET /ws/im?token=" + url.QueryEscape(token) + " HTTP/1.1\r\nHost: " + addr +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
	for range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Write([]byte(req)); err != nil {
			b.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReaderSize(c, 512), nil)
		if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
			b.Fatalf("handshake: %v %v", err, resp)
		}
		conns = append(conns, c)
	}
	return conns
}

// tcpPairs opens n loopback TCP connections and keeps both ends, with one goroutine per
// server end blocked in Read, as a WebSocket's reader is.
func tcpPairs(b *testing.B, n int) []net.Conn {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	var mu sync.Mutex
	conns := make([]net.Conn, 0, 2*n)
	accepted := make(chan struct{})
	go func() {
		defer close(accepted)
		for range n {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go func() { _, _ = c.Read(make([]byte, 1)) }()
		}
	}()
	for range n {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
	}
	<-accepted
	return conns
}
