package push_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/push"
)

func wantField(t *testing.T, err error, field string) {
	t.Helper()
	fe := fault.As(err)
	if fe.Kind != fault.Invalid || len(fe.Fields) != 1 || fe.Fields[0].Field != field {
		t.Errorf("got %v, want an invalid %s", err, field)
	}
}

func TestRegister(t *testing.T) {
	w := newWorld(t)
	a := w.newApp(t, "ak_push_a", "alice", "bob")
	ctx := context.Background()
	token := "0f3c8a5e7b1d4f2a9c6e8b0d1f3a5c7e9b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a"
	d, err := w.svc.Register(ctx, a.user("alice"), push.Registration{Token: token, Platform: push.IOS, Vendor: push.APNS})
	if err != nil {
		t.Fatal(err)
	}
	if d.UserID != "alice" || d.Token != "0f3c****8f0a" || d.Vendor != push.APNS {
		t.Errorf("registered %+v", d)
	}
	// The same token again, now bob's on Android through FCM: the same record moves.
	again, err := w.svc.Register(ctx, a.user("bob"), push.Registration{Token: token, Platform: push.Android, Vendor: push.FCM})
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != d.ID || again.UserID != "bob" || again.Vendor != push.FCM || again.Platform != push.Android {
		t.Errorf("re-registered %+v, first %+v", again, d)
	}
	// A very long token still registers once.
	long := strings.Repeat("x", push.MaxToken)
	l1, err := w.svc.Register(ctx, a.user("bob"), push.Registration{Token: long, Platform: push.Android, Vendor: push.Huawei})
	if err != nil {
		t.Fatal(err)
	}
	l2, _ := w.svc.Register(ctx, a.user("bob"), push.Registration{Token: long, Platform: push.Android, Vendor: push.Huawei})
	if l1.ID != l2.ID {
		t.Errorf("a long token registered twice: %d %d", l1.ID, l2.ID)
	}
	if short, _ := w.svc.Register(ctx, a.user("bob"), push.Registration{Token: "abc", Platform: push.Android, Vendor: push.FCM}); short.Token != "****" {
		t.Errorf("a short token is shown: %q", short.Token)
	}

	for _, c := range []struct {
		field string
		r     push.Registration
	}{
		{"vendor", push.Registration{Token: "t", Platform: push.Android, Vendor: push.APNS}},
		{"vendor", push.Registration{Token: "t", Platform: push.IOS, Vendor: push.Xiaomi}},
		{"vendor", push.Registration{Token: "t", Platform: push.IOS, Vendor: "PIGEON"}},
		{"platform", push.Registration{Token: "t", Platform: "WINDOWS", Vendor: push.FCM}},
		{"deviceToken", push.Registration{Token: " ", Platform: push.IOS, Vendor: push.FCM}},
		{"deviceToken", push.Registration{Token: long + "x", Platform: push.IOS, Vendor: push.FCM}},
	} {
		_, err := w.svc.Register(ctx, a.user("alice"), c.r)
		wantField(t, err, c.field)
	}
	_, err = w.svc.Register(ctx, a.server(), push.Registration{Token: "t", Platform: push.IOS, Vendor: push.FCM})
	if !fault.Is(err, fault.Forbidden) {
		t.Errorf("the back end registers a device: %v", err)
	}
}

