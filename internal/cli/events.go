package cli

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/eventbus"
	"github.com/xuqmgroup/xuqm/internal/im/account"
	"github.com/xuqmgroup/xuqm/internal/ops"
	"github.com/xuqmgroup/xuqm/internal/realtime"
	"github.com/xuqmgroup/xuqm/internal/tenant"
	"github.com/xuqmgroup/xuqm/internal/update"
	"github.com/xuqmgroup/xuqm/internal/webhook"
)

// Subjects of the platform's changes on the event bus.
const (
	subjectAppChanged     = "platform.app.changed"     // data: the app's key
	subjectAccountDeleted = "platform.account.deleted" // data: "<app id> <user id>"
	subjectReleases       = "update.releases.changed"  // data: "<instance> <app id>"
)

// platformEvents carries the changes that every instance must follow at once: an app deleted
// or switched, a tenant disabled, an IM account deleted, an app's releases changed. A change
// is published on the bus; each instance then drops what it cached and kicks the WebSockets
// that may no longer live.
type platformEvents struct {
	bus      eventbus.Bus
	q        db.Querier
	log      *slog.Logger
	instance string
}

var (
	_ update.Notifier    = (*platformEvents)(nil)
	_ tenant.AppNotifier = (*platformEvents)(nil)
	_ ops.TenantNotifier = (*platformEvents)(nil)
	_ account.Deletions  = (*platformEvents)(nil)
)

func newPlatformEvents(bus eventbus.Bus, q db.Querier, log *slog.Logger) *platformEvents {
	return &platformEvents{bus: bus, q: q, log: log, instance: auth.RandomHex(8)}
}

// follow subscribes this instance's caches to the changes.
func (e *platformEvents) follow(authn *auth.Authenticator, updates *update.Service) error {
	if _, err := e.bus.Subscribe(subjectAppChanged, func(_ string, data []byte) { authn.ForgetApp(string(data)) }); err != nil {
		return err
	}
	if _, err := e.bus.Subscribe(subjectAccountDeleted, func(_ string, data []byte) {
		id, user, ok := strings.Cut(string(data), " ")
		if appID, err := strconv.ParseInt(id, 10, 64); ok && err == nil {
			authn.ForgetAccount(appID, user)
		}
	}); err != nil {
		return err
	}
	_, err := e.bus.Subscribe(subjectReleases, func(_ string, data []byte) {
		from, id, ok := strings.Cut(string(data), " ")
		appID, err := strconv.ParseInt(id, 10, 64)
		if ok && err == nil && from != e.instance { // this instance reloaded already
			updates.Invalidate(appID)
		}
	})
	return err
}

// AppChanged implements tenant.AppNotifier.
func (e *platformEvents) AppChanged(ctx context.Context, c tenant.AppChange) {
	e.publish(ctx, subjectAppChanged, []byte(c.AppKey))
	switch {
	case c.Deleted:
		e.kick(ctx, realtime.Kick{AppID: c.AppID, Reason: realtime.KickAppDeleted, Message: "the app was deleted"})
	case c.Service == "IM" && !c.Enabled:
		e.kick(ctx, realtime.Kick{AppID: c.AppID, Reason: realtime.KickServiceDisabled, Message: "the IM service of this app was switched off"})
	}
}

// TenantChanged implements ops.TenantNotifier.
func (e *platformEvents) TenantChanged(ctx context.Context, tenantID int64, enabled bool) {
	apps, err := e.q.ListLiveAppsOfTenant(ctx, tenantID)
	if err != nil {
		e.log.Error("list a changed tenant's apps", "tenant", tenantID, "err", err)
		return
	}
	for _, a := range apps {
		e.publish(ctx, subjectAppChanged, []byte(a.AppKey))
		if !enabled {
			e.kick(ctx, realtime.Kick{AppID: a.ID, Reason: realtime.KickTenantDisabled, Message: "the app's tenant was disabled"})
		}
	}
}

// AccountDeleted implements account.Deletions.
func (e *platformEvents) AccountDeleted(ctx context.Context, appID int64, userID string) {
	e.publish(ctx, subjectAccountDeleted, fmt.Appendf(nil, "%d %s", appID, userID))
	e.kick(ctx, realtime.Kick{AppID: appID, UserID: userID, Reason: realtime.KickAccountDeleted, Message: "the account was deleted"})
}

// ReleasesChanged implements update.Notifier.
func (e *platformEvents) ReleasesChanged(ctx context.Context, appID int64) {
	e.publish(ctx, subjectReleases, fmt.Appendf(nil, "%s %d", e.instance, appID))
}

// releaseHalts tells the app's webhooks of the releases the crash-aware rollout stops.
type releaseHalts struct{ webhooks *webhook.Service }

// ReleaseHalted implements update.Halts.
func (h releaseHalts) ReleaseHalted(ctx context.Context, appID int64, e update.HaltEvent) {
	h.webhooks.Notify(ctx, appID, update.WebhookReleaseHalted, e)
}

func (e *platformEvents) kick(ctx context.Context, k realtime.Kick) {
	if err := realtime.PublishKick(ctx, e.bus, k); err != nil {
		e.log.Error("publish kick", "app", k.AppID, "user", k.UserID, "err", err)
	}
}

func (e *platformEvents) publish(ctx context.Context, subject string, data []byte) {
	if err := e.bus.Publish(ctx, subject, data); err != nil {
		e.log.Error("publish", "subject", subject, "err", err)
	}
}
