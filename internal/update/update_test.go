package update

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/blob"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/page"
	"github.com/xuqmgroup/xuqm/internal/postgres/pgtest"
)

type fixture struct {
	svc    *Service
	pool   *pgxpool.Pool
	owner  *auth.Principal
	appKey string
	appID  int64
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	pool := pgtest.NewDB(t)
	blobs, err := blob.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{svc: New(pool, blobs, Config{MaxBytes: 1 << 20}), pool: pool, appKey: "ak_updates"}
	var tenant int64
	f.appID, tenant = newApp(t, pool, f.appKey)
	f.owner = &auth.Principal{Kind: auth.KindTenant, TenantID: tenant, AccountID: 1, Role: auth.RoleMain}
	return f
}

func newApp(t testing.TB, pool *pgxpool.Pool, key string) (app, tenant int64) {
	t.Helper()
	ctx := context.Background()
	if err := pool.QueryRow(ctx, `INSERT INTO tenants (name, email) VALUES ($1, $1 || '@example.com') RETURNING id`, key).Scan(&tenant); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `INSERT INTO apps (tenant_id, app_key, app_secret, name) VALUES ($1, $2, 's', $2) RETURNING id`, tenant, key).Scan(&app); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO app_services (app_id, service_type, secret_key) VALUES ($1, 'UPDATE', 'k')`, app); err != nil {
		t.Fatal(err)
	}
	return app, tenant
}

// version uploads an ANDROID version and publishes it at rollout (negative: leave it a DRAFT).
func (f *fixture) version(t testing.TB, code int32, force bool, minSupported int32, rollout int32) AppVersion {
	t.Helper()
	ctx := context.Background()
	in := AppVersionUpload{
		AppKey: f.appKey, Platform: Android, VersionCode: code, VersionName: fmt.Sprintf("1.%d.0", code), ForceUpdate: force,
		File: &Upload{Name: "app.apk", Body: bytes.NewReader([]byte(fmt.Sprintf("APK %d", code)))},
	}
	if minSupported > 0 {
		in.MinSupportedVersionCode = &minSupported
	}
	v, err := f.svc.UploadAppVersion(ctx, f.owner, in)
	if err != nil {
		t.Fatal(err)
	}
	if rollout >= 0 {
		if v, err = f.svc.PublishAppVersion(ctx, f.owner, v.ID, &rollout); err != nil {
			t.Fatal(err)
		}
	}
	return v
}

func (f *fixture) check(t testing.TB, current int32, device string) AppCheckResult {
	t.Helper()
	r, err := f.svc.CheckApp(context.Background(), AppCheck{AppKey: f.appKey, Platform: Android, CurrentVersionCode: current, DeviceID: device})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestCheckOffersTheHighestPublishedVersion(t *testing.T) {
	f := newFixture(t)
	if r := f.check(t, 1, ""); r.HasUpdate || r.ForceUpdate {
		t.Errorf("no versions: %+v", r)
	}
	f.version(t, 2, false, 0, 100)
	f.version(t, 3, false, 0, 100)
	draft := f.version(t, 4, false, 0, -1)
	if r := f.check(t, 1, ""); !r.HasUpdate || r.Version.VersionCode != 3 || r.ForceUpdate {
		t.Errorf("from 1: %+v, want 3", r)
	}
	if r := f.check(t, 3, ""); r.HasUpdate {
		t.Errorf("from 3 (the newest): %+v", r)
	}
	if r := f.check(t, 10, ""); r.HasUpdate {
		t.Errorf("from 10: %+v", r)
	}
	if _, err := f.svc.PublishAppVersion(context.Background(), f.owner, draft.ID, nil); err != nil {
		t.Fatal(err)
	}
	r := f.check(t, 1, "")
	if r.Version.VersionCode != 4 || r.Version.DownloadPath() != "/api/v1/updates/files/apk/ak_updates-ANDROID-4.apk" || r.Version.SHA256 == nil || *r.Version.Size != 5 {
		t.Errorf("after publishing 4: %+v", r)
	}
}

func TestCheckForcedAndMinimumVersions(t *testing.T) {
	f := newFixture(t)
	f.version(t, 2, false, 0, 100)
	f.version(t, 3, true, 0, 100) // forced
	f.version(t, 4, false, 0, 100)
	f.version(t, 5, false, 2, 100) // installs below 2 must update
	tests := []struct {
		current int32
		force   bool
	}{
		{1, true},  // below minSupported of 5 (and 3 is forced)
		{2, true},  // 3, between 2 and 5, is forced
		{3, false}, // 4 and 5 are not forced; 3 ≥ 2
		{4, false},
	}
	for _, tt := range tests {
		r := f.check(t, tt.current, "")
		if !r.HasUpdate || r.Version.VersionCode != 5 || r.ForceUpdate != tt.force {
			t.Errorf("from %d: %+v, want 5 with force %v", tt.current, r, tt.force)
		}
	}
	if r := f.check(t, 5, ""); r.HasUpdate || r.ForceUpdate {
		t.Errorf("up to date: %+v", r)
	}
}

func TestWithdrawnVersionsAreNotOffered(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.version(t, 2, false, 0, 100)
	bad := f.version(t, 3, true, 0, 100)
	if _, err := f.svc.WithdrawAppVersion(ctx, f.owner, bad.ID); err != nil {
		t.Fatal(err)
	}
	r := f.check(t, 1, "")
	if r.Version.VersionCode != 2 || r.ForceUpdate {
		t.Errorf("after withdrawing 3: %+v, want 2 not forced (a withdrawn version forces nothing)", r)
	}
	if v, err := f.svc.PublishAppVersion(ctx, f.owner, bad.ID, nil); err != nil || v.Status != Published {
		t.Fatalf("publish again: %+v, %v", v, err)
	}
	if r := f.check(t, 1, ""); r.Version.VersionCode != 3 {
		t.Errorf("republished: %+v", r)
	}
}

func TestRolloutIsStableAndMonotone(t *testing.T) {
	const devices = 2000
	for _, id := range []int64{1, 42, 987654} {
		prev := map[int]bool{}
		for pct := int32(0); pct <= 100; pct += 10 {
			in := 0
			for d := range devices {
				got := InRollout("device-"+strconv.Itoa(d), id, pct)
				if got != InRollout("device-"+strconv.Itoa(d), id, pct) {
					t.Fatal("the same device got two answers")
				}
				if prev[d] && !got {
					t.Fatalf("release %d: device %d left the rollout when it rose to %d%%", id, d, pct)
				}
				prev[d] = got
				if got {
					in++
				}
			}
			if share := float64(in) / devices * 100; share < float64(pct)-5 || share > float64(pct)+5 {
				t.Errorf("release %d at %d%%: %.1f%% of devices inside", id, pct, share)
			}
		}
	}
	if InRollout("", 1, 99) || !InRollout("", 1, 100) || InRollout("d", 1, 0) {
		t.Error("no device: only a full rollout; 0 percent: nobody")
	}
}

func TestRolloutInTheCheck(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.version(t, 2, false, 0, 100)
	staged := f.version(t, 3, false, 0, 30)
	var inside, outside string
	for d := 0; inside == "" || outside == ""; d++ {
		id := "dev" + strconv.Itoa(d)
		if InRollout(id, staged.ID, 30) {
			inside = id
		} else {
			outside = id
		}
	}
	if r := f.check(t, 1, inside); r.Version.VersionCode != 3 {
		t.Errorf("device inside: %+v", r)
	}
	if r := f.check(t, 1, outside); r.Version.VersionCode != 2 {
		t.Errorf("device outside: %+v, want the fully rolled out 2", r)
	}
	if r := f.check(t, 1, ""); r.Version.VersionCode != 2 {
		t.Errorf("no device id: %+v, want 2", r)
	}
	if _, err := f.svc.SetAppVersionRollout(ctx, f.owner, staged.ID, 100); err != nil {
		t.Fatal(err)
	}
	if r := f.check(t, 1, outside); r.Version.VersionCode != 3 {
		t.Errorf("at 100%%: %+v", r)
	}
	if _, err := f.svc.SetAppVersionRollout(ctx, f.owner, staged.ID, 0); err != nil {
		t.Fatal(err)
	}
	if r := f.check(t, 1, inside); r.Version.VersionCode != 2 {
		t.Errorf("paused at 0%%: %+v", r)
	}
}

func TestUploadAppVersionValidation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	apk := func() *Upload { return &Upload{Name: "a.apk", Body: bytes.NewReader([]byte("apk"))} }
	base := func() AppVersionUpload {
		return AppVersionUpload{AppKey: f.appKey, Platform: Android, VersionCode: 7, VersionName: "1.7.0", File: apk()}
	}
	with := func(change func(*AppVersionUpload)) AppVersionUpload {
		in := base()
		change(&in)
		return in
	}
	n := func(v int32) *int32 { return &v }
	tests := []struct {
		name  string
		in    AppVersionUpload
		field string
	}{
		{"negative versionCode", with(func(in *AppVersionUpload) { in.VersionCode = -3 }), "versionCode"},
		{"no versionCode", with(func(in *AppVersionUpload) { in.VersionCode = 0 }), "versionCode"},
		{"huge versionCode", with(func(in *AppVersionUpload) { in.VersionCode = 2100000001 }), "versionCode"},
		{"no versionName", with(func(in *AppVersionUpload) { in.VersionName = "" }), "versionName"},
		{"blank versionName", with(func(in *AppVersionUpload) { in.VersionName = "  " }), "versionName"},
		{"bad platform", with(func(in *AppVersionUpload) { in.Platform = "WINDOWS" }), "platform"},
		{"bad appId", with(func(in *AppVersionUpload) { in.AppKey = "nope" }), "appId"},
		{"no file", with(func(in *AppVersionUpload) { in.File = nil }), "file"},
		{"min above code", with(func(in *AppVersionUpload) { in.MinSupportedVersionCode = n(8) }), "minSupportedVersionCode"},
		{"bad rollout", with(func(in *AppVersionUpload) { in.RolloutPercent = n(101) }), "rolloutPercent"},
		{"bad store URL", with(func(in *AppVersionUpload) { in.StoreURL = "ftp://x" }), "storeUrl"},
		{"IOS with a file", with(func(in *AppVersionUpload) { in.Platform = IOS }), "file"},
	}
	for _, tt := range tests {
		_, err := f.svc.UploadAppVersion(ctx, f.owner, tt.in)
		fe := fault.As(err)
		found := false
		for _, e := range fe.Fields {
			found = found || e.Field == tt.field
		}
		if fe.Kind != fault.Invalid || !found {
			t.Errorf("%s: %v, want 400 naming %s", tt.name, err, tt.field)
		}
	}
	// IOS: a store link, no file.
	ios := with(func(in *AppVersionUpload) {
		in.Platform, in.StoreURL, in.File = IOS, "https://apps.apple.com/app/id1", nil
	})
	v, err := f.svc.UploadAppVersion(ctx, f.owner, ios)
	if err != nil || v.SHA256 != nil || v.DownloadPath() != "" || *v.StoreURL != ios.StoreURL {
		t.Errorf("IOS version: %+v, %v", v, err)
	}
	if _, err := f.svc.UploadAppVersion(ctx, f.owner, base()); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.UploadAppVersion(ctx, f.owner, base()); !fault.Is(err, fault.Conflict) {
		t.Errorf("duplicate versionCode: %v, want 409", err)
	}
	big := with(func(in *AppVersionUpload) {
		in.VersionCode, in.File = 9, &Upload{Name: "big.apk", Body: bytes.NewReader(make([]byte, 1<<20+1))}
	})
	if _, err := f.svc.UploadAppVersion(ctx, f.owner, big); !fault.Is(err, fault.TooLarge) {
		t.Errorf("over XUQM_UPDATE_MAX_BYTES: %v, want 413", err)
	}
}

func TestManagementCallers(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	v := f.version(t, 2, false, 0, -1)
	otherApp, otherTenant := newApp(t, f.pool, "ak_other")
	callers := []struct {
		name string
		p    *auth.Principal
		want fault.Kind // -1: allowed
	}{
		{"owner", f.owner, -1},
		{"operator", &auth.Principal{Kind: auth.KindOps, OperatorID: 1}, -1},
		{"app server", &auth.Principal{Kind: auth.KindAppServer, TenantID: f.owner.TenantID, App: &auth.App{ID: f.appID, Key: f.appKey}}, -1},
		{"another tenant", &auth.Principal{Kind: auth.KindTenant, TenantID: otherTenant, AccountID: 9}, fault.NotFound},
		{"another app's server", &auth.Principal{Kind: auth.KindAppServer, TenantID: otherTenant, App: &auth.App{ID: otherApp, Key: "ak_other"}}, fault.NotFound},
		{"IM user", &auth.Principal{Kind: auth.KindIM, UserID: "u", App: &auth.App{ID: f.appID, Key: f.appKey}}, fault.NotFound},
	}
	for _, c := range callers {
		_, err := f.svc.WithdrawAppVersion(ctx, c.p, v.ID)
		if (c.want < 0 && err != nil) || (c.want >= 0 && !fault.Is(err, c.want)) {
			t.Errorf("%s withdraws: %v", c.name, err)
		}
	}
	// Uploads name the app in the form: another tenant is refused outright.
	upload := func() AppVersionUpload {
		return AppVersionUpload{AppKey: f.appKey, Platform: Android, VersionCode: 3, VersionName: "3", File: &Upload{Body: bytes.NewReader([]byte("x"))}}
	}
	other := &auth.Principal{Kind: auth.KindTenant, TenantID: otherTenant, AccountID: 9}
	if _, err := f.svc.UploadAppVersion(ctx, other, upload()); !fault.Is(err, fault.Forbidden) {
		t.Errorf("another tenant uploads: %v", err)
	}
	signedOther := &auth.Principal{Kind: auth.KindAppServer, App: &auth.App{ID: otherApp, Key: "ak_other"}}
	if _, err := f.svc.UploadAppVersion(ctx, signedOther, upload()); !fault.Is(err, fault.Forbidden) {
		t.Errorf("signed for another app: %v", err)
	}
	if _, err := f.svc.ListAppVersions(ctx, other, f.appKey, VersionFilter{}); !fault.Is(err, fault.Forbidden) {
		t.Errorf("another tenant lists: %v", err)
	}
	if _, err := f.svc.PublishAppVersion(ctx, f.owner, 999999, nil); !fault.Is(err, fault.NotFound) {
		t.Errorf("no such version: %v", err)
	}
	if _, err := f.pool.Exec(ctx, `UPDATE app_services SET enabled = false WHERE app_id = $1`, f.appID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.PublishAppVersion(ctx, f.owner, v.ID, nil); !fault.Is(err, fault.Forbidden) {
		t.Errorf("UPDATE off: %v", err)
	}
}

func TestListAppVersions(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, code := range []int32{3, 1, 5, 2, 4} {
		f.version(t, code, false, 0, map[bool]int32{true: 100, false: -1}[code%2 == 1])
	}
	got, err := f.svc.ListAppVersions(ctx, f.owner, f.appKey, VersionFilter{Page: page.Request{Number: 1, Size: 2}})
	if err != nil {
		t.Fatal(err)
	}
	if got.Total != 5 || got.Pages() != 3 || len(got.Items) != 2 || got.Items[0].VersionCode != 3 || got.Items[1].VersionCode != 2 {
		t.Errorf("page 1 of 2: %+v", got)
	}
	status := Draft
	got, err = f.svc.ListAppVersions(ctx, f.owner, f.appKey, VersionFilter{Status: &status})
	if err != nil || got.Total != 2 || got.Items[0].VersionCode != 4 || got.Items[1].VersionCode != 2 {
		t.Errorf("drafts: %+v %v", got, err)
	}
}

func TestDownloadAPK(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	v := f.version(t, 2, false, 0, -1) // a DRAFT can be downloaded for testing, by app admins only
	for _, p := range []*auth.Principal{{}, {Kind: auth.KindTenant, TenantID: f.owner.TenantID, AccountID: 2, Role: auth.RoleViewer},
		{Kind: auth.KindTenant, TenantID: f.owner.TenantID + 1000, AccountID: 3, Role: auth.RoleMain}} {
		if _, err := f.svc.DownloadAPK(ctx, p, APKName(f.appKey, 2)); !fault.Is(err, fault.NotFound) {
			t.Errorf("the DRAFT for %+v: %v, want 404", p, err)
		}
	}
	d, err := f.svc.DownloadAPK(ctx, f.owner, APKName(f.appKey, 2))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(d.Object)
	d.Object.Close()
	if string(b) != "APK 2" || d.SHA256 != *v.SHA256 {
		t.Errorf("APK %q %s", b, d.SHA256)
	}
	for _, name := range []string{APKName(f.appKey, 3), APKName("ak_nobody", 2)} {
		if _, err := f.svc.DownloadAPK(ctx, f.owner, name); !fault.Is(err, fault.NotFound) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := f.svc.DownloadAPK(ctx, f.owner, "../../etc/passwd"); !fault.Is(err, fault.Invalid) {
		t.Errorf("bad name: %v", err)
	}
}

func TestIndexFollowsChangesAndInvalidation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.version(t, 2, false, 0, 100)
	if r := f.check(t, 1, ""); r.Version.VersionCode != 2 {
		t.Fatalf("%+v", r)
	}
	// Another instance publishes 3: this one learns of it through Invalidate.
	if _, err := f.pool.Exec(ctx, `INSERT INTO app_versions (app_id, platform, version_code, version_name, status, published_at)
		VALUES ($1, 'ANDROID', 3, '1.3.0', 'PUBLISHED', now())`, f.appID); err != nil {
		t.Fatal(err)
	}
	if r := f.check(t, 1, ""); r.Version.VersionCode != 2 {
		t.Errorf("before the invalidation the index answers: %+v", r)
	}
	f.svc.Invalidate(f.appID)
	if r := f.check(t, 1, ""); r.Version.VersionCode != 3 {
		t.Errorf("after the invalidation: %+v", r)
	}
}

func TestChecksNeedNoDatabase(t *testing.T) {
	f := newFixture(t)
	f.version(t, 2, false, 0, 100)
	f.bundle(t, "home", bundleSpec{version: "1.0.1", rollout: 100})
	f.check(t, 1, "") // loads the app's releases
	f.pool.Close()    // from here on any query fails
	for range 100 {
		if r := f.check(t, 1, "d"); r.Version.VersionCode != 2 {
			t.Fatalf("%+v", r)
		}
		if r := f.rnCheck(t, "1.0.0", "2.0", "d"); r.Bundle.Version != "1.0.1" {
			t.Fatalf("%+v", r)
		}
	}
}

func TestStaleIndexRefreshesInTheBackground(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.version(t, 2, false, 0, 100)
	f.check(t, 1, "")
	if _, err := f.pool.Exec(ctx, `INSERT INTO app_versions (app_id, platform, version_code, version_name, status, published_at)
		VALUES ($1, 'ANDROID', 3, '1.3.0', 'PUBLISHED', now())`, f.appID); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Minute)
	f.svc.index.mu.Lock()
	f.svc.index.now = func() time.Time { return later }
	f.svc.index.mu.Unlock()
	// The stale entry still answers, and a refresh starts; the next checks see version 3.
	if r := f.check(t, 1, ""); r.Version.VersionCode != 2 {
		t.Errorf("stale answer: %+v", r)
	}
	deadline := time.Now().Add(10 * time.Second)
	for f.check(t, 1, "").Version.VersionCode != 3 {
		if time.Now().After(deadline) {
			t.Fatal("the stale entry was never refreshed")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
