// Package webhook sends an app's IM events to the URLs its administrators register: signed
// JSON POSTs queued as River jobs (internal/jobs), retried with growing delays and logged per
// attempt, and synchronous "before send" checks that may stop a message.
package webhook

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/eventbus"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/im"
	"github.com/xuqmgroup/xuqm/internal/jobs"
	"github.com/xuqmgroup/xuqm/internal/page"
	"github.com/xuqmgroup/xuqm/internal/postgres"
	"github.com/xuqmgroup/xuqm/internal/secret"
	"github.com/xuqmgroup/xuqm/internal/update"
)

// MaxPerApp is how many webhooks an app may have.
const MaxPerApp = 20

// Events are the events a webhook may want.
var Events = []string{im.WebhookMessageSent, im.WebhookMessageRevoked, im.WebhookMessageEdited, im.WebhookGroupCreated,
	im.WebhookGroupDissolved, im.WebhookGroupMembers, im.WebhookFriendRequested, im.WebhookFriendAdded, im.WebhookFriendRejected,
	im.WebhookFriendDeleted, im.WebhookAccountCreated, im.WebhookAccountDeleted, update.WebhookReleaseHalted}

var _ im.Notifier = (*Service)(nil)

// Options configure the service.
type Options struct {
	AllowPrivate bool          // XUQM_WEBHOOK_ALLOW_PRIVATE
	RetryBase    time.Duration // XUQM_WEBHOOK_RETRY_BASE: the first retry's delay (10 s)
	Log          *slog.Logger
}

// Service keeps the webhooks and delivers to them.
type Service struct {
	pool   *pgxpool.Pool
	q      *db.Queries
	box    *secret.Box
	queue  jobs.Inserter
	opts   Options
	client *http.Client
	subs   subscriptions
	bus    eventbus.Bus // set by Follow
}

