package push

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/postgres"
)

// Limits of a push, as the contract states them.
const (
	MaxUsers = 1000
	MaxTitle = 256  // characters
	MaxBody  = 4096 // characters
	MaxData  = 4096 // bytes of the encoded JSON object
	MaxSound = 256
	MaxBadge = 99999
	MaxTTL   = 2419200 // seconds: 28 days
)

// deliverers is how many devices are handed on at once.
const deliverers = 8

var userIDPattern = regexp.MustCompile(`^[A-Za-z0-9_.@-]{1,64}$`)

// Push is a notification for some users of an app.
type Push struct {
	UserIDs []string
	Notification
}

// Result is what became of a push.
type Result struct {
	PushID    int64
	Requested int
	Devices   int
	Accepted  int
	Failed    int
	CreatedAt time.Time
}

// The statuses of a delivery.
const (
	Accepted = "ACCEPTED"
	Failed   = "FAILED"
)

func (p *Push) check() error {
	switch {
	case len(p.UserIDs) == 0 || len(p.UserIDs) > MaxUsers:
		return fault.InvalidField("userIds", "name 1 to %d users", MaxUsers)
	case p.Title == "" || utf8.RuneCountInString(p.Title) > MaxTitle:
		return fault.InvalidField("title", "1 to %d characters", MaxTitle)
	case p.Body == "" || utf8.RuneCountInString(p.Body) > MaxBody:
		return fault.InvalidField("body", "1 to %d characters", MaxBody)
	case len(p.Sound) > MaxSound:
		return fault.InvalidField("sound", "at most %d bytes", MaxSound)
	case p.Badge != nil && (*p.Badge < 0 || *p.Badge > MaxBadge):
		return fault.InvalidField("badge", "0 to %d", MaxBadge)
	case p.TTLSeconds != nil && (*p.TTLSeconds < 0 || *p.TTLSeconds > MaxTTL):
		return fault.InvalidField("ttlSeconds", "0 to %d", MaxTTL)
	}
	seen := make(map[string]bool, len(p.UserIDs))
	for _, id := range p.UserIDs {
		if !userIDPattern.MatchString(id) {
			return fault.InvalidField("userIds", "%q is not a userId", id)
		}
		if seen[id] {
			return fault.InvalidField("userIds", "%s is named twice", id)
		}
		seen[id] = true
	}
	if p.Data == nil {
		p.Data = json.RawMessage(`{}`)
	}
	if len(p.Data) > MaxData {
		return fault.InvalidField("data", "at most %d bytes once encoded as JSON", MaxData)
	}
	if d := bytes.TrimSpace(p.Data); len(d) == 0 || d[0] != '{' || !json.Valid(d) {
		return fault.InvalidField("data", "must be a JSON object")
	}
	return nil
}

// delivery is what became of a push on one device.
type delivery struct {
	device db.PushDevice
	err    error
}

