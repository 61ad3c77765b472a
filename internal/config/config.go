// Package config reads the server's settings from the environment (README.md, "Configuration").
// Load is given the lookup function rather than reading os.Getenv itself, so that tests and
// cmd/xuqm's flags can supply values without touching the process environment.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/xuqmgroup/xuqm/internal/secret"

	// Embedded zone data: XUQM_TIMEZONE must work in slim containers without /usr/share/zoneinfo.
	_ "time/tzdata"
)

// Defaults for the demo app's credentials, cited by the README. They only protect sample data,
// and a deployment that cares sets its own.
const (
	DefaultDemoAppSecret = "demo-app-secret-change-me"
	DefaultDemoPassword  = "Demo@123456"
	DefaultAdminPassword = "Admin@123456"
)

// The route groups an instance can serve (XUQM_SERVICES).
const (
	AreaTenant = "tenant"
	AreaOps    = "ops"
	AreaDemo   = "demo"
	AreaIM     = "im"
	AreaPush   = "push"
	AreaFile   = "file"
	AreaUpdate = "update"
)

// Areas lists every route group in a fixed order; "all" in XUQM_SERVICES means these. They are
// the x-area values of the contract's tags (openapi/openapi.yaml), from which the gate routes;
// TestAreasAreTheContractsTagAreas keeps the two equal.
var Areas = []string{AreaTenant, AreaOps, AreaDemo, AreaIM, AreaPush, AreaFile, AreaUpdate}

// Log formats (XUQM_LOG_FORMAT).
const (
	LogText = "text"
	LogJSON = "json"
)

// SMTPTLS is how the mail client secures its connection (XUQM_SMTP_TLS).
type SMTPTLS string

const (
	SMTPTLSNone     SMTPTLS = "none"
	SMTPTLSStartTLS SMTPTLS = "starttls"
	SMTPTLSImplicit SMTPTLS = "tls"
)

// SMTP is the outgoing mail server. An empty Addr means no server: mail goes to the log and the
// outbox table.
type SMTP struct {
	Addr     string // host:port
	User     string
	Password string
	From     string
	TLS      SMTPTLS
}

// Enabled reports whether mail is sent over SMTP.
func (s SMTP) Enabled() bool { return s.Addr != "" }

// S3 is S3-compatible blob storage, for several instances sharing their blobs. An empty Endpoint
// means none: blobs go to a directory under DataDir.
type S3 struct {
	Endpoint  string // XUQM_S3_ENDPOINT: host[:port], no scheme
	Bucket    string // XUQM_S3_BUCKET
	AccessKey string // XUQM_S3_ACCESS_KEY
	SecretKey string // XUQM_S3_SECRET_KEY
	UseSSL    bool   // XUQM_S3_USE_SSL on|off
}

// Enabled reports whether blobs go to S3.
func (s S3) Enabled() bool { return s.Endpoint != "" }

