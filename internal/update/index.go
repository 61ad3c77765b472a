package update

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Masterminds/semver/v3"
	"golang.org/x/sync/singleflight"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/postgres"
)

// releases is everything the check routes need to know of one app: its versions and bundles
// that are or were PUBLISHED (a DRAFT is never offered), ordered oldest first.
type releases struct {
	appID    int64
	appKey   string
	versions map[string][]offeredVersion // by platform, by versionCode
	bundles  map[moduleKey][]offeredBundle
	loaded   time.Time
	// refreshing is set by the first check that finds the entry stale, so that one refresh
	// starts, not one per check.
	refreshing atomic.Bool
}

type moduleKey struct{ platform, moduleID string }

type offeredVersion struct {
	AppVersion
	published bool
}

type offeredBundle struct {
	Bundle
	version   *semver.Version
	minApp    nativeVersion
	maxApp    *nativeVersion
	published bool
}

// runsOn tells whether the bundle declares itself compatible with the native version.
func (b *offeredBundle) runsOn(app *nativeVersion) bool {
	if app == nil {
		return true
	}
	return app.compare(b.minApp) >= 0 && (b.maxApp == nil || app.compare(*b.maxApp) <= 0)
}

// index holds releases by app key, loaded on the first check of each app and reloaded after
// each change; entries older than refreshAfter are reloaded in the background while the old
// one still answers, which bounds staleness when an invalidation from another instance is lost.
type index struct {
	mu           sync.RWMutex
	byKey        map[string]*releases
	keyOfID      map[int64]string
	load         func(ctx context.Context, appKey string) (*releases, error)
	loading      singleflight.Group
	refreshAfter time.Duration
	now          func() time.Time
}

func newIndex(load func(ctx context.Context, appKey string) (*releases, error), refreshAfter time.Duration) *index {
	return &index{byKey: map[string]*releases{}, keyOfID: map[int64]string{}, load: load, refreshAfter: refreshAfter, now: time.Now}
}

// get returns the app's releases, loading them when the index has none.
func (x *index) get(ctx context.Context, appKey string) (*releases, error) {
	x.mu.RLock()
	r := x.byKey[appKey]
	x.mu.RUnlock()
	if r != nil {
		if x.now().Sub(r.loaded) > x.refreshAfter && r.refreshing.CompareAndSwap(false, true) {
			go x.fetch(context.WithoutCancel(ctx), appKey) //nolint:errcheck // the old entry answers meanwhile
		}
		return r, nil
	}
	return x.fetch(ctx, appKey)
}

func (x *index) fetch(ctx context.Context, appKey string) (*releases, error) {
	v, err, _ := x.loading.Do(appKey, func() (any, error) {
		r, err := x.load(ctx, appKey)
		if err != nil {
			return nil, err
		}
		x.mu.Lock()
		defer x.mu.Unlock()
		// A slow load that began before a newer one finished must not put back older data.
		if cur := x.byKey[appKey]; cur != nil && cur.loaded.After(r.loaded) {
			return cur, nil
		}
		x.byKey[appKey] = r
		x.keyOfID[r.appID] = appKey
		return r, nil
	})
	if err != nil {
		if !fault.Is(err, fault.NotFound) {
			slog.Warn("load releases", "app", appKey, "err", err)
		}
		return nil, err
	}
	return v.(*releases), nil
}

// reload refreshes an app that the index holds; one it does not hold is loaded when checked.
func (x *index) reload(ctx context.Context, appID int64) {
	x.mu.RLock()
	key, ok := x.keyOfID[appID]
	x.mu.RUnlock()
	if !ok {
		return
	}
	x.loading.Forget(key) // a load already running may predate the change
	if _, err := x.fetch(ctx, key); err != nil {
		x.forget(appID)
	}
}

func (x *index) forget(appID int64) {
	x.mu.Lock()
	if key, ok := x.keyOfID[appID]; ok {
		delete(x.byKey, key)
		delete(x.keyOfID, appID)
	}
	x.mu.Unlock()
}

// loadReleases reads an app's offerable releases from the database.
func (s *Service) loadReleases(ctx context.Context, appKey string) (*releases, error) {
	app, err := s.q.GetAppForAuth(ctx, db.GetAppForAuthParams{ServiceType: "UPDATE", AppKey: appKey})
	if errors.Is(err, postgres.ErrNotFound) {
		return nil, fault.NotFoundf("no app has the key %s", appKey)
	}
	if err != nil {
		return nil, fault.Wrap(err, "load app")
	}
	loaded := time.Now()
	versions, err := s.q.ListOfferableAppVersions(ctx, app.ID)
	if err != nil {
		return nil, fault.Wrap(err, "load versions")
	}
	bundles, err := s.q.ListOfferableRnBundles(ctx, app.ID)
	if err != nil {
		return nil, fault.Wrap(err, "load bundles")
	}
	r := &releases{appID: app.ID, appKey: app.AppKey, versions: map[string][]offeredVersion{}, bundles: map[moduleKey][]offeredBundle{}, loaded: loaded}
	for _, row := range versions {
		v := appVersionOf(row, app.AppKey)
		r.versions[v.Platform] = append(r.versions[v.Platform], offeredVersion{AppVersion: v, published: v.Status == Published})
	}
	for p := range r.versions {
		slices.SortFunc(r.versions[p], func(a, b offeredVersion) int { return cmpInt(int(a.VersionCode), int(b.VersionCode)) })
	}
	for _, vb := range sortedBundles(bundles) {
		b := offeredBundle{Bundle: bundleOf(vb.row, app.AppKey), version: vb.version, published: vb.row.Status == Published}
		b.minApp, _ = parseNativeVersion(b.MinAppVersion)
		if b.MaxAppVersion != nil {
			if m, err := parseNativeVersion(*b.MaxAppVersion); err == nil {
				b.maxApp = &m
			}
		}
		k := moduleKey{b.Platform, b.ModuleID}
		r.bundles[k] = append(r.bundles[k], b)
	}
	return r, nil
}
