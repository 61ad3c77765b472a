package auth

import (
	"context"
	"testing"
	"time"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/postgres"
)

// countingApps answers GetAppForAuth from a fixed table and counts the calls; the cache's
// logic is what is under test, the query itself is covered by the component tests.
type countingApps struct {
	db.Querier
	apps  map[string]db.GetAppForAuthRow
	calls int
}

func (c *countingApps) GetAppForAuth(_ context.Context, arg db.GetAppForAuthParams) (db.GetAppForAuthRow, error) {
	c.calls++
	row, ok := c.apps[arg.AppKey]
	if !ok {
		return row, postgres.ErrNotFound // as postgres.Queries answers
	}
	return row, nil
}

func TestPublicAppCache(t *testing.T) {
	on, off := true, false
	q := &countingApps{apps: map[string]db.GetAppForAuthRow{
		"ak_on":  {ID: 1, TenantID: 7, AppKey: "ak_on", TenantStatus: "ENABLED", ServiceEnabled: &on},
		"ak_off": {ID: 2, TenantID: 7, AppKey: "ak_off", TenantStatus: "ENABLED", ServiceEnabled: &off},
	}}
	a := NewAuthenticator(q, NewTokens([]byte("k"), time.Hour))
	now := time.Unix(1_800_000_000, 0)
	a.now = func() time.Time { return now }
	public := Requirement{Service: "UPDATE"}
	check := func(key string) (*Principal, error) {
		return a.Authenticate(context.Background(), public, Credentials{Method: "GET", AppKey: key})
	}

	p, err := check("ak_on")
	if err != nil || p.App == nil || p.App.ID != 1 {
		t.Fatalf("first check: %+v, %v", p, err)
	}
	for range 100 {
		if _, err := check("ak_on"); err != nil {
			t.Fatal(err)
		}
	}
	if q.calls != 1 {
		t.Errorf("%d queries for 101 checks within the TTL, want 1", q.calls)
	}
	if _, err := check("ak_off"); !fault.Is(err, fault.Forbidden) {
		t.Errorf("service off: %v", err)
	}
	if _, err := check("ak_missing"); !fault.Is(err, fault.NotFound) {
		t.Errorf("unknown app: %v", err)
	}
	if _, err := check("ak_missing"); !fault.Is(err, fault.NotFound) || q.calls != 3 {
		t.Errorf("unknown app again: %v after %d queries, want the cached answer", err, q.calls)
	}

	// Switched off: seen once the entry expires, or at once when forgotten.
	row := q.apps["ak_on"]
	row.ServiceEnabled = &off
	q.apps["ak_on"] = row
	if _, err := check("ak_on"); err != nil {
		t.Errorf("within the TTL the cached answer stands: %v", err)
	}
	a.ForgetApp("ak_on")
	if _, err := check("ak_on"); !fault.Is(err, fault.Forbidden) {
		t.Errorf("after ForgetApp: %v", err)
	}
	row.ServiceEnabled = &on
	q.apps["ak_on"] = row
	now = now.Add(publicAppTTL + time.Millisecond)
	if _, err := check("ak_on"); err != nil {
		t.Errorf("after the TTL: %v", err)
	}

	// Public routes of other services, and authenticated routes, always ask the database.
	before := q.calls
	if _, err := a.Authenticate(context.Background(), Requirement{Service: "IM"}, Credentials{Method: "GET", AppKey: "ak_on"}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Authenticate(context.Background(), Requirement{Service: "IM"}, Credentials{Method: "GET", AppKey: "ak_on"}); err != nil {
		t.Fatal(err)
	}
	if q.calls != before+2 {
		t.Errorf("two public IM lookups made %d queries, want 2", q.calls-before)
	}
	before = q.calls
	a.ForgetApp("")
	if _, err := a.Authenticate(context.Background(), Requirement{Schemes: []Scheme{SchemeSignature}, Service: "UPDATE"}, Credentials{AppKey: "ak_on", Signature: "x", BodyHash: func() (string, error) { return HashBody(nil), nil }}); err == nil {
		t.Error("a bad signature was accepted")
	}
	if q.calls != before+1 {
		t.Errorf("a signed request made %d queries, want 1 (no cache)", q.calls-before)
	}
}