// New returns the service; queue takes the deliveries, box seals the secrets.
func New(pool *pgxpool.Pool, box *secret.Box, queue jobs.Inserter, opts Options) *Service {
	if opts.RetryBase <= 0 {
		opts.RetryBase = 10 * time.Second
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	transport := &http.Transport{DialContext: dialer(opts.AllowPrivate).DialContext, Proxy: nil, MaxIdleConnsPerHost: 4, IdleConnTimeout: time.Minute}
	return &Service{pool: pool, q: postgres.Queries(pool), box: box, queue: queue, opts: opts,
		client: &http.Client{Transport: transport, Timeout: 5 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Webhook is a registered URL. Secret is in full only right after creation or rotation.
type Webhook struct {
	ID                  int64
	URL                 string
	Events              []string
	Enabled             bool
	BeforeSend          bool
	BeforeSendTimeoutMs int32
	OnTimeout           string
	Secret              string
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// Change is a webhook to create, or the fields to change (nil keeps one).
type Change struct {
	URL                 *string
	Events              *[]string
	Enabled             *bool
	BeforeSend          *bool
	BeforeSendTimeoutMs *int32
	OnTimeout           *string
	RotateSecret        bool
}

func webhookOf(r db.ImWebhook, fullSecret string) Webhook {
	w := Webhook{ID: r.ID, URL: r.Url, Events: r.Events, Enabled: r.Enabled, BeforeSend: r.BeforeSend,
		BeforeSendTimeoutMs: r.BeforeSendTimeoutMs, OnTimeout: r.OnTimeout, Secret: "****" + r.SecretHint, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if fullSecret != "" {
		w.Secret = fullSecret
	}
	return w
}

func aad(id int64) string { return "im_webhooks:" + strconv.FormatInt(id, 10) }

func (s *Service) check(ctx context.Context, c Change) error {
	if c.URL != nil {
		if err := s.checkURL(ctx, *c.URL); err != nil {
			return err
		}
	}
	if c.Events != nil {
		for i, e := range *c.Events {
			if !slices.Contains(Events, e) {
				return fault.InvalidField("events["+strconv.Itoa(i)+"]", "%q is not an event a webhook can subscribe to", e)
			}
		}
	}
	if c.BeforeSendTimeoutMs != nil && (*c.BeforeSendTimeoutMs < 100 || *c.BeforeSendTimeoutMs > 10000) {
		return fault.InvalidField("beforeSendTimeoutMs", "must be 100 to 10000")
	}
	if c.OnTimeout != nil && *c.OnTimeout != "PASS" && *c.OnTimeout != "REJECT" {
		return fault.InvalidField("onTimeout", "must be PASS or REJECT")
	}
	return nil
}

// newSecret seals a fresh secret onto row id and returns it in full.
func (s *Service) newSecret(ctx context.Context, q *db.Queries, id int64) (db.ImWebhook, string, error) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	plain := hex.EncodeToString(b)
	row, err := q.SetWebhookSecret(ctx, db.SetWebhookSecretParams{ID: id, SecretSealed: s.box.SealString(plain, aad(id)), SecretHint: plain[len(plain)-4:]})
	if err != nil {
		return row, "", fault.Wrap(err, "store webhook secret")
	}
	return row, plain, nil
}

func value[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// Create registers a webhook with a new secret.
func (s *Service) Create(ctx context.Context, a im.Admin, c Change) (Webhook, error) {
	if c.URL == nil || c.Events == nil {
		return Webhook{}, fault.Invalidf("a webhook needs a url and events")
	}
	if err := s.check(ctx, c); err != nil {
		return Webhook{}, err
	}
	var w Webhook
	err := postgres.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		q := s.q.WithTx(tx)
		n, err := q.CountWebhooks(ctx, a.AppID)
		if err != nil {
			return fault.Wrap(err, "count webhooks")
		}
		if n >= MaxPerApp {
			return fault.Conflictf("the app has %d webhooks, the most it may have", MaxPerApp)
		}
		row, err := q.InsertWebhook(ctx, db.InsertWebhookParams{AppID: a.AppID, Url: *c.URL, Events: *c.Events, Enabled: value(c.Enabled, true),
			BeforeSend: value(c.BeforeSend, false), BeforeSendTimeoutMs: value(c.BeforeSendTimeoutMs, 2000), OnTimeout: value(c.OnTimeout, "PASS")})
		if errors.Is(err, postgres.ErrNotFound) {
			return fault.Conflictf("the app has a webhook for %s already", *c.URL)
		}
		if err != nil {
			return fault.Wrap(err, "store webhook")
		}
		row, plain, err := s.newSecret(ctx, q, row.ID)
		if err != nil {
			return err
		}
		w = webhookOf(row, plain)
		return nil
	})
	if err == nil {
		s.changed(ctx, a.AppID)
		s.record(ctx, a, "webhook.create", w)
	}
	return w, err
}

// record puts a change of webhook, committed already, into the app's operation log.
func (s *Service) record(ctx context.Context, a im.Admin, action string, w Webhook) {
	detail, _ := json.Marshal(map[string]any{"url": w.URL, "events": w.Events, "enabled": w.Enabled, "beforeSend": w.BeforeSend})
	if err := s.q.InsertOperationLog(ctx, db.InsertOperationLogParams{AppID: a.AppID, ActorType: a.ActorType, ActorID: a.ActorID,
		Action: action, TargetType: "WEBHOOK", TargetID: strconv.FormatInt(w.ID, 10), Detail: detail}); err != nil {
		s.opts.Log.Warn("record webhook change", "err", err)
	}
}

// List is every webhook of the app, secrets masked.
func (s *Service) List(ctx context.Context, a im.Admin) ([]Webhook, error) {
	rows, err := s.q.ListWebhooks(ctx, a.AppID)
	if err != nil {
		return nil, fault.Wrap(err, "load webhooks")
	}
	out := make([]Webhook, len(rows))
	for i, r := range rows {
		out[i] = webhookOf(r, "")
	}
	return out, nil
}

// Update changes a webhook's fields, and its secret when asked.
func (s *Service) Update(ctx context.Context, a im.Admin, id int64, c Change) (Webhook, error) {
	// Another app's webhook is unknown here, whatever the change.
	if _, err := s.q.GetWebhook(ctx, db.GetWebhookParams{AppID: a.AppID, ID: id}); errors.Is(err, postgres.ErrNotFound) {
		return Webhook{}, fault.NotFoundf("the app has no webhook %d", id)
	} else if err != nil {
		return Webhook{}, fault.Wrap(err, "load webhook")
	}
	if err := s.check(ctx, c); err != nil {
		return Webhook{}, err
	}
	var w Webhook
	err := postgres.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		q := s.q.WithTx(tx)
		var events []string
		if c.Events != nil {
			events = *c.Events
		}
		row, err := q.UpdateWebhook(ctx, db.UpdateWebhookParams{AppID: a.AppID, ID: id, Url: c.URL, Events: events, Enabled: c.Enabled,
			BeforeSend: c.BeforeSend, BeforeSendTimeoutMs: c.BeforeSendTimeoutMs, OnTimeout: c.OnTimeout})
		switch {
		case errors.Is(err, postgres.ErrNotFound):
			return fault.NotFoundf("the app has no webhook %d", id)
		case postgres.IsUnique(err, "im_webhooks_app_id_url_key"):
			return fault.Conflictf("the app has another webhook for %s", value(c.URL, ""))
		case err != nil:
			return fault.Wrap(err, "update webhook")
		}
		plain := ""
		if c.RotateSecret {
			if row, plain, err = s.newSecret(ctx, q, id); err != nil {
				return err
			}
		}
		w = webhookOf(row, plain)
		return nil
	})
	if err == nil {
		s.changed(ctx, a.AppID)
		s.record(ctx, a, "webhook.update", w)
	}
	return w, err
}

// Delete removes a webhook; its queued deliveries find it gone and stop.
func (s *Service) Delete(ctx context.Context, a im.Admin, id int64) error {
	row, err := s.q.GetWebhook(ctx, db.GetWebhookParams{AppID: a.AppID, ID: id})
	if errors.Is(err, postgres.ErrNotFound) {
		return fault.NotFoundf("the app has no webhook %d", id)
	}
	if err != nil {
		return fault.Wrap(err, "load webhook")
	}
	if _, err := s.q.DeleteWebhook(ctx, db.DeleteWebhookParams{AppID: a.AppID, ID: id}); err != nil {
		return fault.Wrap(err, "delete webhook")
	}
	s.changed(ctx, a.AppID)
	s.record(ctx, a, "webhook.delete", webhookOf(row, ""))
	return nil
}

// Attempt is one try to deliver an event.
type Attempt struct {
	ID         int64
	DeliveryID string
	Event      string
	Attempt    int32
	Success    bool
	HTTPStatus *int32
	Error      string
	DurationMs int64
	CreatedAt  time.Time
}

// Attempts is a webhook's delivery log, the newest first.
func (s *Service) Attempts(ctx context.Context, a im.Admin, id int64, p page.Request) (page.Page[Attempt], error) {
	out := page.Of[Attempt](p, nil, 0)
	if _, err := s.q.GetWebhook(ctx, db.GetWebhookParams{AppID: a.AppID, ID: id}); errors.Is(err, postgres.ErrNotFound) {
		return out, fault.NotFoundf("the app has no webhook %d", id)
	} else if err != nil {
		return out, fault.Wrap(err, "load webhook")
	}
	var err error
	if out.Total, err = s.q.CountWebhookAttempts(ctx, id); err != nil {
		return out, fault.Wrap(err, "count attempts")
	}
	rows, err := s.q.ListWebhookAttempts(ctx, db.ListWebhookAttemptsParams{WebhookID: id, SkipRows: p.Offset(), MaxRows: p.Limit()})
	if err != nil {
		return out, fault.Wrap(err, "load attempts")
	}
	for _, r := range rows {
		out.Items = append(out.Items, Attempt{ID: r.ID, DeliveryID: r.DeliveryID, Event: r.Event, Attempt: r.Attempt, Success: r.Success,
			HTTPStatus: r.HttpStatus, Error: r.Error, DurationMs: r.DurationMs, CreatedAt: r.CreatedAt})
	}
	return out, nil
}
