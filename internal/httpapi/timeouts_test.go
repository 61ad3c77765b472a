package httpapi_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xuqmgroup/xuqm/internal/testserver"
)

// A body sent a byte at a time is cut off at the read timeout: the request is never answered
// as if it had arrived (here it would be a 401 for a wrong password).
func TestSlowBodyIsCutOff(t *testing.T) {
	s := testserver.Start(t, map[string]string{"XUQM_READ_TIMEOUT": "1s"})
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"email":"slow@example.com","password":"wrongPassw0rd"}`
	fmt.Fprintf(conn, "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(body))
	// Six bytes 400 ms apart (2.4 s) against a 1 s read timeout; then the rest.
	for i := range 6 {
		if _, err := conn.Write([]byte{body[i]}); err != nil {
			break // the server has closed the connection: cut off
		}
		time.Sleep(400 * time.Millisecond)
	}
	_, _ = conn.Write([]byte(body[6:]))
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode == 401 || resp.StatusCode == 200 {
			t.Fatalf("a body trickled past the read timeout was read and answered %d", resp.StatusCode)
		}
		t.Logf("cut off with %d", resp.StatusCode)
	}
}

// serverCloses reads conn until the server closes it, and fails the test if the client's own
// deadline (far past the server's timeouts) ends the wait instead. It returns what was read.
func serverCloses(t *testing.T, conn net.Conn) string {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	b, err := io.ReadAll(conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the server held the connection open (read %q)", b)
	}
	return string(b)
}

// A client that sends its headers a byte at a time (slow loris) is cut off at the header
// timeout (min(XUQM_READ_TIMEOUT, 10s)): the server closes the connection, however long the
// client would go on.
func TestSlowHeadersAreCutOff(t *testing.T) {
	s := testserver.Start(t, map[string]string{"XUQM_READ_TIMEOUT": "1s"})
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		head := "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + strings.Repeat("a", 1000)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Millisecond):
			}
			if _, err := conn.Write([]byte{head[i%len(head)]}); err != nil {
				return // closed by the server
			}
		}
	}()
	// net/http itself may say 400 or 408 as it closes; never what the route would answer.
	if got := serverCloses(t, conn); got != "" && !strings.HasPrefix(got, "HTTP/1.1 400") && !strings.HasPrefix(got, "HTTP/1.1 408") {
		t.Fatalf("slow headers were answered: %.200s", got)
	}
}

// A kept-alive connection left idle after an answer is closed at XUQM_IDLE_TIMEOUT.
func TestIdleConnectionIsClosed(t *testing.T) {
	s := testserver.Start(t, map[string]string{"XUQM_IDLE_TIMEOUT": "1s"})
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprint(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Close {
		t.Fatalf("healthz: %d, close %v", resp.StatusCode, resp.Close)
	}
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	rest, err := io.ReadAll(br)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() || len(rest) > 0 {
		t.Fatalf("the idle connection stayed open (%v, read %q)", err, rest)
	}
}

// /metrics on the API's listener opens only to XUQM_METRICS_TOKEN; the separate listener
// (loopback by default) serves it to scrapers.
func TestMetricsBehindToken(t *testing.T) {
	s := testserver.Start(t, map[string]string{"XUQM_METRICS_TOKEN": "scrape-token-0123", "XUQM_METRICS_ADDR": "off"})
	if s.MetricsURL != "" {
		t.Errorf("metrics listener with XUQM_METRICS_ADDR=off: %s", s.MetricsURL)
	}
	for _, tc := range []struct {
		auth string
		want int
	}{{"", 404}, {"Bearer wrong", 404}, {"Bearer scrape-token-0123", 200}} {
		req, _ := http.NewRequest("GET", s.URL+"/metrics", nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("/metrics with %q: %d, want %d", tc.auth, resp.StatusCode, tc.want)
		}
	}
}