// Config is every setting of the server, parsed and validated.
type Config struct {
	Addr        string // XUQM_ADDR
	DatabaseURL string // DATABASE_URL; empty: see postgres.Open
	DataDir     string // XUQM_DATA_DIR
	S3          S3     // XUQM_S3_*; unset: blobs under DataDir
	// Services is the set of areas this instance serves (XUQM_SERVICES); use Serves.
	Services map[string]bool

	JWTSecret string // XUQM_JWT_SECRET; empty: generated once and kept in the database
	// SecretKey seals credentials at rest (XUQM_SECRET_KEY: 32 bytes as hex or base64); empty:
	// generated once and kept in the database, as the JWT key is.
	SecretKey     string
	AdminPassword string // XUQM_ADMIN_PASSWORD
	DemoAppSecret string // XUQM_DEMO_APP_SECRET
	DemoPassword  string // XUQM_DEMO_PASSWORD

	SMTP           SMTP
	Push           Push
	CaptchaEnabled bool   // XUQM_CAPTCHA on|off
	NATSURL        string // XUQM_NATS_URL; empty: in-process event bus
	// NATSPrefix namespaces the bus's subjects (XUQM_NATS_PREFIX), so that deployments can
	// share a NATS server.
	NATSPrefix string
	// Timezone is the zone of zone-less time filters (XUQM_TIMEZONE).
	Timezone *time.Location

	LogLevel  slog.Level // XUQM_LOG_LEVEL: debug, info, warn, error
	LogFormat string     // XUQM_LOG_FORMAT: LogText or LogJSON

	// CORSOrigins are the browser origins allowed by CORS; empty sends no CORS headers, "*" any.
	CORSOrigins []string
	// WSOrigins are the origin patterns (host globs, as coder/websocket's OriginPatterns) a
	// WebSocket upgrade may come from.
	WSOrigins []string

	// WSMaxPerUser is how many WebSockets one IM user may hold at once (XUQM_WS_MAX_PER_USER):
	// one more closes his oldest. WSMaxPerAddr is how many one client address may hold
	// (XUQM_WS_MAX_PER_ADDR): one more is refused.
	WSMaxPerUser int64
	WSMaxPerAddr int64
	// WSSyncBatchBytes is the byte budget of one page of events a WebSocket sync reads and
	// queues (XUQM_WS_SYNC_BATCH_BYTES); a page holds at least one event.
	WSSyncBatchBytes int64
	// WSSendQueueBytes bounds the bytes waiting to be written to one WebSocket
	// (XUQM_WS_SEND_QUEUE_BYTES); past it the connection is closed (1013) and the client syncs.
	WSSendQueueBytes int64
	// WSFramesPerSecond and WSFrameBurst are the bucket of frames one WebSocket client may
	// send (XUQM_WS_FRAMES_PER_SECOND, XUQM_WS_FRAME_BURST): frames past it are refused (429);
	// a client that goes on regardless is closed (1008).
	WSFramesPerSecond int64
	WSFrameBurst      int64

	// PublicRateLimit is how many requests a second one client address may make to the
	// public routes (XUQM_PUBLIC_RATE_LIMIT, bursts of twice that); 0 turns the limit off.
	PublicRateLimit int64

	MaxBodyBytes   int64 // XUQM_MAX_BODY_BYTES: JSON request bodies
	FileMaxBytes   int64 // XUQM_FILE_MAX_BYTES: uploads
	ThumbMaxPixels int64 // XUQM_THUMB_MAX_PIXELS: larger images get no thumbnail
	UpdateMaxBytes int64 // XUQM_UPDATE_MAX_BYTES: APK and bundle uploads

	IMRevokeWindow time.Duration // XUQM_IM_REVOKE_WINDOW
	// WebhookAllowPrivate lets webhooks reach loopback, private and link-local addresses
	// (XUQM_WEBHOOK_ALLOW_PRIVATE; tests and closed networks).
	WebhookAllowPrivate bool
	// IMGroupMaxMembers is the most members a group may have (XUQM_IM_GROUP_MAX_MEMBERS).
	IMGroupMaxMembers int64
	// WebhookRetryBase is the first retry delay of a failed delivery (XUQM_WEBHOOK_RETRY_BASE);
	// later ones grow from it (×6, ×30, ×180, ×720).
	WebhookRetryBase time.Duration
	TokenTTL         time.Duration // XUQM_TOKEN_TTL
	PublicURL        string        // XUQM_PUBLIC_URL, no trailing slash: base of download URLs
	ShutdownTimeout  time.Duration // XUQM_SHUTDOWN_TIMEOUT

	// Server timeouts. ReadTimeout and WriteTimeout hold for ordinary requests; uploads and
	// downloads (multipart bodies, files, APKs, bundles) get TransferTimeout instead, and the
	// WebSocket none (it has its own pings).
	ReadTimeout     time.Duration // XUQM_READ_TIMEOUT: reading a request, body included
	WriteTimeout    time.Duration // XUQM_WRITE_TIMEOUT: from the end of the headers to the end of the answer
	IdleTimeout     time.Duration // XUQM_IDLE_TIMEOUT: a kept-alive connection between requests
	TransferTimeout time.Duration // XUQM_TRANSFER_TIMEOUT: an upload or a download

	// MetricsAddr is where Prometheus /metrics is served, apart from the API
	// (XUQM_METRICS_ADDR; "off": nowhere apart). MetricsToken, when set, also opens /metrics on
	// the API's listener to `Authorization: Bearer <token>` (XUQM_METRICS_TOKEN).
	MetricsAddr  string
	MetricsToken string
}

