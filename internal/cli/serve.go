package cli

import (
	"context"
	"errors"
	"net"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/config"
	"github.com/xuqmgroup/xuqm/internal/demo"
	"github.com/xuqmgroup/xuqm/internal/eventbus"
	"github.com/xuqmgroup/xuqm/internal/file"
	"github.com/xuqmgroup/xuqm/internal/httpapi"
	"github.com/xuqmgroup/xuqm/internal/im"
	"github.com/xuqmgroup/xuqm/internal/im/account"
	"github.com/xuqmgroup/xuqm/internal/jobs"
	"github.com/xuqmgroup/xuqm/internal/mail"
	"github.com/xuqmgroup/xuqm/internal/ops"
	"github.com/xuqmgroup/xuqm/internal/postgres"
	"github.com/xuqmgroup/xuqm/internal/presence"
	"github.com/xuqmgroup/xuqm/internal/push"
	"github.com/xuqmgroup/xuqm/internal/realtime"
	"github.com/xuqmgroup/xuqm/internal/tenant"
	"github.com/xuqmgroup/xuqm/internal/update"
	"github.com/xuqmgroup/xuqm/internal/webhook"

	"log/slog"
)

// serve wires the services and serves HTTP until ctx ends, then shuts down in order:
// stop accepting, finish requests within the deadline, close WebSockets, close the pool.
func serve(ctx context.Context, cfg config.Config, log *slog.Logger, database *postgres.DB, env Environment) error {
	pool := database.Pool()
	q := postgres.Queries(pool)
	key, err := auth.SigningKey(ctx, q, cfg.JWTSecret)
	if err != nil {
		return err
	}
	authn := auth.NewAuthenticator(q, auth.NewTokens(key, cfg.TokenTTL))
	box, err := secretBox(ctx, q, cfg)
	if err != nil {
		return err
	}
	// AppSecrets and service keys are sealed at rest and opened once into memory.
	secrets := auth.NewSecrets(box)
	authn.UseSecrets(secrets)

	bus, err := openBus(cfg, log)
	if err != nil {
		return err
	}
	defer bus.Close()
	events := newPlatformEvents(bus, q, log)
	// Durable background work; areas add their workers before it starts below.
	queue, err := jobs.New(pool, log, jobs.Options{})
	if err != nil {
		return err
	}

	webhooks := webhook.New(pool, box, queue, webhook.Options{AllowPrivate: cfg.WebhookAllowPrivate, RetryBase: cfg.WebhookRetryBase, Log: log})
	jobs.Add(queue, &webhook.Worker{S: webhooks})
	if err := webhooks.Follow(bus); err != nil {
		return err
	}
	imAccounts := account.New(pool, authn, account.Options{Deletions: events, Events: webhooks})
	demoService := demo.New(pool, authn.Tokens(), imAccounts, cfg.DemoPassword)
	demoService.Secrets = secrets
	pushService, err := newPush(pool, cfg, queue, box, log)
	if err != nil {
		return err
	}
	// Every instance delivers pushes, whichever routes it serves: the jobs are in the database.
	jobs.Add(queue, pushService.Worker())
	sender, err := mail.New(cfg.SMTP, q, log)
	if err != nil {
		return err
	}
	tenants := tenant.New(pool, authn.Tokens(), sender, tenant.Options{CheckCaptcha: cfg.CaptchaEnabled, Apps: events, Secrets: secrets})
	blobs, err := openBlobs(ctx, cfg)
	if err != nil {
		return err
	}
	files := file.New(pool, blobs, file.Config{MaxBytes: cfg.FileMaxBytes, ThumbMaxPixels: cfg.ThumbMaxPixels})
	updates := update.New(pool, blobs, update.Config{MaxBytes: cfg.UpdateMaxBytes, Box: box,
		Jobs: queue, Notifier: events, Halts: releaseHalts{webhooks}})
	// Every instance builds patches of new releases: the jobs are in the database.
	jobs.Add(queue, updates.PatchWorker())
	if err := events.follow(authn, updates); err != nil {
		return err
	}
	// Presence is shared by the instances that hold WebSockets; a message stored here goes to
	// the devices of the recipients none of them holds.
	var online *presence.Tracker
	announcer := realtime.NewAnnouncer(bus, log)
	imOptions := im.Options{RevokeWindow: cfg.IMRevokeWindow, Location: cfg.Timezone, Log: log,
		Notifier: webhooks, BeforeSend: webhooks, GroupMaxMembers: int32(cfg.IMGroupMaxMembers),
		Announcer: announcer}
	sends := newSendMetrics()
	imOptions.SendStats = sends.observe
	if cfg.Serves(config.AreaIM) {
		if online, err = presence.Start(ctx, pool, presence.Options{Log: log}); err != nil {
			return err
		}
		imOptions.Presence = online
	}
	imService := im.New(pool, imOptions)
	var hub *realtime.Hub
	var webSocket http.Handler
	if cfg.Serves(config.AreaIM) {
		if hub, err = realtime.NewHub(imService, bus, realtime.Options{Log: log, OriginPatterns: cfg.WSOrigins, Presence: online,
			MaxPerUser: int(cfg.WSMaxPerUser), MaxPerAddr: int(cfg.WSMaxPerAddr), SyncBatchBytes: int(cfg.WSSyncBatchBytes),
			SendQueueBytes: int(cfg.WSSendQueueBytes), FramesPerSecond: int(cfg.WSFramesPerSecond), FrameBurst: int(cfg.WSFrameBurst)}); err != nil {
			return err
		}
		webSocket = httpapi.IMWebSocket(authn, hub)
	}
	operations := ops.New(pool, authn.Tokens(), ops.Options{Zone: cfg.Timezone, Counters: counters(q), Tenants: events})
	if err := bootstrap(ctx, cfg, log, tenants, operations); err != nil {
		return err
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	sends.register(reg)
	if hub != nil {
		registerHubMetrics(reg, hub)
	}
	handler, err := httpapi.NewRouter(httpapi.Options{
		Log:             log,
		Auth:            authn,
		Serves:          cfg.Serves,
		CORSOrigins:     cfg.CORSOrigins,
		MaxBodyBytes:    cfg.MaxBodyBytes,
		MaxUploadBytes:  max(cfg.FileMaxBytes, cfg.UpdateMaxBytes) + 1<<20,
		PublicRateLimit: cfg.PublicRateLimit,
		Registry:        reg,
		Ready:           func(r *http.Request) error { return pool.Ping(r.Context()) },
		WebSocket:       webSocket,
		TransferTimeout: cfg.TransferTimeout,
		MetricsToken:    cfg.MetricsToken,
	}, httpapi.NewServer(httpapi.Services{Auth: authn, IM: imService, IMAccounts: imAccounts, Webhooks: webhooks, Demo: demoService, Push: pushService, Tenant: tenants, Ops: operations,
		Files: files, Updates: updates, PublicURL: cfg.PublicURL}))
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	// A slow client cannot hold a connection: the router lengthens the deadlines of uploads
	// and downloads (XUQM_TRANSFER_TIMEOUT) and clears them for the WebSocket.
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: min(10*time.Second, cfg.ReadTimeout),
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	stopMetrics := serveMetrics(cfg, reg, log, env)
	defer stopMetrics(context.WithoutCancel(ctx))
	log.Info("listening", "addr", ln.Addr().String(), "version", Version, "config", cfg)
	if env.Listening != nil {
		env.Listening(ln.Addr())
	}

	bg, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBackground()
	// Forget the nonces whose window has passed, and expired captchas, codes, reset tokens and
	// rate-limit events.
	go every(bg, log, time.Minute, "purge nonces", func(ctx context.Context) error {
		_, err := authn.PurgeNonces(ctx)
		return err
	})
	go every(bg, log, 5*time.Minute, "purge tenant data", tenants.Purge)
	offlineDone := make(chan struct{})
	if cfg.Serves(config.AreaIM) {
		go imService.RunSearchIndexer(bg)
		// The stored messages are pushed from the database, off the send path; instances
		// take turns (internal/push/offline.go).
		offline := pushService.OfflinePush(online, push.OfflineOptions{Interval: cfg.Push.OfflineInterval, Horizon: cfg.Push.OfflineHorizon})
		go func() {
			defer close(offlineDone)
			offline.Run(bg)
		}()
	} else {
		close(offlineDone)
	}
	// Not bg: stopping the background loops must not cancel running jobs; Stop below ends them.
	if err := queue.Start(context.WithoutCancel(ctx)); err != nil {
		return err
	}

	// Starting (migrations, the contract's parsing, the bootstrap) leaves some 40 MiB of
	// garbage, which a heap floor (cmd/xuqm) would let stay until the heap reached it:
	// return it, so that a fresh server holds what it keeps and no more.
	debug.FreeOSMemory()
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
	// No new sends (HTTP or WebSocket); those under way are stored, and their events
	// announced and queued to this instance's sockets, before the sockets close (1001).
	imService.StopSends()
	err = srv.Shutdown(shutdownCtx)
	stopBackground()
	if errors.Is(err, context.DeadlineExceeded) {
		log.Warn("requests still running at the shutdown deadline; closing them")
		err = srv.Close()
	}
	if drainErr := imService.Drain(shutdownCtx); drainErr != nil {
		log.Warn("IM sends still running at the shutdown deadline", "err", drainErr)
	}
	if flushErr := announcer.Flush(); flushErr != nil {
		log.Warn("flush IM announcements", "err", flushErr)
	}
	if hub != nil {
		hub.Close(shutdownCtx)
	}
	<-offlineDone // its last pass is committed or rolled back
	if online != nil {
		online.Close(shutdownCtx)
	}
	if stopErr := queue.Stop(shutdownCtx); stopErr != nil {
		log.Warn("stopping background jobs", "err", stopErr)
	}
	return err
}

// every runs job each interval until ctx ends; a failure is logged and tried again next time.
func every(ctx context.Context, log *slog.Logger, interval time.Duration, job string, fn func(context.Context) error) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := fn(ctx); err != nil && ctx.Err() == nil {
				log.Warn(job, "err", err)
			}
		}
	}
}

