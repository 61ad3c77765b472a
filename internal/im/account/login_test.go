package account_test

import (
	"testing"
	"time"

	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/fault"
)

func TestLoginCreatesAccountAndIssuesWorkingToken(t *testing.T) {
	w := newWorld(t)
	a := w.newApp(t, "ak_login_a")
	ctx := t.Context()

	tok := w.login(t, a, "user_001")
	if tok.Token == "" || !tok.ExpiresAt.After(time.Now()) {
		t.Fatalf("token %+v", tok)
	}
	acc, err := w.svc.Get(ctx, user(a, "someone_else"), "user_001")
	if err != nil {
		t.Fatalf("the account was not created: %v", err)
	}
	if acc.Nickname != "" || acc.AvatarURL != "" {
		t.Errorf("new account has a profile: %+v", acc)
	}
	jsonEqual(t, acc.Extra, `{}`)

	p, err := w.imUser(ctx, tok.Token, a.Key, "GET")
	if err != nil {
		t.Fatalf("the IM token is refused: %v", err)
	}
	if p.Kind != auth.KindIM || p.UserID != "user_001" || p.App.ID != a.ID {
		t.Errorf("principal %+v", p)
	}

	// A second login keeps the account and its profile.
	if _, err := w.svc.Update(ctx, user(a, "user_001"), "user_001", profile("Alice")); err != nil {
		t.Fatal(err)
	}
	w.login(t, a, "user_001")
	if acc, _ := w.svc.Get(ctx, user(a, "user_001"), "user_001"); acc.Nickname != "Alice" {
		t.Errorf("second login changed the profile: %+v", acc)
	}
}

func TestLoginSignatureRefused(t *testing.T) {
	w := newWorld(t)
	a := w.newApp(t, "ak_login_b")
	other := w.newApp(t, "ak_login_c")
	ctx := t.Context()
	now := time.Now()

	cases := []struct {
		name  string
		creds auth.Credentials
	}{
		{"wrong secret", signed(a, "not-the-secret", "u1", now, nonce())},
		{"another app's secret", signed(a, other.secret, "u1", now, nonce())},
		{"the service key instead of the AppSecret", signed(a, "service-key-IM", "u1", now, nonce())},
		{"stale", signed(a, a.secret, "u1", now.Add(-6*time.Minute), nonce())},
		{"from the future", signed(a, a.secret, "u1", now.Add(6*time.Minute), nonce())},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := w.svc.SignedLogin(ctx, c.creds)
			wantKind(t, err, fault.Unauthorized)
		})
	}

	t.Run("tampered userId", func(t *testing.T) {
		c := signed(a, a.secret, "u1", now, nonce())
		c.Signed.RawQuery = "appId=" + a.Key + "&userId=admin"
		_, err := w.svc.SignedLogin(ctx, c)
		wantKind(t, err, fault.Unauthorized)
	})

	t.Run("replayed", func(t *testing.T) {
		c := signed(a, a.secret, "u2", now, nonce())
		if _, err := w.svc.SignedLogin(ctx, c); err != nil {
			t.Fatal(err)
		}
		_, err := w.svc.SignedLogin(ctx, c)
		wantKind(t, err, fault.Unauthorized)
	})

	if ok, _ := w.svc.Exists(ctx, user(a, "x"), "u1"); ok {
		t.Error("a refused login created the account")
	}
}

func TestLoginNeedsTheIMServiceAndAnEnabledTenant(t *testing.T) {
	w := newWorld(t)
	a := w.newApp(t, "ak_login_d")
	w.exec(t, `UPDATE app_services SET enabled = false WHERE app_id = $1 AND service_type = 'IM'`, a.ID)
	_, err := w.svc.SignedLogin(t.Context(), signed(a, a.secret, "u1", time.Now(), nonce()))
	wantKind(t, err, fault.Forbidden)

	w.exec(t, `UPDATE app_services SET enabled = true WHERE app_id = $1`, a.ID)
	w.exec(t, `UPDATE tenants SET status = 'DISABLED' WHERE id = $1`, a.TenantID)
	_, err = w.svc.SignedLogin(t.Context(), signed(a, a.secret, "u1", time.Now(), nonce()))
	wantKind(t, err, fault.Forbidden)
}

func TestLoginRefusesBadUserIDAndOtherCallers(t *testing.T) {
	w := newWorld(t)
	a := w.newApp(t, "ak_login_e")
	_, err := w.svc.SignedLogin(t.Context(), signed(a, a.secret, "not valid!", time.Now(), nonce()))
	wantKind(t, err, fault.Invalid)
	if fe := fault.As(err); len(fe.Fields) != 1 || fe.Fields[0].Field != "userId" {
		t.Errorf("fields %+v", fe.Fields)
	}
	// Only an app's back end logs users in.
	_, err = w.svc.Login(t.Context(), user(a, "u1"), "u2")
	wantKind(t, err, fault.Forbidden)
}

func TestIMTokenOfOneAppIsRefusedOnAnother(t *testing.T) {
	w := newWorld(t)
	a := w.newApp(t, "ak_login_f")
	b := w.newApp(t, "ak_login_g")
	tok := w.login(t, a, "u1")
	w.login(t, b, "u1")
	_, err := w.imUser(t.Context(), tok.Token, b.Key, "GET")
	wantKind(t, err, fault.Forbidden)
}
