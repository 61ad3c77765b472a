package push

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/page"
	"github.com/xuqmgroup/xuqm/internal/postgres"
)

// Limits of a push, as the contract states them.
const (
	MaxUsers    = 1000 // userIds or deviceTokens
	MaxTitle    = 256  // characters
	MaxBody     = 4096 // characters
	MaxData     = 4096 // bytes of the encoded JSON object
	MaxSound    = 256
	MaxBadge    = 99999
	MaxTTL      = 2419200 // seconds: 28 days
	MaxCollapse = 64      // bytes: APNs' limit of apns-collapse-id
)

// jobDevices is how many devices one delivery job takes: enough that a job's rows are read
// and written in a few statements, few enough that a retry repeats little.
const jobDevices = 100

var userIDPattern = regexp.MustCompile(`^[A-Za-z0-9_.@-]{1,64}$`)

// Push is a notification for some users, or some devices, of an app.
type Push struct {
	UserIDs      []string
	DeviceTokens []string
	Notification
}

// Result is what became of a push so far.
type Result struct {
	PushID    int64
	Requested int
	Devices   int
	Queued    int
	Accepted  int
	Failed    int
	CreatedAt time.Time
}

// The statuses of a delivery.
const (
	Queued   = "QUEUED"
	Accepted = "ACCEPTED"
	Failed   = "FAILED"
)

// Where a push comes from.
const (
	sourceAPI = "API"
	sourceIM  = "IM"
)

func (p *Push) check() error {
	n := len(p.UserIDs) + len(p.DeviceTokens)
	switch {
	case len(p.UserIDs) > 0 && len(p.DeviceTokens) > 0:
		return fault.InvalidField("userIds", "name userIds or deviceTokens, not both")
	case n == 0 || n > MaxUsers:
		return fault.InvalidField("userIds", "name 1 to %d users (or deviceTokens)", MaxUsers)
	}
	if err := p.Notification.check(); err != nil {
		return err
	}
	seen := make(map[string]bool, n)
	for _, id := range p.UserIDs {
		if !userIDPattern.MatchString(id) {
			return fault.InvalidField("userIds", "%q is not a userId", id)
		}
		if seen[id] {
			return fault.InvalidField("userIds", "%s is named twice", id)
		}
		seen[id] = true
	}
	for _, t := range p.DeviceTokens {
		if t == "" || len(t) > MaxToken {
			return fault.InvalidField("deviceTokens", "each 1 to %d bytes", MaxToken)
		}
		if seen[t] {
			return fault.InvalidField("deviceTokens", "a token is named twice")
		}
		seen[t] = true
	}
	return nil
}

func (n *Notification) check() error {
	switch {
	case n.Title == "" || utf8.RuneCountInString(n.Title) > MaxTitle:
		return fault.InvalidField("title", "1 to %d characters", MaxTitle)
	case n.Body == "" || utf8.RuneCountInString(n.Body) > MaxBody:
		return fault.InvalidField("body", "1 to %d characters", MaxBody)
	case len(n.Sound) > MaxSound:
		return fault.InvalidField("sound", "at most %d bytes", MaxSound)
	case len(n.CollapseID) > MaxCollapse:
		return fault.InvalidField("collapseId", "at most %d bytes", MaxCollapse)
	case n.Badge != nil && (*n.Badge < 0 || *n.Badge > MaxBadge):
		return fault.InvalidField("badge", "0 to %d", MaxBadge)
	case n.TTLSeconds != nil && (*n.TTLSeconds < 0 || *n.TTLSeconds > MaxTTL):
		return fault.InvalidField("ttlSeconds", "0 to %d", MaxTTL)
	}
	if n.Data == nil {
		n.Data = json.RawMessage(`{}`)
	}
	if len(n.Data) > MaxData {
		return fault.InvalidField("data", "at most %d bytes once encoded as JSON", MaxData)
	}
	if d := bytes.TrimSpace(n.Data); len(d) == 0 || d[0] != '{' || !json.Valid(d) {
		return fault.InvalidField("data", "must be a JSON object")
	}
	return nil
}

// Send records a push for its devices and queues its delivery; the workers do the rest.
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
	return s.enqueue(ctx, app.ID, sourceAPI, push, now)
}

// enqueue stores the push, one queued delivery per device, and the jobs that deliver them,
// in one transaction: a push is queued exactly when it is recorded.
func (s *Service) enqueue(ctx context.Context, appID int64, source string, push Push, now time.Time) (Result, error) {
	var res Result
	err := postgres.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		res, err = s.enqueueTx(ctx, tx, appID, source, push, now)
		return err
	})
	if err != nil {
		return Result{}, fault.Wrap(err, "queue push")
	}
	return res, nil
}

