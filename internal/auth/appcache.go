package auth

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/postgres"
)

// The public routes of the UPDATE service (the update checks, hit on every app launch) look the
// app up through a small cache, so that answering them needs no database query. An entry lives
// publicAppTTL at most: a disabled tenant or service, or a deleted app, reaches those routes
// that much later unless ForgetApp (called from the event bus) drops it at once. Other public
// routes, and every authenticated one but an IM token's (imcache.go), ask the database each
// time, so that a switch holds there at once.
const (
	publicAppTTL     = 2 * time.Second
	publicAppEntries = 10000 // beyond it the cache starts over, so that random keys cannot grow it
)

// cachedServices are the services whose public routes use the cache.
var cachedServices = map[string]bool{"UPDATE": true}

type appCacheKey struct{ appKey, service string }

type appCacheEntry struct {
	row     db.GetAppForAuthRow
	found   bool
	expires time.Time
}

type appCache struct {
	mu      sync.RWMutex
	entries map[appCacheKey]appCacheEntry
}

func (c *appCache) get(k appCacheKey, now time.Time) (appCacheEntry, bool) {
	c.mu.RLock()
	e, ok := c.entries[k]
	c.mu.RUnlock()
	return e, ok && now.Before(e.expires)
}

func (c *appCache) put(k appCacheKey, e appCacheEntry) {
	c.mu.Lock()
	if c.entries == nil || len(c.entries) >= publicAppEntries {
		c.entries = make(map[appCacheKey]appCacheEntry)
	}
	c.entries[k] = e
	c.mu.Unlock()
}

// ForgetApp drops what the public-route cache and the IM token cache know of appKey (""
// drops everything): call it when an app, its tenant or one of its services changes.
func (a *Authenticator) ForgetApp(appKey string) {
	a.imUsers.forget(func(_ imUserKey, row db.GetAppForAuthRow) bool { return appKey == "" || row.AppKey == appKey })
	a.publicApps.mu.Lock()
	defer a.publicApps.mu.Unlock()
	for k := range a.publicApps.entries {
		if appKey == "" || k.appKey == appKey {
			delete(a.publicApps.entries, k)
		}
	}
}

// attachPublicApp is attachApp for public routes, through the cache.
func (a *Authenticator) attachPublicApp(ctx context.Context, p *Principal, req Requirement, key string) error {
	if !cachedServices[req.Service] {
		return a.attachApp(ctx, p, req, key)
	}
	k := appCacheKey{key, req.Service}
	now := a.now()
	e, ok := a.publicApps.get(k, now)
	if !ok {
		row, err := a.q.GetAppForAuth(ctx, db.GetAppForAuthParams{ServiceType: req.Service, AppKey: key})
		switch {
		case errors.Is(err, postgres.ErrNotFound):
		case err != nil:
			return fault.Wrap(err, "load app")
		default:
			e.row, e.found = row, true
		}
		e.expires = now.Add(publicAppTTL)
		a.publicApps.put(k, e)
	}
	if !e.found {
		return fault.NotFoundf("no app has the key %s", key)
	}
	p.App = &App{ID: e.row.ID, TenantID: e.row.TenantID, Key: e.row.AppKey}
	return checkApp(e.row, req)
}
