package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/postgres/pgtest"
)

// panicking is the real server with one handler that panics.
type panicking struct{ *Server }

func (panicking) GetCaptcha(context.Context, api.GetCaptchaRequestObject) (api.GetCaptchaResponseObject, error) {
	panic("boom: a bug in a handler")
}

func TestPanicBecomesEnvelopeWithRequestID(t *testing.T) {
	authn := auth.NewAuthenticator(db.New(pgtest.NewDB(t)), auth.NewTokens([]byte("k"), time.Hour))
	var logged strings.Builder
	h, err := NewRouter(Options{
		Log:          slog.New(slog.NewTextHandler(&logged, nil)),
		Auth:         authn,
		MaxBodyBytes: 1 << 20,
		Registry:     prometheus.NewRegistry(),
	}, panicking{NewServer(Services{Auth: authn})})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/api/auth/captcha")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatalf("not an envelope: %s", body)
	}
	id := resp.Header.Get("X-Request-Id")
	if resp.StatusCode != 500 || env.Code != 500 || env.Status != "1" || id == "" || !strings.Contains(env.Message, id) {
		t.Errorf("panic answer: %d %+v (request id %q)", resp.StatusCode, env, id)
	}
	if strings.Contains(env.Message, "boom") {
		t.Errorf("the panic value leaked to the client: %q", env.Message)
	}
	if !strings.Contains(logged.String(), "boom") || !strings.Contains(logged.String(), id) {
		t.Errorf("the log lacks the panic or the request id:\n%s", logged.String())
	}
	// The server goes on serving.
	resp2, err := http.Get(srv.URL + "/healthz")
	if err != nil || resp2.StatusCode != 200 {
		t.Fatalf("after a panic: %v %v", err, resp2)
	}
	resp2.Body.Close()
}
