// Package httpapi is the HTTP edge: the router, the gate (route groups, authentication and
// request validation against the contract), the handlers of every area and the single
// mapping from service errors to the response envelope. It is the only importer of gen/api.
package httpapi

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/cors"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/fault"
)

// Options are what the router needs from the process.
type Options struct {
	Log          *slog.Logger
	Auth         *auth.Authenticator
	Serves       func(area string) bool // XUQM_SERVICES
	CORSOrigins  []string
	MaxBodyBytes int64
	// MaxUploadBytes bounds multipart bodies (the largest upload limit, plus room for the form).
	MaxUploadBytes int64
	// PublicRateLimit is requests a second per client address on public routes; 0: no limit.
	PublicRateLimit int64
	Registry        *prometheus.Registry
	Ready           func(r *http.Request) error // /readyz
	// WebSocket serves /ws/im; nil when this instance does not serve IM.
	WebSocket http.Handler
	// TransferTimeout is the read and write deadline of uploads and downloads, which the
	// server's own timeouts would cut (XUQM_TRANSFER_TIMEOUT); 0 keeps the server's.
	TransferTimeout time.Duration
	// MetricsToken opens /metrics on this router to `Authorization: Bearer <token>`; empty:
	// /metrics is not served here (XUQM_METRICS_ADDR serves it apart).
	MetricsToken string
}

// MetricsHandler serves the registry's metrics, for the listener of XUQM_METRICS_ADDR.
func MetricsHandler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}

// metricsBehindToken serves /metrics only to a caller holding token.
func metricsBehindToken(reg *prometheus.Registry, token string) http.HandlerFunc {
	metrics := MetricsHandler(reg)
	return func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		given, ok := strings.CutPrefix(h, "Bearer ")
		if token == "" || !ok || subtle.ConstantTimeCompare([]byte(given), []byte(token)) != 1 {
			// The same answer as any route that does not exist: outsiders learn nothing.
			writeError(w, r, fault.NotFoundf("no route %s %s", r.Method, r.URL.Path))
			return
		}
		metrics.ServeHTTP(w, r)
	}
}

// withoutDeadlines clears the server's read and write timeouts for a connection that lives
// on (the WebSocket, which keeps itself alive with pings).
func withoutDeadlines(h http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		_ = rc.SetReadDeadline(time.Time{})
		_ = rc.SetWriteDeadline(time.Time{})
		h.ServeHTTP(w, r)
	}
}

var defineFormats sync.Once

// Spec is the embedded contract, loaded once.
func Spec() (*openapi3.T, error) {
	defineFormats.Do(func() {
		// The generated decoder accepts what net/mail accepts; the gate must refuse the rest
		// first, so that the 400 names the field.
		openapi3.DefineStringFormatValidator("email", openapi3.NewCallbackValidator(func(s string) error {
			if a, err := mail.ParseAddress(s); err != nil || a.Address != s {
				return errors.New("must be an e-mail address such as name@example.com")
			}
			return nil
		}))
	})
	spec, err := api.GetSpec()
	if err != nil {
		return nil, fmt.Errorf("load embedded spec: %w", err)
	}
	spec.Servers = nil // the validator matches routes itself; any host may serve them
	return spec, nil
}

// NewRouter wires the edge around the handlers of server.
func NewRouter(opts Options, server api.StrictServerInterface) (http.Handler, error) {
	spec, err := Spec()
	if err != nil {
		return nil, err
	}
	if opts.MaxUploadBytes < opts.MaxBodyBytes {
		opts.MaxUploadBytes = opts.MaxBodyBytes
	}
	if opts.Serves == nil {
		opts.Serves = func(string) bool { return true }
	}
	r := chi.NewRouter()
	m := newMetrics(opts.Registry)
	r.Use(requestContext(opts.Log), m.observe, recoverPanics)
	if len(opts.CORSOrigins) > 0 {
		r.Use(cors.Handler(cors.Options{
			AllowedOrigins: opts.CORSOrigins,
			AllowedMethods: []string{"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"},
			AllowedHeaders: []string{"Authorization", "Content-Type", "X-Request-Id", "X-App-Key", "X-App-Timestamp", "X-App-Nonce", "X-App-Signature", "Range", "If-None-Match"},
			ExposedHeaders: []string{"X-Request-Id", "ETag", "Content-Range", "Retry-After", "X-Content-SHA256"},
			MaxAge:         600,
		}))
	}
	ops, err := operations(spec)
	if err != nil {
		return nil, err
	}
	g := &gate{mux: r, ops: ops, authn: opts.Auth, serves: opts.Serves, maxBody: opts.MaxBodyBytes, maxUpload: opts.MaxUploadBytes,
		public: newAddressLimiter(opts.PublicRateLimit), transferTimeout: opts.TransferTimeout}
	r.Use(g.handler)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, fault.NotFoundf("no route %s %s", r.Method, r.URL.Path))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		writeEnvelope(w, http.StatusMethodNotAllowed, nil, fmt.Sprintf("method %s is not allowed on %s", r.Method, r.URL.Path))
	})
	r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) {
		writeEnvelope(w, http.StatusOK, map[string]string{"status": "ok"}, "success")
	})
	r.Get("/readyz", func(w http.ResponseWriter, r *http.Request) {
		if opts.Ready != nil {
			if err := opts.Ready(r); err != nil {
				loggerFrom(r.Context()).Warn("not ready", "err", err)
				writeEnvelope(w, http.StatusServiceUnavailable, nil, "not ready: the database does not answer")
				return
			}
		}
		writeEnvelope(w, http.StatusOK, map[string]string{"status": "ready"}, "success")
	})
	r.Get("/metrics", metricsBehindToken(opts.Registry, opts.MetricsToken))
	r.Get("/openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(spec)
	})
	if opts.WebSocket != nil {
		r.Get("/ws/im", withoutDeadlines(opts.WebSocket))
	}
	if err := mountWeb(r); err != nil {
		return nil, err
	}
	strict := api.NewStrictHandlerWithOptions(server, nil, api.StrictHTTPServerOptions{
		RequestErrorHandlerFunc: func(w http.ResponseWriter, r *http.Request, err error) {
			writeError(w, r, fault.Invalidf("the request body could not be decoded: %v", err))
		},
		ResponseErrorHandlerFunc: writeError,
	})
	api.HandlerWithOptions(strict, api.ChiServerOptions{
		BaseRouter:       r,
		ErrorHandlerFunc: bindingError,
	})
	return r, nil
}