// counters are the other areas' figures for the operators' statistics.
func counters(q *db.Queries) ops.Counters {
	c := ops.Counters{
		Messages:    ops.MessageCounterFunc(q.CountMessagesSince),
		Groups:      ops.CounterFunc(q.CountLiveGroups),
		Files:       ops.CounterFunc(q.CountFiles),
		BytesStored: ops.CounterFunc(q.CountBytesStored),
		AppVersions: ops.CounterFunc(q.CountAllAppVersions),
		RNBundles:   ops.CounterFunc(q.CountAllRnBundles),
		PushesSent:  ops.CounterFunc(q.CountPushesSent),
	}
	// The presence the instances share: right on every instance, whichever serves IM.
	c.Online = onlineCounter{q}
	return c
}

type onlineCounter struct{ q *db.Queries }

func (o onlineCounter) OnlineConnections(ctx context.Context) (int64, error) {
	return presence.CountOnline(ctx, o.q)
}

// openBus is NATS when XUQM_NATS_URL is set (several instances), else the in-process bus.
func openBus(cfg config.Config, log *slog.Logger) (eventbus.Bus, error) {
	if cfg.NATSURL == "" {
		return eventbus.NewLocal(), nil
	}
	bus, err := eventbus.NewNATS(cfg.NATSURL, cfg.NATSPrefix, log)
	if err != nil {
		return nil, err
	}
	log.Info("event bus: NATS", "prefix", cfg.NATSPrefix)
	return bus, nil
}