// Push is where push notifications are delivered: the vendors' gateways (empty: their
// production hosts), so that a proxy, or a test's local servers, can stand in for them.
type Push struct {
	APNsHost    string // XUQM_APNS_HOST: replaces api.push.apple.com and its sandbox
	FCMHost     string // XUQM_FCM_HOST: https://fcm.googleapis.com
	FCMTokenURL string // XUQM_FCM_TOKEN_URL: replaces the service account's token_uri
	HMSHost     string // XUQM_HMS_HOST: https://push-api.cloud.huawei.com
	HMSTokenURL string // XUQM_HMS_TOKEN_URL: https://oauth-login.cloud.huawei.com/oauth2/v3/token
	// CAFile, when set, is a PEM file of the only certificate authorities trusted for the
	// gateways (XUQM_PUSH_CA_FILE).
	CAFile string
	// OfflineInterval is how often the offline push of IM messages looks for new ones
	// (XUQM_PUSH_OFFLINE_INTERVAL); OfflineHorizon is the age past which a message it has
	// not pushed yet (the server was down) is not pushed at all (XUQM_PUSH_OFFLINE_HORIZON).
	OfflineInterval time.Duration
	OfflineHorizon  time.Duration
}

// Serves reports whether this instance serves the routes of area (one of Areas).
func (c Config) Serves(area string) bool { return c.Services[area] }

