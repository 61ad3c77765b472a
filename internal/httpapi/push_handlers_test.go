package httpapi_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/push/pushtest"
	"github.com/xuqmgroup/xuqm/internal/testserver"
)

// waitPush polls GET /api/push/pushes/{id} until nothing is queued.
func waitPush(t *testing.T, w *world, id string) api.PushResult {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := w.s.Client.GetPushWithResponse(context.Background(), id, &api.GetPushParams{AppId: w.appKey}, testserver.Bearer(w.tenant))
		if err != nil || resp.JSON200 == nil {
			t.Fatalf("get push: %v %s", err, resp.Body)
		}
		if resp.JSON200.Data.Queued == 0 {
			return resp.JSON200.Data
		}
		if time.Now().After(deadline) {
			t.Fatalf("push %s still queued: %+v", id, resp.JSON200.Data)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestPushRegisterAndSend(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	reg, err := w.s.Client.RegisterPushDeviceWithResponse(ctx, &api.RegisterPushDeviceParams{AppId: w.appKey},
		api.PushRegistration{DeviceToken: "0f3c8a5e7b1d4f2a9c6e8b0d1f3a5c7e", Platform: "ANDROID", Vendor: "FCM"}, testserver.Bearer(w.im))
	if err != nil {
		t.Fatal(err)
	}
	if reg.JSON200 == nil || reg.JSON200.Data.UserId != "alice" || reg.JSON200.Data.DeviceToken != "0f3c****5c7e" || !reg.JSON200.Data.Active {
		t.Fatalf("register: %d %s", reg.StatusCode(), reg.Body)
	}
	code, env, _ := w.call(t, "POST", "/api/push/register?appId="+w.appKey, w.im, `{"deviceToken":"t","platform":"ANDROID","vendor":"APNS"}`)
	if code != 400 || !strings.Contains(env.Message, "vendor") {
		t.Errorf("APNS on Android: %d %s", code, env.Message)
	}

	// No vendor has credentials here: the push is queued, then its delivery fails with that reason.
	params := &api.SendPushParams{AppId: w.appKey}
	users := []string{"alice", "nobody"}
	body := api.PushSendRequest{UserIds: &users, Title: "Hi", Body: "Hello"}
	sent, err := w.s.Client.SendPushWithResponse(ctx, params, body, testserver.Signed("key-PUSH", time.Time{}, ""))
	if err != nil {
		t.Fatal(err)
	}
	if sent.JSON200 == nil {
		t.Fatalf("send: %d %s", sent.StatusCode(), sent.Body)
	}
	if d := sent.JSON200.Data; d.Requested != 2 || d.Devices != 1 || d.Queued != 1 || d.Accepted != 0 || d.PushId == "" {
		t.Errorf("result %+v", d)
	}
	id := sent.JSON200.Data.PushId
	if res := waitPush(t, w, id); res.Failed != 1 {
		t.Errorf("after delivery: %+v", res)
	}
	dl, err := w.s.Client.ListPushDeliveriesWithResponse(ctx, id, &api.ListPushDeliveriesParams{AppId: w.appKey}, testserver.Signed("key-PUSH", time.Time{}, ""))
	if err != nil || dl.JSON200 == nil || len(dl.JSON200.Data.Content) != 1 {
		t.Fatalf("deliveries: %v %s", err, dl.Body)
	}
	if d := dl.JSON200.Data.Content[0]; d.Status != "FAILED" || !strings.Contains(d.Reason, "no credentials") || d.UserId != "alice" {
		t.Errorf("delivery %+v", d)
	}
	// Both userIds and deviceTokens, or neither: 400.
	tokens := []string{"0f3c8a5e7b1d4f2a9c6e8b0d1f3a5c7e"}
	for _, b := range []api.PushSendRequest{{UserIds: &users, DeviceTokens: &tokens, Title: "t", Body: "b"}, {Title: "t", Body: "b"}} {
		resp, _ := w.s.Client.SendPushWithResponse(ctx, params, b, testserver.Bearer(w.tenant))
		if resp.StatusCode() != 400 {
			t.Errorf("send %+v: %d", b, resp.StatusCode())
		}
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
	devs, err := w.s.Client.ListPushDevicesWithResponse(ctx, &api.ListPushDevicesParams{AppId: w.appKey, UserId: "alice"}, testserver.Bearer(w.viewer))
	if err != nil || devs.JSON200 == nil || devs.JSON200.Data.TotalElements != 1 {
		t.Fatalf("devices: %v %s", err, devs.Body)
	}

	// Another tenant: refused everywhere, and nothing changes.
	other := imAcctOtherTenant(t, w, "ak_push_other_app")
	resp, _ := w.s.Client.SendPushWithResponse(ctx, params, body, testserver.Bearer(other))
	if resp.StatusCode() != 403 {
		t.Errorf("another tenant sends: %d %s", resp.StatusCode(), resp.Body)
	}
	if g, _ := w.s.Client.GetPushWithResponse(ctx, id, &api.GetPushParams{AppId: w.appKey}, testserver.Bearer(other)); g.StatusCode() != 403 {
		t.Errorf("another tenant reads the push: %d", g.StatusCode())
	}
	if g, _ := w.s.Client.GetPushWithResponse(ctx, id, &api.GetPushParams{AppId: "ak_push_other_app"}, testserver.Bearer(other)); g.StatusCode() != 404 {
		t.Errorf("the push under another app: %d", g.StatusCode())
	}
	if g, _ := w.s.Client.ListPushDeliveriesWithResponse(ctx, id, &api.ListPushDeliveriesParams{AppId: w.appKey}, testserver.Bearer(other)); g.StatusCode() != 403 {
		t.Errorf("another tenant reads the deliveries: %d", g.StatusCode())
	}
	if g, _ := w.s.Client.ListPushDevicesWithResponse(ctx, &api.ListPushDevicesParams{AppId: w.appKey, UserId: "alice"}, testserver.Bearer(other)); g.StatusCode() != 403 {
		t.Errorf("another tenant lists devices: %d", g.StatusCode())
	}
	reg, _ = w.s.Client.RegisterPushDeviceWithResponse(ctx, &api.RegisterPushDeviceParams{AppId: "ak_push_other_app"},
		api.PushRegistration{DeviceToken: "tok", Platform: "IOS", Vendor: "APNS"}, testserver.Bearer(w.im))
	if reg.StatusCode() != 403 {
		t.Errorf("IM token of another app registers: %d %s", reg.StatusCode(), reg.Body)
	}
	if g, _ := w.s.Client.GetPushWithResponse(ctx, "99999999", &api.GetPushParams{AppId: w.appKey}, testserver.Bearer(w.tenant)); g.StatusCode() != 404 {
		t.Errorf("no such push: %d", g.StatusCode())
	}

	// Unregister, then the device is gone.
	un, err := w.s.Client.UnregisterPushDeviceWithResponse(ctx, &api.UnregisterPushDeviceParams{AppId: w.appKey},
		api.PushUnregistration{DeviceToken: "0f3c8a5e7b1d4f2a9c6e8b0d1f3a5c7e"}, testserver.Bearer(w.im))
	if err != nil || un.StatusCode() != 200 {
		t.Fatalf("unregister: %v %s", err, un.Body)
	}
	un, _ = w.s.Client.UnregisterPushDeviceWithResponse(ctx, &api.UnregisterPushDeviceParams{AppId: w.appKey},
		api.PushUnregistration{DeviceToken: "0f3c8a5e7b1d4f2a9c6e8b0d1f3a5c7e"}, testserver.Bearer(w.im))
	if un.StatusCode() != 404 {
		t.Errorf("unregistered twice: %d", un.StatusCode())
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

// gatewayEnv points a server's push delivery at a local gateway.
func gatewayEnv(t *testing.T, gw *pushtest.Gateway) map[string]string {
	return map[string]string{
		"XUQM_APNS_HOST": gw.URL, "XUQM_FCM_HOST": gw.URL, "XUQM_FCM_TOKEN_URL": gw.FCMTokenURL(),
		"XUQM_HMS_HOST": gw.URL, "XUQM_HMS_TOKEN_URL": gw.HMSTokenURL(), "XUQM_PUSH_CA_FILE": gw.CAFile(t),
	}
}

// setCredentials gives the world's app the gateway's APNs and FCM credentials.
func setCredentials(t *testing.T, w *world, gw *pushtest.Gateway) {
	t.Helper()
	ctx := context.Background()
	str := func(s string) *string { return &s }
	env := api.PushCredentialInputEnvironment("SANDBOX")
	for vendor, in := range map[api.PushVendor]api.PushCredentialInput{
		"APNS": {PrivateKey: str(gw.APNsKeyPEM), KeyId: str(pushtest.APNsKeyID), TeamId: str(pushtest.APNsTeamID), BundleId: str(pushtest.BundleID), Environment: &env},
		"FCM":  {ServiceAccountJson: str(gw.ServiceAccountJSON())},
	} {
		resp, err := w.s.Client.SetPushCredentialWithResponse(ctx, w.appID, vendor, in, testserver.Bearer(w.tenant))
		if err != nil || resp.JSON200 == nil || resp.JSON200.Data.Fingerprint == "" {
			t.Fatalf("set %s: %v %s", vendor, err, resp.Body)
		}
		if strings.Contains(string(resp.Body), "PRIVATE KEY") {
			t.Errorf("the answer shows the key: %s", resp.Body)
		}
	}
}

func TestPushCredentialsAndDelivery(t *testing.T) {
	gw := pushtest.Start(t)
	w := newWorldWith(t, gatewayEnv(t, gw))
	ctx := context.Background()
	setCredentials(t, w, gw)
	list, err := w.s.Client.ListPushCredentialsWithResponse(ctx, w.appID, testserver.Bearer(w.viewer))
	if err != nil || list.JSON200 == nil || len(list.JSON200.Data) != 2 {
		t.Fatalf("list: %v %s", err, list.Body)
	}
	if c := list.JSON200.Data[0]; c.Vendor != "APNS" || *c.KeyId != pushtest.APNsKeyID || strings.Contains(string(list.Body), "PRIVATE KEY") {
		t.Errorf("listed %s", list.Body)
	}
	// Another tenant neither reads nor sets nor deletes them; the viewer does not set them.
	other := imAcctOtherTenant(t, w, "ak_push_cred_other")
	str := func(s string) *string { return &s }
	hms := api.PushCredentialInput{HmsAppId: str("1"), ClientSecret: str("s")}
	if r, _ := w.s.Client.ListPushCredentialsWithResponse(ctx, w.appID, testserver.Bearer(other)); r.StatusCode() != 403 {
		t.Errorf("another tenant lists: %d", r.StatusCode())
	}
	if r, _ := w.s.Client.SetPushCredentialWithResponse(ctx, w.appID, "HUAWEI", hms, testserver.Bearer(other)); r.StatusCode() != 403 {
		t.Errorf("another tenant sets: %d", r.StatusCode())
	}
	if r, _ := w.s.Client.DeletePushCredentialWithResponse(ctx, w.appID, "FCM", testserver.Bearer(other)); r.StatusCode() != 403 {
		t.Errorf("another tenant deletes: %d", r.StatusCode())
	}
	if r, _ := w.s.Client.SetPushCredentialWithResponse(ctx, w.appID, "HUAWEI", hms, testserver.Bearer(w.viewer)); r.StatusCode() != 403 {
		t.Errorf("viewer sets: %d", r.StatusCode())
	}
	if r, _ := w.s.Client.SetPushCredentialWithResponse(ctx, w.appID, "APNS", api.PushCredentialInput{PrivateKey: str("nope")}, testserver.Bearer(w.tenant)); r.StatusCode() != 400 {
		t.Errorf("bad key: %d %s", r.StatusCode(), r.Body)
	}
	again, _ := w.s.Client.ListPushCredentialsWithResponse(ctx, w.appID, testserver.Bearer(w.tenant))
	if string(again.Body) != string(list.Body) {
		t.Errorf("credentials changed:\n%s\n%s", list.Body, again.Body)
	}

	for _, d := range []api.PushRegistration{
		{DeviceToken: "alice-iphone-0001", Platform: "IOS", Vendor: "APNS"},
		{DeviceToken: "gone-alice-pixel", Platform: "ANDROID", Vendor: "FCM"},
	} {
		if r, _ := w.s.Client.RegisterPushDeviceWithResponse(ctx, &api.RegisterPushDeviceParams{AppId: w.appKey}, d, testserver.Bearer(w.im)); r.StatusCode() != 200 {
			t.Fatalf("register: %s", r.Body)
		}
	}
	users := []string{"alice"}
	sent, err := w.s.Client.SendPushWithResponse(ctx, &api.SendPushParams{AppId: w.appKey}, api.PushSendRequest{UserIds: &users, Title: "Hi", Body: "Hello"}, testserver.Signed("key-PUSH", time.Time{}, ""))
	if err != nil || sent.JSON200 == nil {
		t.Fatalf("send: %v %s", err, sent.Body)
	}
	if res := waitPush(t, w, sent.JSON200.Data.PushId); res.Accepted != 1 || res.Failed != 1 {
		t.Errorf("result %+v", res)
	}
	dl, _ := w.s.Client.ListPushDeliveriesWithResponse(ctx, sent.JSON200.Data.PushId, &api.ListPushDeliveriesParams{AppId: w.appKey}, testserver.Bearer(w.ops))
	got := map[string]string{}
	for _, d := range dl.JSON200.Data.Content {
		got[string(d.Vendor)] = string(d.Status)
		if d.Status == "ACCEPTED" && (d.ProviderMessageId == nil || *d.ProviderMessageId == "") {
			t.Errorf("no provider id: %+v", d)
		}
	}
	if fmt.Sprint(got) != "map[APNS:ACCEPTED FCM:FAILED]" {
		t.Errorf("deliveries %s", dl.Body)
	}
	devs, _ := w.s.Client.ListPushDevicesWithResponse(ctx, &api.ListPushDevicesParams{AppId: w.appKey, UserId: "alice"}, testserver.Bearer(w.tenant))
	for _, d := range devs.JSON200.Data.Content {
		if d.Active != (d.Vendor == "APNS") {
			t.Errorf("device %+v", d)
		}
	}
	for _, f := range gw.Failures() {
		t.Errorf("gateway: %s", f)
	}
}
