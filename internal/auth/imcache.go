package auth

import (
	"context"
	"sync"
	"time"

	"github.com/xuqmgroup/xuqm/gen/db"
)

// An IM client sends its token with every message, and looking up its app, service and
// account for each one was a statement per message (a tenth of the server's CPU on the send
// path, issue 9). The lookup of a token that passed is kept for imUserTTL. Whatever would
// refuse it drops it at once on the instance where it changes, and through the event bus
// on the others (ForgetApp: an app deleted, a service switched, a tenant disabled;
// ForgetAccount: an IM account deleted), as the WebSockets' kicks do; imUserTTL bounds what
// a lost bus message can leave behind. Refusals are never kept: they are read again. Only
// the IM service's routes (the messages) use it; an IM token on another service's route
// (push registration) asks the database each time.
const (
	imUserTTL     = 2 * time.Second
	imUserEntries = 10000 // beyond it the cache starts over
)

type imUserKey struct {
	appID   int64
	service string
	userID  string
}

type imUserEntry struct {
	row     db.GetAppForAuthRow
	expires time.Time
}

type imUserCache struct {
	mu      sync.RWMutex
	entries map[imUserKey]imUserEntry
}

func (c *imUserCache) get(k imUserKey, now time.Time) (db.GetAppForAuthRow, bool) {
	c.mu.RLock()
	e, ok := c.entries[k]
	c.mu.RUnlock()
	return e.row, ok && now.Before(e.expires)
}

func (c *imUserCache) put(k imUserKey, row db.GetAppForAuthRow, now time.Time) {
	c.mu.Lock()
	if c.entries == nil || len(c.entries) >= imUserEntries {
		c.entries = make(map[imUserKey]imUserEntry)
	}
	c.entries[k] = imUserEntry{row: row, expires: now.Add(imUserTTL)}
	c.mu.Unlock()
}

// forget drops the entries that match.
func (c *imUserCache) forget(match func(imUserKey, db.GetAppForAuthRow) bool) {
	c.mu.Lock()
	for k, e := range c.entries {
		if match(k, e.row) {
			delete(c.entries, k)
		}
	}
	c.mu.Unlock()
}

// ForgetAccount drops what the cache knows of an IM account: call it when the account is
// deleted, on every instance.
func (a *Authenticator) ForgetAccount(appID int64, userID string) {
	a.imUsers.forget(func(k imUserKey, _ db.GetAppForAuthRow) bool { return k.appID == appID && k.userID == userID })
}

// imUserRow is the app, service and account of an IM token, through the cache.
func (a *Authenticator) imUserRow(ctx context.Context, service string, claims *Claims) (db.GetAppForAuthRow, error) {
	k := imUserKey{appID: claims.AppID, service: service, userID: claims.Subject}
	now := a.now()
	if row, ok := a.imUsers.get(k, now); ok && row.AppKey == claims.appKey() {
		return row, nil
	}
	row, err := a.q.GetAppForAuth(ctx, db.GetAppForAuthParams{ServiceType: service, UserID: claims.Subject, AppKey: claims.appKey()})
	if err != nil {
		return row, err
	}
	if service == "IM" && row.ID == claims.AppID && row.AccountExists && row.AccountDeletedAt == nil && checkApp(row, Requirement{Service: service}) == nil {
		a.imUsers.put(k, row, now)
	}
	return row, nil
}
