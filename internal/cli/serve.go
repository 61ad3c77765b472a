package cli

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/config"
	"github.com/xuqmgroup/xuqm/internal/demo"
	"github.com/xuqmgroup/xuqm/internal/file"
	"github.com/xuqmgroup/xuqm/internal/httpapi"
	"github.com/xuqmgroup/xuqm/internal/im/account"
	"github.com/xuqmgroup/xuqm/internal/mail"
	"github.com/xuqmgroup/xuqm/internal/ops"
	"github.com/xuqmgroup/xuqm/internal/postgres"
	"github.com/xuqmgroup/xuqm/internal/push"
	"github.com/xuqmgroup/xuqm/internal/tenant"
	"github.com/xuqmgroup/xuqm/internal/update"

	"log/slog"
)

// serve wires the services and serves HTTP until ctx ends, then shuts down in order:
// stop accepting, finish requests within the deadline, close WebSockets, close the pool.
func serve(ctx context.Context, cfg config.Config, log *slog.Logger, database *postgres.DB, env Environment) error {
	pool := database.Pool()
	q := db.New(pool)
	key, err := auth.SigningKey(ctx, q, cfg.JWTSecret)
	if err != nil {
		return err
	}
	authn := auth.NewAuthenticator(q, auth.NewTokens(key, cfg.TokenTTL))
	imAccounts := account.New(pool, authn)
	demoService := demo.New(pool, authn.Tokens(), imAccounts, cfg.DemoPassword)
	// No vendor credentials are configured yet: every delivery fails with that reason.
	pushService := push.New(pool, nil)
	sender, err := mail.New(cfg.SMTP, q, log)
	if err != nil {
		return err
	}
	tenants := tenant.New(pool, authn.Tokens(), sender, tenant.Options{CheckCaptcha: cfg.CaptchaEnabled})
	operations := ops.New(pool, authn.Tokens(), ops.Options{Zone: cfg.Timezone, Counters: ops.Counters{PushesSent: ops.CounterFunc(q.CountPushesSent)}})
	if err := bootstrap(ctx, cfg, log, tenants, operations); err != nil {
		return err
	}
	blobs, err := openBlobs(ctx, cfg)
	if err != nil {
		return err
	}
	files := file.New(pool, blobs, file.Config{MaxBytes: cfg.FileMaxBytes, ThumbMaxPixels: cfg.ThumbMaxPixels})
	// The event bus (another branch) will carry the Notifier and call updates.Invalidate.
	updates := update.New(pool, blobs, update.Config{MaxBytes: cfg.UpdateMaxBytes}, nil)

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	handler, err := httpapi.NewRouter(httpapi.Options{
		Log:          log,
		Auth:         authn,
		Serves:       cfg.Serves,
		CORSOrigins:  cfg.CORSOrigins,
		MaxBodyBytes: cfg.MaxBodyBytes,
		Registry:     reg,
		Ready:        func(r *http.Request) error { return pool.Ping(r.Context()) },
	}, httpapi.NewServer(httpapi.Services{Auth: authn, IMAccounts: imAccounts, Demo: demoService, Push: pushService, Tenant: tenants, Ops: operations,
		Files: files, Updates: updates, PublicURL: cfg.PublicURL}))
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("listening", "addr", ln.Addr().String(), "version", Version, "config", cfg)
	if env.Listening != nil {
		env.Listening(ln.Addr())
	}

	bg, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBackground()
	go purgeNonces(bg, log, q)
	go purgeTenant(bg, log, tenants)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", cfg.ShutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	stopBackground()
	if errors.Is(err, context.DeadlineExceeded) {
		log.Warn("requests still running at the shutdown deadline; closing them")
		err = srv.Close()
	}
	return err
}

// purgeNonces forgets the nonces of signed requests whose window has passed.
func purgeNonces(ctx context.Context, log *slog.Logger, q db.Querier) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := auth.PurgeNonces(ctx, q); err != nil && ctx.Err() == nil {
				log.Warn("purge nonces", "err", err)
			}
		}
	}
}
