// Package push keeps the devices IM users register and the apps' vendor credentials, and
// sends notifications: a send is recorded and answered at once, and River jobs (internal/jobs)
// deliver it through each device's vendor channel (APNs, FCM, HMS), recording what became of
// it on every device.
package push

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/jobs"
	"github.com/xuqmgroup/xuqm/internal/page"
	"github.com/xuqmgroup/xuqm/internal/postgres"
	"github.com/xuqmgroup/xuqm/internal/secret"
)

// The vendors a device can be reached through. HUAWEI is HMS Push Kit, XIAOMI is MiPush.
const (
	APNS   = "APNS"
	FCM    = "FCM"
	Huawei = "HUAWEI"
	Xiaomi = "XIAOMI"
	Oppo   = "OPPO"
	Vivo   = "VIVO"
	Honor  = "HONOR"
	Meizu  = "MEIZU"
)

// The platforms of devices.
const (
	IOS     = "IOS"
	Android = "ANDROID"
)

// platformsOf are the platforms each vendor serves.
var platformsOf = map[string][]string{
	APNS: {IOS}, FCM: {IOS, Android},
	Huawei: {Android}, Xiaomi: {Android}, Oppo: {Android}, Vivo: {Android}, Honor: {Android}, Meizu: {Android},
}

// MaxToken is the longest device token accepted, in bytes.
const MaxToken = 4096

