package webhook

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/eventbus"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/im"
	"github.com/xuqmgroup/xuqm/internal/jobs"
	"github.com/xuqmgroup/xuqm/internal/postgres"
)

// SubjectChanged is published on the event bus when an app's webhooks change; data is the
// app's id. Every instance then drops what it cached of them.
const SubjectChanged = "im.webhooks.changed"

// cacheTTL bounds how long an instance trusts what it cached, should it miss a change on
// the bus (which delivers at most once).
const cacheTTL = time.Minute

// appHooks is what an instance caches of an app: its key and its enabled webhooks.
type appHooks struct {
	key     string
	hooks   []db.ImWebhook
	expires time.Time
}

func (a *appHooks) wanting(event string) []db.ImWebhook {
	var out []db.ImWebhook
	for _, h := range a.hooks {
		if slices.Contains(h.Events, event) {
			out = append(out, h)
		}
	}
	return out
}

// subscriptions caches the apps' webhooks, so that the send path learns whether a message
// has anyone to be reported to without a query of its own.
type subscriptions struct {
	mu   sync.Mutex
	apps map[int64]*appHooks
	gen  uint64 // counts the changes, so that a load that a change overtook is not kept
}

func (c *subscriptions) forget(appID int64) {
	c.mu.Lock()
	delete(c.apps, appID)
	c.gen++
	c.mu.Unlock()
}

// hooksOf returns the app's cached webhooks, loading them on a miss.
func (s *Service) hooksOf(ctx context.Context, appID int64) (*appHooks, error) {
	c := &s.subs
	c.mu.Lock()
	a, gen := c.apps[appID], c.gen
	c.mu.Unlock()
	if a != nil && time.Now().Before(a.expires) {
		return a, nil
	}
	app, err := s.q.GetAppByID(ctx, appID)
	if err != nil {
		return nil, fault.Wrap(err, "load app")
	}
	rows, err := s.q.ListWebhooks(ctx, appID)
	if err != nil {
		return nil, fault.Wrap(err, "load webhooks")
	}
	a = &appHooks{key: app.AppKey, expires: time.Now().Add(cacheTTL)}
	for _, r := range rows {
		if r.Enabled {
			a.hooks = append(a.hooks, r)
		}
	}
	c.mu.Lock()
	if c.gen == gen {
		if c.apps == nil {
			c.apps = map[int64]*appHooks{}
		}
		c.apps[appID] = a
	}
	c.mu.Unlock()
	return a, nil
}

// Follow has this instance drop its cache of an app's webhooks whenever an instance
// changes them, and publish its own changes on bus.
func (s *Service) Follow(bus eventbus.Bus) error {
	_, err := bus.Subscribe(SubjectChanged, func(_ string, data []byte) {
		if id, err := strconv.ParseInt(string(data), 10, 64); err == nil {
			s.subs.forget(id)
		}
	})
	if err == nil {
		s.bus = bus
	}
	return err
}

// changed drops the app's cached webhooks here and on every instance.
func (s *Service) changed(ctx context.Context, appID int64) {
	s.subs.forget(appID)
	if s.bus == nil {
		return
	}
	if err := s.bus.Publish(context.WithoutCancel(ctx), SubjectChanged, []byte(strconv.FormatInt(appID, 10))); err != nil {
		s.opts.Log.Warn("webhooks: publish change", "app", appID, "err", err)
	}
}

// Wants implements im.Notifier. When the cache cannot be loaded it says yes, and NotifyTx
// finds out.
func (s *Service) Wants(ctx context.Context, appID int64, event string) bool {
	a, err := s.hooksOf(ctx, appID)
	if err != nil {
		s.opts.Log.Warn("webhooks: load subscriptions", "app", appID, "err", err)
		return true
	}
	return len(a.wanting(event)) > 0
}

// NotifyTx implements im.Notifier: one delivery job per event and webhook that wants it,
// inserted in tx with one statement.
func (s *Service) NotifyTx(ctx context.Context, tx pgx.Tx, events []im.AppEvent) error {
	var params []river.InsertManyParams
	now := time.Now()
	for _, e := range events {
		a, err := s.hooksOf(ctx, e.AppID)
		if err != nil {
			return err
		}
		for _, h := range a.wanting(e.Event) {
			id := newID()
			body, err := json.Marshal(payload{ID: id, Event: e.Event, AppID: a.key, CreatedAt: now, Data: e.Data})
			if err != nil {
				return fault.Wrap(err, "encode webhook delivery")
			}
			params = append(params, river.InsertManyParams{Args: Delivery{WebhookID: h.ID, DeliveryID: id, Event: e.Event, Body: body},
				InsertOpts: &river.InsertOpts{Queue: jobs.QueueWebhook, MaxAttempts: MaxAttempts}})
		}
	}
	if len(params) == 0 {
		return nil
	}
	if _, err := s.queue.InsertManyTx(ctx, tx, params); err != nil {
		return fault.Wrap(err, "queue webhook deliveries")
	}
	return nil
}

// Notify queues event for the app's webhooks on its own, for a change that is committed
// already and has no transaction to share (update.OnHalt); a failure is logged. Changes
// stored in a transaction use NotifyTx, so that no delivery is lost to a crash between.
func (s *Service) Notify(ctx context.Context, appID int64, event string, data any) {
	ctx = context.WithoutCancel(ctx)
	if !s.Wants(ctx, appID, event) {
		return
	}
	err := postgres.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		return s.NotifyTx(ctx, tx, []im.AppEvent{{AppID: appID, Event: event, Data: data}})
	})
	if err != nil {
		s.opts.Log.Warn("webhooks: queue deliveries", "event", event, "err", err)
	}
}
