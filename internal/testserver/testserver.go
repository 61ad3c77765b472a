// Package testserver boots the real server in-process for component tests: cli.Run on a fresh
// database, listening on loopback, with a generated client whose every response is checked
// against the contract, so that any answer outside openapi.yaml fails the test.
package testserver

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/cli"
	"github.com/xuqmgroup/xuqm/internal/postgres/pgtest"
)

// SigningKey is the JWT key of test servers, so that tests can mint tokens of any kind.
const SigningKey = "testserver-signing-key-0123456789abcdef"

// Server is a running server and the ways to talk to it.
type Server struct {
	URL         string // http://127.0.0.1:port
	MetricsURL  string // http://127.0.0.1:port of XUQM_METRICS_ADDR; empty when off
	Client      *api.ClientWithResponses
	HTTP        *http.Client // validates every response against the contract
	DatabaseURL string
	DataDir     string
	Tokens      *auth.Tokens // signs with SigningKey, like the server

	t      testing.TB
	log    *logBuffer
	env    map[string]string
	cancel context.CancelFunc
	done   chan error
	stop   sync.Once
}

// Start boots a server on a fresh database. env overrides the test defaults (XUQM_… names).
func Start(t testing.TB, env map[string]string) *Server {
	t.Helper()
	e := map[string]string{
		"XUQM_ADDR":       "127.0.0.1:0",
		"XUQM_DATA_DIR":   t.TempDir(),
		"XUQM_CAPTCHA":    "off",
		"XUQM_LOG_LEVEL":  "warn",
		"XUQM_JWT_SECRET": SigningKey,
		// Component tests make many public requests from one address; the limit has its own test.
		"XUQM_PUBLIC_RATE_LIMIT": "0",
		// Each server's metrics on a port of its own (MetricsURL).
		"XUQM_METRICS_ADDR": "127.0.0.1:0",
	}
	for k, v := range env {
		e[k] = v
	}
	if e["DATABASE_URL"] == "" {
		e["DATABASE_URL"] = pgtest.NewDBURL(t)
	}
	s := &Server{t: t, env: e, DatabaseURL: e["DATABASE_URL"], DataDir: e["XUQM_DATA_DIR"], Tokens: auth.NewTokens([]byte(SigningKey), 24*time.Hour), log: &logBuffer{}}
	s.boot()
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) boot() {
	t := s.t
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan net.Addr, 1)
	s.cancel, s.done, s.stop = cancel, make(chan error, 1), sync.Once{}
	env := cli.Environment{
		Getenv:    func(k string) string { return s.env[k] },
		Stdout:    io.Discard,
		Stderr:    testWriter{t, s.log},
		Listening: func(a net.Addr) { addr <- a },
		// Told before Listening, on the same goroutine: set when URL is.
		MetricsListening: func(a net.Addr) { s.MetricsURL = "http://" + a.String() },
	}
	go func() { s.done <- cli.Run(ctx, []string{"serve"}, env) }()
	select {
	case a := <-addr:
		s.URL = "http://" + a.String()
	case err := <-s.done:
		cancel()
		t.Fatalf("server did not start: %v", err)
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatal("server did not start within 60 s")
	}
	s.HTTP = &http.Client{Transport: newValidator(t), Timeout: 60 * time.Second}
	c, err := api.NewClientWithResponses(s.URL, api.WithHTTPClient(s.HTTP))
	if err != nil {
		t.Fatal(err)
	}
	s.Client = c
}

// Stop shuts the server down and reports a failed shutdown.
func (s *Server) Stop() {
	s.stop.Do(func() {
		s.cancel()
		select {
		case err := <-s.done:
			if err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.t.Errorf("server stopped with: %v", err)
			}
		case <-time.After(30 * time.Second):
			s.t.Error("server did not stop within 30 s")
		}
	})
}

// Restart stops the server and starts it again on the same database and data directory.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.boot()
}

// Bearer is a client option that sends token as the Authorization header.
func Bearer(token string) api.RequestEditorFn {
	return func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "Bearer "+token)
		return nil
	}
}

// Log is everything the server has logged so far, across restarts (XUQM_LOG_LEVEL sets how
// much), for tests that prove what never reaches the log.
func (s *Server) Log() string {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	return s.log.b.String()
}

type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

// testWriter sends the server's log to the test's log, kept only for failing tests, and to
// the server's log buffer.
type testWriter struct {
	t   testing.TB
	log *logBuffer
}

func (w testWriter) Write(p []byte) (int, error) {
	w.log.mu.Lock()
	w.log.b.Write(p)
	w.log.mu.Unlock()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// ClientFrom is a contract-checking client whose connections come from the loopback address
// localIP (any of 127.0.0.0/8 on Linux), for tests of what is counted per client address.
func (s *Server) ClientFrom(localIP string) *api.ClientWithResponses {
	s.t.Helper()
	v := newValidator(s.t)
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(localIP)}, Timeout: 10 * time.Second}
	v.base = &http.Transport{DialContext: dialer.DialContext}
	c, err := api.NewClientWithResponses(s.URL, api.WithHTTPClient(&http.Client{Transport: v, Timeout: 60 * time.Second}))
	if err != nil {
		s.t.Fatal(err)
	}
	return c
}