// Device is a registered device; its token is masked.
type Device struct {
	ID        int64
	UserID    string
	Platform  string
	Vendor    string
	Token     string // masked: MaskToken
	Active    bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Registration is a device token as the vendor's SDK gave it to the app.
type Registration struct {
	Token    string
	Platform string
	Vendor   string
}

// Options configure the service.
type Options struct {
	// Queue takes the delivery jobs; a push is inserted with its jobs in one transaction.
	Queue jobs.Inserter
	// Box seals the apps' vendor credentials at rest.
	Box *secret.Box
	// Endpoints are the vendors' gateways (production ones when empty).
	Endpoints Endpoints
	// RootCAs, when set, are the only authorities trusted for the gateways' TLS certificates
	// (XUQM_PUSH_CA_FILE; tests' local gateways). Nil: the system's.
	RootCAs *x509.CertPool
	Log     *slog.Logger
}

// Service registers devices, keeps credentials and sends pushes.
type Service struct {
	pool *pgxpool.Pool
	q    *db.Queries
	opts Options
	now  func() time.Time
	// An app may send limit pushes per window.
	limit  int
	window time.Duration

	channels  sync.Map // channelKey → *cachedChannel
	retryWait sync.Map // River job id → time of the retry the gateway asked for
}

// The default send rate limit of an app.
const (
	SendLimit  = 600
	SendWindow = time.Minute
)

// New returns the service.
func New(pool *pgxpool.Pool, opts Options) *Service {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	opts.Endpoints.defaults()
	return &Service{pool: pool, q: postgres.Queries(pool), opts: opts, now: time.Now, limit: SendLimit, window: SendWindow}
}

func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Register records the calling IM user's device. A token registered already for the app
// moves to the caller, keeping its id, and is active again.
func (s *Service) Register(ctx context.Context, p *auth.Principal, r Registration) (Device, error) {
	if p == nil || p.Kind != auth.KindIM || p.App == nil {
		return Device{}, fault.Forbiddenf("an IM user registers his own devices")
	}
	platforms, ok := platformsOf[r.Vendor]
	switch {
	case strings.TrimSpace(r.Token) == "":
		return Device{}, fault.InvalidField("deviceToken", "must not be blank")
	case len(r.Token) > MaxToken:
		return Device{}, fault.InvalidField("deviceToken", "at most %d bytes", MaxToken)
	case r.Platform != IOS && r.Platform != Android:
		return Device{}, fault.InvalidField("platform", "must be IOS or ANDROID")
	case !ok:
		return Device{}, fault.InvalidField("vendor", "unknown push vendor %q", r.Vendor)
	case !slices.Contains(platforms, r.Platform):
		return Device{}, fault.InvalidField("vendor", "%s does not deliver to %s devices", r.Vendor, r.Platform)
	}
	row, err := s.q.UpsertPushDevice(ctx, db.UpsertPushDeviceParams{
		AppID: p.App.ID, UserID: p.UserID, Platform: r.Platform, Vendor: r.Vendor,
		DeviceToken: r.Token, TokenHash: tokenHash(r.Token),
	})
	if err != nil {
		return Device{}, fault.Wrap(err, "register device")
	}
	return device(row), nil
}

// Unregister removes the calling IM user's device with this token.
func (s *Service) Unregister(ctx context.Context, p *auth.Principal, token string) error {
	if p == nil || p.Kind != auth.KindIM || p.App == nil {
		return fault.Forbiddenf("an IM user unregisters his own devices")
	}
	if token == "" || len(token) > MaxToken {
		return fault.InvalidField("deviceToken", "1 to %d bytes", MaxToken)
	}
	n, err := s.q.DeleteUserPushDevice(ctx, db.DeleteUserPushDeviceParams{AppID: p.App.ID, UserID: p.UserID, TokenHash: tokenHash(token)})
	if err != nil {
		return fault.Wrap(err, "unregister device")
	}
	if n == 0 {
		return fault.NotFoundf("you have no device with this token")
	}
	return nil
}

// Devices lists a user's devices for the app's tenant, an operator or the app's back end.
func (s *Service) Devices(ctx context.Context, p *auth.Principal, userID string, r page.Request) (page.Page[Device], error) {
	app, err := read(p)
	if err != nil {
		return page.Page[Device]{}, err
	}
	if !userIDPattern.MatchString(userID) {
		return page.Page[Device]{}, fault.InvalidField("userId", "%q is not a userId", userID)
	}
	rows, err := s.q.ListUserPushDevices(ctx, db.ListUserPushDevicesParams{AppID: app.ID, UserID: userID, MaxRows: r.Limit(), Skip: r.Offset()})
	if err != nil {
		return page.Page[Device]{}, fault.Wrap(err, "list devices")
	}
	total, err := s.q.CountUserPushDevices(ctx, db.CountUserPushDevicesParams{AppID: app.ID, UserID: userID})
	if err != nil {
		return page.Page[Device]{}, fault.Wrap(err, "count devices")
	}
	out := make([]Device, len(rows))
	for i, row := range rows {
		out[i] = device(row)
	}
	return page.Of(r, out, total), nil
}

func device(row db.PushDevice) Device {
	return Device{
		ID: row.ID, UserID: row.UserID, Platform: row.Platform, Vendor: row.Vendor, Active: row.Active,
		Token: MaskToken(row.DeviceToken), CreatedAt: row.CreatedAt, UpdatedAt: row.UpdatedAt,
	}
}

// MaskToken shows a token's first 4 and last 4 characters around ****; a token too short for
// that is all masked.
func MaskToken(token string) string {
	r := []rune(token)
	if len(r) <= 12 {
		return "****"
	}
	return string(r[:4]) + "****" + string(r[len(r)-4:])
}

// manage checks that p may send for the app it names: the app's tenant (not a VIEWER), an
// operator or the app's own back end.
func manage(p *auth.Principal) (*auth.App, error) {
	app, err := read(p)
	if err == nil && p.Kind == auth.KindTenant && p.Role == auth.RoleViewer {
		return nil, fault.Forbiddenf("a VIEWER sub-account cannot change anything")
	}
	return app, err
}

// read checks that p may look at the app's pushes and devices: the app's tenant, an operator
// or the app's own back end.
func read(p *auth.Principal) (*auth.App, error) {
	switch {
	case p == nil || p.App == nil:
		return nil, fault.Invalidf("name the app with the appId query parameter")
	case !p.CanManageApp(p.App.TenantID):
		return nil, fault.Forbiddenf("only the app's tenant, an operator or the app's back end may do this")
	}
	return p.App, nil
}
