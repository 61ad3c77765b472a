package cli

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/xuqmgroup/xuqm/internal/config"
	"github.com/xuqmgroup/xuqm/internal/httpapi"
	"github.com/xuqmgroup/xuqm/internal/im"
	"github.com/xuqmgroup/xuqm/internal/realtime"
)

// serveMetrics serves /metrics and /debug/pprof/ on XUQM_METRICS_ADDR, a listener of its own (loopback by
// default) so that the API's listener never shows the process's figures to the world. It
// returns the function that stops it; with XUQM_METRICS_ADDR=off, or a port taken, it serves
// nothing.
func serveMetrics(cfg config.Config, reg *prometheus.Registry, log *slog.Logger, env Environment) (stop func(context.Context)) {
	if cfg.MetricsAddr == "" || cfg.MetricsAddr == "off" {
		return func(context.Context) {}
	}
	ln, err := net.Listen("tcp", cfg.MetricsAddr)
	if err != nil {
		// Another instance on the machine may hold the port: the API still serves.
		log.Warn("metrics not served: cannot listen", "addr", cfg.MetricsAddr, "err", err)
		return func(context.Context) {}
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", httpapi.MetricsHandler(reg))
	// The Go profiles, on this listener only (never the API's): what an operator measuring
	// the send path needs, `go tool pprof http://<metrics addr>/debug/pprof/profile`.
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 90 * time.Second, // a CPU profile takes its seconds
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Warn("metrics listener", "err", err)
		}
	}()
	log.Info("metrics served", "addr", ln.Addr().String())
	if env.MetricsListening != nil {
		env.MetricsListening(ln.Addr())
	}
	return func(ctx context.Context) { _ = srv.Shutdown(ctx) }
}

// registerHubMetrics exports the WebSockets of this instance and what waits to be written
// to them, whose bound is XUQM_WS_SEND_QUEUE_BYTES a connection.
func registerHubMetrics(reg *prometheus.Registry, hub *realtime.Hub) {
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "xuqm_ws_connections", Help: "IM WebSockets open on this instance."},
			func() float64 { return float64(hub.Online()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "xuqm_ws_queued_bytes", Help: "Bytes of frames waiting to be written to this instance's IM WebSockets."},
			func() float64 { _, b := hub.Queued(); return float64(b) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "xuqm_ws_queued_frames", Help: "Frames waiting to be written to this instance's IM WebSockets."},
			func() float64 { f, _ := hub.Queued(); return float64(f) }),
	)
}

// sendMetrics exports how the one-to-one send queue stores its batches: how long each send
// waited for its statement, how long a batch took to store, and how many sends it held.
type sendMetrics struct {
	waited, stored, sends prometheus.Histogram
}

func newSendMetrics() *sendMetrics {
	return &sendMetrics{
		waited: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "xuqm_im_send_queue_seconds",
			Help:    "How long a one-to-one send waited in the queue before the statement storing it began.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16)}),
		stored: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "xuqm_im_send_batch_seconds",
			Help:    "How long storing a batch of one-to-one sends took: its statement and commit.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16)}),
		sends: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "xuqm_im_send_batch_sends",
			Help:    "One-to-one sends stored in one statement.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 9)}),
	}
}

func (m *sendMetrics) observe(st im.SendBatchStats) {
	m.sends.Observe(float64(st.Sends))
	m.stored.Observe(st.Stored.Seconds())
	for _, w := range st.Waited {
		m.waited.Observe(w.Seconds())
	}
}

func (m *sendMetrics) register(reg *prometheus.Registry) {
	reg.MustRegister(m.waited, m.stored, m.sends)
}
