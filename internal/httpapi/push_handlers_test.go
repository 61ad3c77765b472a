package httpapi_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/testserver"
)

func TestPushRegisterAndSend(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	reg, err := w.s.Client.RegisterPushDeviceWithResponse(ctx, &api.RegisterPushDeviceParams{AppId: w.appKey},
		api.PushRegistration{DeviceToken: "0f3c8a5e7b1d4f2a9c6e8b0d1f3a5c7e", Platform: "ANDROID", Vendor: "FCM"}, testserver.Bearer(w.im))
	if err != nil {
		t.Fatal(err)
	}
	if reg.JSON200 == nil || reg.JSON200.Data.UserId != "alice" || reg.JSON200.Data.DeviceToken != "0f3c****5c7e" {
		t.Fatalf("register: %d %s", reg.StatusCode(), reg.Body)
	}
	code, env, _ := w.call(t, "POST", "/api/push/register?appId="+w.appKey, w.im, `{"deviceToken":"t","platform":"ANDROID","vendor":"APNS"}`)
	if code != 400 || !strings.Contains(env.Message, "vendor") {
		t.Errorf("APNS on Android: %d %s", code, env.Message)
	}

	// No vendor has credentials on a test server: the delivery is recorded as failed.
	params := &api.SendPushParams{AppId: w.appKey}
	body := api.PushSendRequest{UserIds: []string{"alice", "nobody"}, Title: "Hi", Body: "Hello"}
	sent, err := w.s.Client.SendPushWithResponse(ctx, params, body, testserver.Signed("key-PUSH", time.Time{}, ""))
	if err != nil {
		t.Fatal(err)
	}
	if sent.JSON200 == nil {
		t.Fatalf("send: %d %s", sent.StatusCode(), sent.Body)
	}
	if d := sent.JSON200.Data; d.Requested != 2 || d.Devices != 1 || d.Accepted != 0 || d.Failed != 1 || d.PushId == "" {
		t.Errorf("result %+v", d)
	}
	if n := imAcctScan(t, w, `SELECT count(*) FROM push_deliveries WHERE status = 'FAILED' AND reason LIKE '%no credentials%'`); n != 1 {
		t.Errorf("recorded failed deliveries: %d", n)
	}

	for name, c := range map[string]struct {
		opt  api.RequestEditorFn
		code int
	}{
		"AppSecret":      {testserver.Signed(w.appSecret, time.Time{}, ""), 401},
		"IM service key": {testserver.Signed(w.imKey, time.Time{}, ""), 401},
		"viewer":         {testserver.Bearer(w.viewer), 403},
		"IM user":        {testserver.Bearer(w.im), 403},
		"owner":          {testserver.Bearer(w.tenant), 200},
	} {
		resp, err := w.s.Client.SendPushWithResponse(ctx, params, body, c.opt)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode() != c.code {
			t.Errorf("%s: %d %s, want %d", name, resp.StatusCode(), resp.Body, c.code)
		}
	}
	other := imAcctOtherTenant(t, w, "ak_push_other_app")
	resp, _ := w.s.Client.SendPushWithResponse(ctx, params, body, testserver.Bearer(other))
	if resp.StatusCode() != 403 {
		t.Errorf("another tenant sends: %d %s", resp.StatusCode(), resp.Body)
	}
	reg, _ = w.s.Client.RegisterPushDeviceWithResponse(ctx, &api.RegisterPushDeviceParams{AppId: "ak_push_other_app"},
		api.PushRegistration{DeviceToken: "tok", Platform: "IOS", Vendor: "APNS"}, testserver.Bearer(w.im))
	if reg.StatusCode() != 403 {
		t.Errorf("IM token of another app registers: %d %s", reg.StatusCode(), reg.Body)
	}

	w.exec(t, `UPDATE app_services SET enabled = false WHERE app_id = $1 AND service_type = 'PUSH'`, w.appID)
	resp, _ = w.s.Client.SendPushWithResponse(ctx, params, body, testserver.Bearer(w.tenant))
	if resp.StatusCode() != 403 {
		t.Errorf("PUSH disabled: send %d", resp.StatusCode())
	}
	reg, _ = w.s.Client.RegisterPushDeviceWithResponse(ctx, &api.RegisterPushDeviceParams{AppId: w.appKey},
		api.PushRegistration{DeviceToken: "tok", Platform: "IOS", Vendor: "APNS"}, testserver.Bearer(w.im))
	if reg.StatusCode() != 403 {
		t.Errorf("PUSH disabled: register %d", reg.StatusCode())
	}
}