// Send sends a push to every registered device of its users and reports what the vendors
// did with it. Devices whose token the vendor refuses for good are unregistered.
func (s *Service) Send(ctx context.Context, p *auth.Principal, push Push) (Result, error) {
	app, err := manage(p)
	if err != nil {
		return Result{}, err
	}
	if err := push.check(); err != nil {
		return Result{}, err
	}
	now := s.now().Truncate(time.Microsecond) // as PostgreSQL keeps it
	if err := s.checkRate(ctx, app, now); err != nil {
		return Result{}, err
	}
	n := push.Notification
	row, err := s.q.InsertPush(ctx, db.InsertPushParams{
		AppID: app.ID, UserIds: push.UserIDs, Title: n.Title, Body: n.Body, Data: n.Data,
		Badge: n.Badge, Sound: n.Sound, TtlSeconds: n.TTLSeconds, CreatedAt: now,
	})
	if err != nil {
		return Result{}, fault.Wrap(err, "record push")
	}
	devices, err := s.q.ListPushDevicesOfUsers(ctx, db.ListPushDevicesOfUsersParams{AppID: app.ID, UserIds: push.UserIDs})
	if err != nil {
		return Result{}, fault.Wrap(err, "list devices")
	}
	done := s.deliver(ctx, app.ID, devices, n)

	res := Result{PushID: row.ID, Requested: len(push.UserIDs), Devices: len(done), CreatedAt: row.CreatedAt}
	rows := make([]db.InsertPushDeliveriesParams, len(done))
	var invalid []int64
	for i, d := range done {
		rows[i] = db.InsertPushDeliveriesParams{
			PushID: row.ID, DeviceID: d.device.ID, UserID: d.device.UserID, Vendor: d.device.Vendor,
			DeviceToken: MaskToken(d.device.DeviceToken), Status: Accepted,
		}
		if d.err == nil {
			res.Accepted++
			continue
		}
		res.Failed++
		rows[i].Status, rows[i].Reason = Failed, d.err.Error()
		if errors.Is(d.err, ErrInvalidToken) {
			invalid = append(invalid, d.device.ID)
		}
	}
	// The vendors have been called: what they did is recorded even if the caller has gone.
	ctx = context.WithoutCancel(ctx)
	err = postgres.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		if _, err := q.InsertPushDeliveries(ctx, rows); err != nil {
			return err
		}
		if len(invalid) > 0 {
			if err := q.DeletePushDevices(ctx, db.DeletePushDevicesParams{AppID: app.ID, Ids: invalid}); err != nil {
				return err
			}
		}
		return q.SetPushCounts(ctx, db.SetPushCountsParams{ID: row.ID, Devices: int32(res.Devices), Accepted: int32(res.Accepted), Failed: int32(res.Failed)})
	})
	if err != nil {
		return Result{}, fault.Wrap(err, "record deliveries")
	}
	return res, nil
}

// deliver hands n to every device, a few at a time, and returns what became of each, in
// the order of devices.
func (s *Service) deliver(ctx context.Context, appID int64, devices []db.PushDevice, n Notification) []delivery {
	out := make([]delivery, len(devices))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(deliverers, len(devices)) {
		wg.Go(func() {
			for i := range next {
				d := devices[i]
				out[i] = delivery{device: d, err: s.deliverOne(ctx, appID, d, n)}
			}
		})
	}
	for i := range devices {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}

func (s *Service) deliverOne(ctx context.Context, appID int64, d db.PushDevice, n Notification) error {
	sender := s.senders[d.Vendor]
	if sender == nil {
		return errors.New("no credentials are configured for " + d.Vendor)
	}
	err := sender.Send(ctx, appID, Target{DeviceID: d.ID, UserID: d.UserID, Platform: d.Platform, Token: d.DeviceToken}, n)
	if errors.Is(err, ErrInvalidToken) {
		return unregistered{err}
	}
	return err
}

// unregistered says, in the delivery's reason, that the device was unregistered.
type unregistered struct{ error }

func (e unregistered) Error() string { return e.error.Error() + "; the device was unregistered" }
func (e unregistered) Unwrap() error { return e.error }

// checkRate refuses a push while the app is over its send limit.
func (s *Service) checkRate(ctx context.Context, app *auth.App, now time.Time) error {
	at, err := s.q.NthLatestPushOfApp(ctx, db.NthLatestPushOfAppParams{AppID: app.ID, Since: now.Add(-s.window), N: int32(s.limit)})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fault.Wrap(err, "count pushes")
	}
	return fault.RateLimitedf(at.Add(s.window).Sub(now), "app %s sent %d pushes within %s; try again later", app.Key, s.limit, s.window)
}

// manage checks that p may send for the app it names: the app's tenant (not a VIEWER), an
// operator or the app's own back end.
func manage(p *auth.Principal) (*auth.App, error) {
	switch {
	case p == nil || p.App == nil:
		return nil, fault.Invalidf("name the app with the appId query parameter")
	case !p.CanManageApp(p.App.TenantID):
		return nil, fault.Forbiddenf("only the app's tenant, an operator or the app's back end may send pushes")
	case p.Kind == auth.KindTenant && p.Role == auth.RoleViewer:
		return nil, fault.Forbiddenf("a VIEWER sub-account cannot change anything")
	}
	return p.App, nil
}