// Load reads the settings through getenv (os.Getenv in production) and validates them. The error
// names every variable that is wrong, not only the first.
func Load(getenv func(string) string) (Config, error) {
	r := reader{getenv: getenv}
	c := Config{
		Addr:        r.str("XUQM_ADDR", ":8080"),
		DatabaseURL: r.str("DATABASE_URL", ""),
		DataDir:     r.str("XUQM_DATA_DIR", "./data"),
		S3:          r.s3(),
		Services:    r.services("XUQM_SERVICES"),

		JWTSecret:     r.str("XUQM_JWT_SECRET", ""),
		SecretKey:     r.str("XUQM_SECRET_KEY", ""),
		AdminPassword: r.str("XUQM_ADMIN_PASSWORD", DefaultAdminPassword),
		DemoAppSecret: r.str("XUQM_DEMO_APP_SECRET", DefaultDemoAppSecret),
		DemoPassword:  r.str("XUQM_DEMO_PASSWORD", DefaultDemoPassword),

		SMTP:           r.smtp(),
		CaptchaEnabled: r.onOff("XUQM_CAPTCHA", true),
		Push: Push{
			APNsHost: r.str("XUQM_APNS_HOST", ""), FCMHost: r.str("XUQM_FCM_HOST", ""),
			FCMTokenURL: r.str("XUQM_FCM_TOKEN_URL", ""), HMSHost: r.str("XUQM_HMS_HOST", ""),
			HMSTokenURL: r.str("XUQM_HMS_TOKEN_URL", ""), CAFile: r.str("XUQM_PUSH_CA_FILE", ""),
			OfflineInterval: r.duration("XUQM_PUSH_OFFLINE_INTERVAL", 500*time.Millisecond),
			OfflineHorizon:  r.duration("XUQM_PUSH_OFFLINE_HORIZON", 10*time.Minute),
		},
		NATSURL:    r.str("XUQM_NATS_URL", ""),
		NATSPrefix: r.str("XUQM_NATS_PREFIX", "xuqm"),
		Timezone:   r.location("XUQM_TIMEZONE", "Asia/Shanghai"),

		LogLevel:  r.logLevel("XUQM_LOG_LEVEL", slog.LevelInfo),
		LogFormat: r.oneOf("XUQM_LOG_FORMAT", LogText, LogText, LogJSON),

		CORSOrigins: r.list("XUQM_CORS_ORIGINS", ""),
		WSOrigins:   r.list("XUQM_WS_ORIGINS", "*"),

		PublicRateLimit:   r.count("XUQM_PUBLIC_RATE_LIMIT", 100),
		WSMaxPerUser:      r.count("XUQM_WS_MAX_PER_USER", 10),
		WSMaxPerAddr:      r.count("XUQM_WS_MAX_PER_ADDR", 1000),
		WSSyncBatchBytes:  r.size("XUQM_WS_SYNC_BATCH_BYTES", 1<<20),
		WSSendQueueBytes:  r.size("XUQM_WS_SEND_QUEUE_BYTES", 1<<20),
		WSFramesPerSecond: r.count("XUQM_WS_FRAMES_PER_SECOND", 50),
		WSFrameBurst:      r.count("XUQM_WS_FRAME_BURST", 100),

		MaxBodyBytes:   r.size("XUQM_MAX_BODY_BYTES", 1<<20),
		FileMaxBytes:   r.size("XUQM_FILE_MAX_BYTES", 100<<20),
		ThumbMaxPixels: r.size("XUQM_THUMB_MAX_PIXELS", 40_000_000),
		UpdateMaxBytes: r.size("XUQM_UPDATE_MAX_BYTES", 1<<30),

		IMRevokeWindow:      r.duration("XUQM_IM_REVOKE_WINDOW", 2*time.Minute),
		WebhookAllowPrivate: r.onOff("XUQM_WEBHOOK_ALLOW_PRIVATE", false),
		IMGroupMaxMembers:   r.count("XUQM_IM_GROUP_MAX_MEMBERS", 2000),
		WebhookRetryBase:    r.duration("XUQM_WEBHOOK_RETRY_BASE", 10*time.Second),
		TokenTTL:            r.duration("XUQM_TOKEN_TTL", 24*time.Hour),
		PublicURL:           r.publicURL("XUQM_PUBLIC_URL", "http://localhost:8080"),
		ShutdownTimeout:     r.duration("XUQM_SHUTDOWN_TIMEOUT", 15*time.Second),

		ReadTimeout:     r.duration("XUQM_READ_TIMEOUT", 30*time.Second),
		WriteTimeout:    r.duration("XUQM_WRITE_TIMEOUT", time.Minute),
		IdleTimeout:     r.duration("XUQM_IDLE_TIMEOUT", 2*time.Minute),
		TransferTimeout: r.duration("XUQM_TRANSFER_TIMEOUT", 30*time.Minute),

		MetricsAddr:  r.str("XUQM_METRICS_ADDR", "127.0.0.1:9090"),
		MetricsToken: r.str("XUQM_METRICS_TOKEN", ""),
	}
	if c.MetricsAddr != "off" && c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			r.fail("XUQM_METRICS_ADDR", c.MetricsAddr, "want host:port, :port or off")
		}
	}
	if c.Addr != "" {
		if _, _, err := net.SplitHostPort(c.Addr); err != nil {
			r.fail("XUQM_ADDR", c.Addr, "want host:port or :port")
		}
	}
	if c.DataDir == "" {
		r.fail("XUQM_DATA_DIR", "", "must not be empty")
	}
	if c.AdminPassword == "" {
		r.fail("XUQM_ADMIN_PASSWORD", "", "must not be empty")
	}
	if c.JWTSecret != "" && len(c.JWTSecret) < 32 {
		r.fail("XUQM_JWT_SECRET", "(hidden)", "must be at least 32 bytes, or unset to have one generated")
	}
	if c.SecretKey != "" {
		if _, err := secret.ParseKey(c.SecretKey); err != nil {
			r.fail("XUQM_SECRET_KEY", "(hidden)", "must be 32 bytes as 64 hex digits or base64, or unset to have one generated")
		}
	}
	if err := errors.Join(r.errs...); err != nil {
		return Config{}, err
	}
	return c, nil
}

// LogValue keeps secrets out of the log when the configuration is logged at start-up.
func (c Config) LogValue() slog.Value {
	services := make([]string, 0, len(Areas))
	for _, a := range Areas {
		if c.Serves(a) {
			services = append(services, a)
		}
	}
	return slog.GroupValue(
		slog.String("addr", c.Addr),
		slog.Bool("databaseURL", c.DatabaseURL != ""),
		slog.String("dataDir", c.DataDir),
		slog.String("s3", c.S3.Endpoint),
		slog.String("services", strings.Join(services, ",")),
		slog.Bool("jwtSecret", c.JWTSecret != ""),
		slog.Bool("secretKey", c.SecretKey != ""),
		slog.String("smtp", c.SMTP.Addr),
		slog.Bool("captcha", c.CaptchaEnabled),
		slog.Bool("nats", c.NATSURL != ""),
		slog.String("timezone", c.Timezone.String()),
		slog.String("publicURL", c.PublicURL),
		slog.String("metricsAddr", c.MetricsAddr),
		slog.Bool("metricsToken", c.MetricsToken != ""),
	)
}