// enqueueTx is enqueue in the caller's transaction. A push from IM that reaches no device
// writes nothing and returns errNoDevices.
func (s *Service) enqueueTx(ctx context.Context, tx pgx.Tx, appID int64, source string, push Push, now time.Time) (Result, error) {
	n := push.Notification
	q := postgres.Queries(tx)
	var devices []db.PushDevice
	var err error
	if len(push.DeviceTokens) > 0 {
		hashes := make([]string, len(push.DeviceTokens))
		for i, t := range push.DeviceTokens {
			hashes[i] = tokenHash(t)
		}
		devices, err = q.ListPushDevicesByTokens(ctx, db.ListPushDevicesByTokensParams{AppID: appID, TokenHashes: hashes})
	} else {
		devices, err = q.ListPushDevicesOfUsers(ctx, db.ListPushDevicesOfUsersParams{AppID: appID, UserIds: push.UserIDs})
	}
	if err != nil {
		return Result{}, err
	}
	if len(devices) == 0 && source == sourceIM { // nothing to record of a message's push that reaches nobody
		return Result{}, errNoDevices
	}
	userIDs := push.UserIDs
	if userIDs == nil {
		userIDs = []string{}
	}
	row, err := q.InsertPush(ctx, db.InsertPushParams{
		AppID: appID, Source: source, UserIds: userIDs, Requested: int32(len(push.UserIDs) + len(push.DeviceTokens)),
		Title: n.Title, Body: n.Body, Data: n.Data, Badge: n.Badge, Sound: n.Sound, TtlSeconds: n.TTLSeconds,
		CollapseID: n.CollapseID, CreatedAt: now,
	})
	if err != nil {
		return Result{}, err
	}
	res := Result{PushID: row.ID, Requested: len(push.UserIDs) + len(push.DeviceTokens), Devices: len(devices), Queued: len(devices), CreatedAt: row.CreatedAt}
	if len(devices) == 0 {
		return res, nil
	}
	rows := make([]db.InsertPushDeliveriesParams, len(devices))
	for i, d := range devices {
		rows[i] = db.InsertPushDeliveriesParams{
			PushID: row.ID, DeviceID: d.ID, UserID: d.UserID, Vendor: d.Vendor,
			DeviceToken: MaskToken(d.DeviceToken), Status: Queued,
		}
	}
	if _, err := q.InsertPushDeliveries(ctx, rows); err != nil {
		return Result{}, err
	}
	if err := q.SetPushDevices(ctx, db.SetPushDevicesParams{ID: row.ID, Devices: int32(len(devices))}); err != nil {
		return Result{}, err
	}
	var jobs []river.InsertManyParams
	for start := 0; start < len(devices); start += jobDevices {
		ids := make([]int64, 0, jobDevices)
		for _, d := range devices[start:min(start+jobDevices, len(devices))] {
			ids = append(ids, d.ID)
		}
		jobs = append(jobs, river.InsertManyParams{Args: DeliverArgs{PushID: row.ID, AppID: appID, DeviceIDs: ids}})
	}
	if _, err := s.opts.Queue.InsertManyTx(ctx, tx, jobs); err != nil {
		return Result{}, err
	}
	return res, nil
}

// Get is a push of the app with its counts as they are now.
func (s *Service) Get(ctx context.Context, p *auth.Principal, pushID string) (Result, error) {
	row, err := s.push(ctx, p, pushID)
	if err != nil {
		return Result{}, err
	}
	return Result{
		PushID: row.ID, Requested: int(row.Requested), Devices: int(row.Devices),
		Queued: int(row.Devices - row.Accepted - row.Failed), Accepted: int(row.Accepted), Failed: int(row.Failed),
		CreatedAt: row.CreatedAt,
	}, nil
}

// Delivery is what became of a push on one device.
type Delivery struct {
	DeviceID   int64
	UserID     string
	Vendor     string
	Token      string // masked
	Status     string
	Reason     string
	Attempts   int
	ProviderID string
	UpdatedAt  time.Time
}

// Deliveries pages through a push's deliveries, in device order.
func (s *Service) Deliveries(ctx context.Context, p *auth.Principal, pushID string, r page.Request) (page.Page[Delivery], error) {
	row, err := s.push(ctx, p, pushID)
	if err != nil {
		return page.Page[Delivery]{}, err
	}
	rows, err := s.q.ListPushDeliveries(ctx, db.ListPushDeliveriesParams{PushID: row.ID, MaxRows: r.Limit(), Skip: r.Offset()})
	if err != nil {
		return page.Page[Delivery]{}, fault.Wrap(err, "list deliveries")
	}
	out := make([]Delivery, len(rows))
	for i, d := range rows {
		out[i] = Delivery{
			DeviceID: d.DeviceID, UserID: d.UserID, Vendor: d.Vendor, Token: d.DeviceToken, Status: d.Status,
			Reason: d.Reason, Attempts: int(d.Attempts), ProviderID: d.ProviderID, UpdatedAt: d.UpdatedAt,
		}
	}
	return page.Of(r, out, int64(row.Devices)), nil
}

func (s *Service) push(ctx context.Context, p *auth.Principal, pushID string) (db.Push, error) {
	app, err := read(p)
	if err != nil {
		return db.Push{}, err
	}
	id, err := strconv.ParseInt(pushID, 10, 64)
	if err != nil || id <= 0 {
		return db.Push{}, fault.InvalidField("pushId", "must be a push's id")
	}
	row, err := s.q.GetPush(ctx, db.GetPushParams{ID: id, AppID: app.ID})
	if errors.Is(err, postgres.ErrNotFound) {
		return db.Push{}, fault.NotFoundf("app %s has no push %s", app.Key, pushID)
	}
	if err != nil {
		return db.Push{}, fault.Wrap(err, "load push")
	}
	return row, nil
}

// checkRate refuses a push while the app is over its send limit.
func (s *Service) checkRate(ctx context.Context, app *auth.App, now time.Time) error {
	at, err := s.q.NthLatestPushOfApp(ctx, db.NthLatestPushOfAppParams{AppID: app.ID, Since: now.Add(-s.window), N: int32(s.limit)})
	if errors.Is(err, postgres.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fault.Wrap(err, "count pushes")
	}
	return fault.RateLimitedf(at.Add(s.window).Sub(now), "app %s sent %d pushes within %s; try again later", app.Key, s.limit, s.window)
}
