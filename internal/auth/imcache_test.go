package auth

import (
	"context"
	"testing"
	"time"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/fault"
)

// TestIMTokenCache: the lookup behind an IM token is made once within the TTL; deleting the
// account or switching the app's service off is seen at once once forgotten, and a refusal
// is never kept.
func TestIMTokenCache(t *testing.T) {
	on, off := true, false
	live := db.GetAppForAuthRow{ID: 1, TenantID: 7, AppKey: "ak_im", TenantStatus: "ENABLED", ServiceEnabled: &on, AccountExists: true}
	q := &countingApps{apps: map[string]db.GetAppForAuthRow{"ak_im": live}}
	tokens := NewTokens([]byte("key-key-key-key-key-key-key-key!"), time.Hour)
	a := NewAuthenticator(q, tokens)
	now := time.Now()
	a.now = func() time.Time { return now }
	token, _, err := tokens.Issue(Claims{Typ: KindIM, AppID: 1, AppKeyClaim: "ak_im"}, "alice")
	if err != nil {
		t.Fatal(err)
	}
	req := Requirement{Schemes: []Scheme{SchemeIM}, Service: "IM"}
	check := func() error {
		p, err := a.Authenticate(context.Background(), req, Credentials{Method: "POST", Bearer: token, AppKey: "ak_im"})
		if err == nil && (p.UserID != "alice" || p.App == nil || p.App.ID != 1) {
			t.Fatalf("principal %+v", p)
		}
		return err
	}
	for range 50 {
		if err := check(); err != nil {
			t.Fatal(err)
		}
	}
	if q.calls != 1 {
		t.Errorf("%d queries for 50 requests within the TTL, want 1", q.calls)
	}

	// Deleted: the cached answer stands until forgotten, then the deletion holds, every time.
	deletedAt := now
	gone := live
	gone.AccountDeletedAt = &deletedAt
	q.apps["ak_im"] = gone
	if err := check(); err != nil {
		t.Errorf("within the TTL the cached answer stands: %v", err)
	}
	a.ForgetAccount(1, "bob")
	if err := check(); err != nil {
		t.Errorf("forgetting another account dropped alice's: %v", err)
	}
	a.ForgetAccount(1, "alice")
	for range 2 {
		if err := check(); !fault.Is(err, fault.Unauthorized) {
			t.Errorf("after ForgetAccount: %v", err)
		}
	}
	calls := q.calls
	if err := check(); err == nil || q.calls != calls+1 {
		t.Errorf("a refused token was answered from the cache (%v, %d queries)", err, q.calls-calls)
	}

	// The service switched off: at once when the app is forgotten, else after the TTL.
	q.apps["ak_im"] = live
	if err := check(); err != nil {
		t.Fatal(err)
	}
	switched := live
	switched.ServiceEnabled = &off
	q.apps["ak_im"] = switched
	a.ForgetApp("ak_other")
	if err := check(); err != nil {
		t.Errorf("forgetting another app dropped this one's: %v", err)
	}
	a.ForgetApp("ak_im")
	if err := check(); !fault.Is(err, fault.Forbidden) {
		t.Errorf("after ForgetApp: %v", err)
	}
	q.apps["ak_im"] = live
	if err := check(); err != nil {
		t.Fatal(err)
	}
	q.apps["ak_im"] = switched
	now = now.Add(imUserTTL + time.Millisecond)
	if err := check(); !fault.Is(err, fault.Forbidden) {
		t.Errorf("after the TTL: %v", err)
	}

	// Another service's routes ask the database every time.
	q.apps["ak_im"] = live
	calls = q.calls
	push := Requirement{Schemes: []Scheme{SchemeIM}, Service: "PUSH"}
	for range 2 {
		if _, err := a.Authenticate(context.Background(), push, Credentials{Method: "POST", Bearer: token, AppKey: "ak_im"}); err != nil {
			t.Fatal(err)
		}
	}
	if q.calls != calls+2 {
		t.Errorf("two PUSH requests made %d queries, want 2", q.calls-calls)
	}
}