// deliveries are the recorded deliveries of a push, as "user vendor status reason".
func TestSendRefused(t *testing.T) {
	w := newWorld(t)
	a := w.newApp(t, "ak_push_d", "alice")
	b := w.newApp(t, "ak_push_e")
	appA := a.App
	ctx := context.Background()
	ok := push.Push{UserIDs: []string{"alice"}, Notification: push.Notification{Title: "t", Body: "b"}}
	for name, p := range map[string]*auth.Principal{
		"IM user":        a.user("alice"),
		"another tenant": {Kind: auth.KindTenant, TenantID: b.TenantID, Role: auth.RoleMain, App: &appA},
		"viewer":         {Kind: auth.KindTenant, TenantID: a.TenantID, Role: auth.RoleViewer, App: &appA},
	} {
		if _, err := w.svc.Send(ctx, p, ok); !fault.Is(err, fault.Forbidden) {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, p := range map[string]*auth.Principal{
		"owner":    {Kind: auth.KindTenant, TenantID: a.TenantID, Role: auth.RoleMain, App: &appA},
		"operator": {Kind: auth.KindOps, OperatorID: 1, App: &appA},
	} {
		if _, err := w.svc.Send(ctx, p, ok); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}

	badge, ttl := int32(100000), int32(-1)
	for _, c := range []struct {
		field string
		p     push.Push
	}{
		{"userIds", push.Push{Notification: push.Notification{Title: "t", Body: "b"}}},
		{"userIds", push.Push{UserIDs: []string{"a", "a"}, Notification: push.Notification{Title: "t", Body: "b"}}},
		{"userIds", push.Push{UserIDs: []string{"bad id"}, Notification: push.Notification{Title: "t", Body: "b"}}},
		{"title", push.Push{UserIDs: []string{"a"}, Notification: push.Notification{Body: "b"}}},
		{"body", push.Push{UserIDs: []string{"a"}, Notification: push.Notification{Title: "t", Body: strings.Repeat("字", push.MaxBody+1)}}},
		{"data", push.Push{UserIDs: []string{"a"}, Notification: push.Notification{Title: "t", Body: "b", Data: json.RawMessage(`{"k":"` + strings.Repeat("v", push.MaxData) + `"}`)}}},
		{"data", push.Push{UserIDs: []string{"a"}, Notification: push.Notification{Title: "t", Body: "b", Data: json.RawMessage(`[1]`)}}},
		{"badge", push.Push{UserIDs: []string{"a"}, Notification: push.Notification{Title: "t", Body: "b", Badge: &badge}}},
		{"ttlSeconds", push.Push{UserIDs: []string{"a"}, Notification: push.Notification{Title: "t", Body: "b", TTLSeconds: &ttl}}},
	} {
		_, err := w.svc.Send(ctx, a.server(), c.p)
		wantField(t, err, c.field)
	}
}

func TestSendRateLimit(t *testing.T) {
	w := newWorld(t)
	a := w.newApp(t, "ak_push_f", "alice")
	b := w.newApp(t, "ak_push_g", "alice")
	clock := time.Now()
	w.svc.SetRate(3, time.Minute, func() time.Time { return clock })
	ctx := context.Background()
	p := push.Push{UserIDs: []string{"alice"}, Notification: push.Notification{Title: "t", Body: "b"}}
	start := clock
	for i := range 3 {
		clock = start.Add(time.Duration(i) * 10 * time.Second)
		if _, err := w.svc.Send(ctx, a.server(), p); err != nil {
			t.Fatal(err)
		}
	}
	clock = start.Add(30 * time.Second)
	_, err := w.svc.Send(ctx, a.server(), p)
	fe := fault.As(err)
	if fe.Kind != fault.RateLimited || fe.RetryAfter != 30*time.Second {
		t.Fatalf("over the limit: %v (retry after %v)", err, fe.RetryAfter)
	}
	if _, err := w.svc.Send(ctx, b.server(), p); err != nil {
		t.Errorf("another app is limited: %v", err)
	}
	clock = start.Add(time.Minute)
	if _, err := w.svc.Send(ctx, a.server(), p); err != nil {
		t.Errorf("after the first push left the window: %v", err)
	}
}

func TestUnregisterAndMute(t *testing.T) {
	w := newWorld(t)
	a := w.newApp(t, "ak_push_unreg", "alice", "bob")
	ctx := context.Background()
	w.register(t, a, "alice", "alice-pixel-0001", push.FCM)
	if err := w.svc.Unregister(ctx, a.user("bob"), "alice-pixel-0001"); !fault.Is(err, fault.NotFound) {
		t.Errorf("bob unregisters alice's device: %v", err)
	}
	if err := w.svc.Unregister(ctx, a.user("alice"), "alice-pixel-0001"); err != nil {
		t.Fatal(err)
	}
	if err := w.svc.Unregister(ctx, a.user("alice"), "alice-pixel-0001"); !fault.Is(err, fault.NotFound) {
		t.Errorf("unregistered twice: %v", err)
	}
	if err := w.svc.SetMuted(ctx, a.user("alice"), "SINGLE", "alice", true); !fault.Is(err, fault.Invalid) {
		t.Errorf("mute oneself: %v", err)
	}
	if err := w.svc.SetMuted(ctx, a.server(), "SINGLE", "bob", true); !fault.Is(err, fault.Forbidden) {
		t.Errorf("the back end mutes: %v", err)
	}
	for _, muted := range []bool{true, true, false} {
		if err := w.svc.SetMuted(ctx, a.user("alice"), "GROUP", "g1", muted); err != nil {
			t.Fatal(err)
		}
	}
}