func (r *reader) services(name string) map[string]bool {
	set := make(map[string]bool, len(Areas))
	names := r.list(name, "all")
	if len(names) == 0 {
		r.fail(name, "", `name at least one of `+strings.Join(Areas, ", ")+` or "all"`)
	}
	for _, n := range names {
		n = strings.ToLower(n)
		switch {
		case n == "all":
			for _, a := range Areas {
				set[a] = true
			}
		case slices.Contains(Areas, n):
			set[n] = true
		default:
			r.fail(name, n, "unknown service; want "+strings.Join(Areas, ", ")+` or "all"`)
		}
	}
	return set
}

func (r *reader) smtp() SMTP {
	s := SMTP{
		Addr:     r.str("XUQM_SMTP_ADDR", ""),
		User:     r.str("XUQM_SMTP_USER", ""),
		Password: r.str("XUQM_SMTP_PASSWORD", ""),
		From:     r.str("XUQM_SMTP_FROM", ""),
	}
	// Port 465 is SMTP over TLS by convention (RFC 8314); every other port starts plain and
	// upgrades.
	def := string(SMTPTLSStartTLS)
	if _, port, err := net.SplitHostPort(s.Addr); err == nil && port == "465" {
		def = string(SMTPTLSImplicit)
	}
	s.TLS = SMTPTLS(r.oneOf("XUQM_SMTP_TLS", def,
		string(SMTPTLSNone), string(SMTPTLSStartTLS), string(SMTPTLSImplicit)))
	if s.Addr == "" {
		return s
	}
	if host, port, err := net.SplitHostPort(s.Addr); err != nil || host == "" || port == "" {
		r.fail("XUQM_SMTP_ADDR", s.Addr, "want host:port")
	}
	if s.From == "" {
		s.From = s.User
	}
	if !strings.Contains(s.From, "@") {
		r.fail("XUQM_SMTP_FROM", s.From, "want a mail address (it defaults to XUQM_SMTP_USER)")
	}
	return s
}

func (r *reader) s3() S3 {
	s := S3{
		Endpoint:  r.str("XUQM_S3_ENDPOINT", ""),
		Bucket:    r.str("XUQM_S3_BUCKET", ""),
		AccessKey: r.str("XUQM_S3_ACCESS_KEY", ""),
		SecretKey: r.str("XUQM_S3_SECRET_KEY", ""),
		UseSSL:    r.onOff("XUQM_S3_USE_SSL", true),
	}
	if s.Endpoint == "" {
		return s
	}
	if strings.Contains(s.Endpoint, "://") || strings.Contains(s.Endpoint, "/") {
		r.fail("XUQM_S3_ENDPOINT", s.Endpoint, "want host or host:port, without a scheme (XUQM_S3_USE_SSL chooses https)")
	}
	if s.Bucket == "" {
		r.fail("XUQM_S3_BUCKET", "", "must be set when XUQM_S3_ENDPOINT is")
	}
	if (s.AccessKey == "") != (s.SecretKey == "") {
		r.fail("XUQM_S3_ACCESS_KEY", "", "set both XUQM_S3_ACCESS_KEY and XUQM_S3_SECRET_KEY, or neither")
	}
	return s
}

func (r *reader) location(name, def string) *time.Location {
	v := r.str(name, def)
	loc, err := time.LoadLocation(v)
	if err != nil {
		r.fail(name, v, "unknown time zone; want an IANA name such as Asia/Shanghai or UTC")
		return time.UTC
	}
	return loc
}

func (r *reader) logLevel(name string, def slog.Level) slog.Level {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(v)); err != nil {
		r.fail(name, v, "want debug, info, warn or error")
		return def
	}
	return l
}

// fmtErr is shared by every check so that all messages read alike.
func fmtErr(name, value, why string) error {
	if value == "" {
		return fmt.Errorf("config: %s: %s", name, why)
	}
	return fmt.Errorf("config: %s=%q: %s", name, value, why)
}
