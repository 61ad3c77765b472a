// Package push keeps the devices IM users register and sends notifications to them through
// one Sender per vendor, recording each push and what became of it on every device.
package push

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/fault"
)

// The vendors a device can be reached through.
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
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Registration is a device token as the vendor's SDK gave it to the app.
type Registration struct {
	Token    string
	Platform string
	Vendor   string
}

// Target is a device a notification goes to, as a Sender sees it.
type Target struct {
	DeviceID int64
	UserID   string
	Platform string
	Token    string
}

// Notification is what a push shows on a device.
type Notification struct {
	Title      string
	Body       string
	Data       json.RawMessage // a JSON object, {} when none
	Badge      *int32
	Sound      string
	TTLSeconds *int32 // nil: the vendor's default
}

// Sender hands a notification to one vendor's gateway for one device of an app. It returns
// nil when the gateway (or its delivery queue) took it, and an error wrapping ErrInvalidToken
// when the gateway says the token is invalid or expired.
type Sender interface {
	Send(ctx context.Context, appID int64, to Target, n Notification) error
}

// ErrInvalidToken is what a Sender wraps when the vendor refuses the device token for good.
var ErrInvalidToken = errors.New("the device token is invalid or expired")

// Service registers devices and sends pushes.
type Service struct {
	pool    *pgxpool.Pool
	q       *db.Queries
	senders map[string]Sender
	now     func() time.Time
	// An app may send limit pushes per window.
	limit  int
	window time.Duration
}

// The default send rate limit of an app.
const (
	SendLimit  = 600
	SendWindow = time.Minute
)

// New returns the service. senders holds a Sender for each vendor whose credentials are
// configured; deliveries through any other vendor fail with that reason.
func New(pool *pgxpool.Pool, senders map[string]Sender) *Service {
	return &Service{pool: pool, q: db.New(pool), senders: senders, now: time.Now, limit: SendLimit, window: SendWindow}
}

// Register records the calling IM user's device. A token registered already for the app
// moves to the caller, keeping its id.
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
	sum := sha256.Sum256([]byte(r.Token))
	row, err := s.q.UpsertPushDevice(ctx, db.UpsertPushDeviceParams{
		AppID: p.App.ID, UserID: p.UserID, Platform: r.Platform, Vendor: r.Vendor,
		DeviceToken: r.Token, TokenHash: hex.EncodeToString(sum[:]),
	})
	if err != nil {
		return Device{}, fault.Wrap(err, "register device")
	}
	return Device{
		ID: row.ID, UserID: row.UserID, Platform: row.Platform, Vendor: row.Vendor,
		Token: MaskToken(row.DeviceToken), CreatedAt: row.CreatedAt, UpdatedAt: row.UpdatedAt,
	}, nil
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
