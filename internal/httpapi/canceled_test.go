package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/postgres/pgtest"
)

// hangingUp is the real server with one handler that works until its client goes away, then
// fails as a service does when its context is canceled under it.
type hangingUp struct {
	*Server
	started chan struct{}
}

func (h hangingUp) GetCaptcha(ctx context.Context, _ api.GetCaptchaRequestObject) (api.GetCaptchaResponseObject, error) {
	close(h.started)
	<-ctx.Done()
	return nil, fault.Wrap(ctx.Err(), "make captcha")
}

// syncBuffer is a log that the server writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestClientGoneIsNoServerError: a request whose client disconnects mid-way is counted and
// logged as 499 (client closed request), never as a 500, and logs no error.
func TestClientGoneIsNoServerError(t *testing.T) {
	authn := auth.NewAuthenticator(db.New(pgtest.NewDB(t)), auth.NewTokens([]byte("k"), time.Hour))
	var logged syncBuffer
	reg := prometheus.NewRegistry()
	handler := hangingUp{NewServer(Services{Auth: authn}), make(chan struct{})}
	h, err := NewRouter(Options{
		Log:          slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Auth:         authn,
		MaxBodyBytes: 1 << 20,
		Registry:     reg,
	}, handler)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/auth/captcha", nil)
	go func() {
		<-handler.started
		cancel() // the client hangs up while the handler works
	}()
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("the request was answered (%d) though its client hung up", resp.StatusCode)
	}

	statuses := func() map[string]float64 {
		out := map[string]float64{}
		families, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range families {
			if f.GetName() != "xuqm_http_requests_total" {
				continue
			}
			for _, m := range f.GetMetric() {
				for _, l := range m.GetLabel() {
					if l.GetName() == "status" {
						out[l.GetValue()] += m.GetCounter().GetValue()
					}
				}
			}
		}
		return out
	}
	// The server notices the hang-up on its own time: wait until it has counted the request.
	deadline := time.Now().Add(10 * time.Second)
	got := statuses()
	for got["499"] == 0 && got["500"] == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
		got = statuses()
	}
	if got["499"] != 1 || got["500"] != 0 {
		t.Fatalf("requests counted by status: %v, want one 499 and no 500", got)
	}
	log := logged.String()
	if strings.Contains(log, "level=ERROR") {
		t.Errorf("a client that went away was logged as an error:\n%s", log)
	}
	if !strings.Contains(log, "client closed request") || !strings.Contains(log, "status=499") {
		t.Errorf("the log does not say the client closed the request:\n%s", log)
	}
}
