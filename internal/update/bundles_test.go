package update

import (
	"bytes"
	"context"
	"io"
	"strconv"
	"testing"

	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/fault"
)

type bundleSpec struct {
	version, minApp, maxApp string
	mandatory               bool
	rollout                 int32 // negative: stays a DRAFT
}

func (f *fixture) bundle(t testing.TB, module string, s bundleSpec) Bundle {
	t.Helper()
	ctx := context.Background()
	in := BundleUpload{
		AppKey: f.appKey, Platform: Android, ModuleID: module, Version: s.version,
		MinAppVersion: s.minApp, MaxAppVersion: s.maxApp, Mandatory: s.mandatory, Description: "bundle " + s.version,
		File: &Upload{Name: module + ".bundle", Body: bytes.NewReader([]byte("JS " + s.version))},
	}
	if in.MinAppVersion == "" {
		in.MinAppVersion = "1.0.0"
	}
	b, err := f.svc.UploadRnBundle(ctx, f.owner, in)
	if err != nil {
		t.Fatal(err)
	}
	if s.rollout >= 0 {
		if b, err = f.svc.PublishRnBundle(ctx, f.owner, b.ID, &s.rollout); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

func (f *fixture) rnCheck(t testing.TB, current, appVersion, device string) BundleCheckResult {
	t.Helper()
	r, err := f.svc.CheckRnBundle(context.Background(), BundleCheck{
		AppKey: f.appKey, Platform: Android, ModuleID: "home", CurrentVersion: current, AppVersion: appVersion, DeviceID: device,
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestBundleCheckUsesSemverOrder(t *testing.T) {
	f := newFixture(t)
	f.bundle(t, "home", bundleSpec{version: "1.9.0", rollout: 100})
	f.bundle(t, "home", bundleSpec{version: "1.10.0", rollout: 100})
	f.bundle(t, "home", bundleSpec{version: "1.10.1-beta.1", rollout: 100})
	f.bundle(t, "home", bundleSpec{version: "1.2.0", rollout: 100})
	f.bundle(t, "other", bundleSpec{version: "9.0.0", rollout: 100})
	r := f.rnCheck(t, "1.0.0", "", "")
	if !r.HasUpdate || r.Bundle.Version != "1.10.1-beta.1" || r.Mandatory || r.Rollback {
		t.Errorf("from 1.0.0: %+v, want 1.10.1-beta.1 (1.10 after 1.9; a pre-release before its release)", r)
	}
	if r.Bundle.DownloadPath() != "/api/v1/rn/files/ak_updates/ANDROID/home?version=1.10.1-beta.1" || r.Bundle.Size != int64(len("JS 1.10.1-beta.1")) {
		t.Errorf("offer: %+v", r.Bundle)
	}
	if r := f.rnCheck(t, "1.10.1-beta.1", "", ""); r.HasUpdate {
		t.Errorf("current is newest: %+v", r)
	}
	if r := f.rnCheck(t, "1.10.1", "", ""); r.HasUpdate {
		t.Errorf("1.10.1 is after 1.10.1-beta.1: %+v", r)
	}
}

func TestBundleCompatibilityRanges(t *testing.T) {
	f := newFixture(t)
	f.bundle(t, "home", bundleSpec{version: "1.0.1", minApp: "1.0", rollout: 100})
	f.bundle(t, "home", bundleSpec{version: "1.1.0", minApp: "2.0.0", maxApp: "2.9", rollout: 100})
	f.bundle(t, "home", bundleSpec{version: "1.2.0", minApp: "3.0.0-beta", rollout: 100})
	tests := []struct{ appVersion, want string }{
		{"1.5", "1.0.1"},
		{"2.0", "1.1.0"}, // 2.0 = 2.0.0
		{"2.9.0.0", "1.1.0"},
		{"2.9.1", "1.0.1"}, // above 1.1.0's maximum
		{"3.0.0-alpha", "1.0.1"},
		{"3.0.0-beta", "1.2.0"},
		{"3.0.0", "1.2.0"}, // a release after its pre-release
		{"", "1.2.0"},      // without appVersion the range is not checked
	}
	for _, tt := range tests {
		if r := f.rnCheck(t, "1.0.0", tt.appVersion, ""); r.Bundle.Version != tt.want {
			t.Errorf("app %q: %+v, want %s", tt.appVersion, r, tt.want)
		}
	}
	if r := f.rnCheck(t, "1.0.0", "0.9", ""); r.HasUpdate {
		t.Errorf("app 0.9 runs none: %+v", r)
	}
}

func TestBundleMandatory(t *testing.T) {
	f := newFixture(t)
	f.bundle(t, "home", bundleSpec{version: "1.0.1", rollout: 100})
	f.bundle(t, "home", bundleSpec{version: "1.0.2", mandatory: true, rollout: 100})
	f.bundle(t, "home", bundleSpec{version: "1.0.3", rollout: 100})
	for current, want := range map[string]bool{"1.0.0": true, "1.0.1": true, "1.0.2": false} {
		r := f.rnCheck(t, current, "", "")
		if !r.HasUpdate || r.Bundle.Version != "1.0.3" || r.Mandatory != want {
			t.Errorf("from %s: %+v, want mandatory %v", current, r, want)
		}
	}
}

func TestBundleWithdrawAndRollback(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.bundle(t, "home", bundleSpec{version: "1.0.1", rollout: 100})
	b2 := f.bundle(t, "home", bundleSpec{version: "1.0.2", rollout: 100})
	f.bundle(t, "home", bundleSpec{version: "1.0.3", rollout: 100})

	// Rolling back withdraws the newest: clients on it are sent back, mandatorily.
	cur, err := f.svc.RollbackRnBundle(ctx, f.owner, f.appKey, Android, "home", nil)
	if err != nil || cur.Version != "1.0.2" {
		t.Fatalf("rollback: %+v, %v", cur, err)
	}
	r := f.rnCheck(t, "1.0.3", "", "")
	if !r.HasUpdate || r.Bundle.Version != "1.0.2" || !r.Rollback || !r.Mandatory || !r.CurrentWithdrawn {
		t.Errorf("client on the withdrawn 1.0.3: %+v", r)
	}
	if r := f.rnCheck(t, "1.0.1", "", ""); r.Bundle.Version != "1.0.2" || r.Rollback || r.CurrentWithdrawn {
		t.Errorf("client on 1.0.1: %+v", r)
	}

	// To a version: everything newer is withdrawn; a retry changes nothing.
	for range 2 {
		cur, err = f.svc.RollbackRnBundle(ctx, f.owner, f.appKey, Android, "home", ptr("1.0.1"))
		if err != nil || cur.Version != "1.0.1" {
			t.Fatalf("rollback to 1.0.1: %+v, %v", cur, err)
		}
	}
	if r := f.rnCheck(t, "1.0.2", "", ""); r.Bundle.Version != "1.0.1" || !r.Rollback {
		t.Errorf("client on 1.0.2: %+v", r)
	}
	if _, err := f.svc.RollbackRnBundle(ctx, f.owner, f.appKey, Android, "home", nil); !fault.Is(err, fault.Conflict) {
		t.Errorf("nothing earlier: %v, want 409", err)
	}
	if _, err := f.svc.RollbackRnBundle(ctx, f.owner, f.appKey, Android, "home", ptr("1.0.2")); !fault.Is(err, fault.Conflict) {
		t.Errorf("to a withdrawn bundle: %v, want 409", err)
	}
	if _, err := f.svc.RollbackRnBundle(ctx, f.owner, f.appKey, Android, "home", ptr("7.0.0")); !fault.Is(err, fault.NotFound) {
		t.Errorf("to no bundle: %v, want 404", err)
	}
	if _, err := f.svc.RollbackRnBundle(ctx, f.owner, f.appKey, Android, "home", ptr("x")); !fault.Is(err, fault.Invalid) {
		t.Errorf("to a non-semver: %v, want 400", err)
	}

	// Withdrawing the last one: the client on it returns to its built-in bundle.
	if _, err := f.svc.WithdrawRnBundle(ctx, f.owner, cur.ID); err != nil {
		t.Fatal(err)
	}
	if r := f.rnCheck(t, "1.0.1", "", ""); r.HasUpdate || !r.CurrentWithdrawn {
		t.Errorf("all withdrawn: %+v", r)
	}
	// Publishing again brings a bundle back.
	if _, err := f.svc.PublishRnBundle(ctx, f.owner, b2.ID, nil); err != nil {
		t.Fatal(err)
	}
	if r := f.rnCheck(t, "1.0.0", "", ""); r.Bundle.Version != "1.0.2" {
		t.Errorf("republished: %+v", r)
	}
}

func ptr[T any](v T) *T { return &v }

func TestBundleRolloutInTheCheck(t *testing.T) {
	f := newFixture(t)
	f.bundle(t, "home", bundleSpec{version: "1.0.1", rollout: 100})
	staged := f.bundle(t, "home", bundleSpec{version: "1.0.2", rollout: 50})
	offered := 0
	for d := range 400 {
		dev := "d" + strconv.Itoa(d)
		r := f.rnCheck(t, "1.0.0", "", dev)
		if (r.Bundle.Version == "1.0.2") != InRollout(dev, staged.ID, 50) {
			t.Fatalf("device %s: %+v disagrees with InRollout", dev, r)
		}
		if r.Bundle.Version == "1.0.2" {
			offered++
		}
	}
	if offered < 160 || offered > 240 {
		t.Errorf("%d of 400 devices offered the 50%% bundle", offered)
	}
}

func TestUploadRnBundleValidation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	base := func() BundleUpload {
		return BundleUpload{AppKey: f.appKey, Platform: Android, ModuleID: "home", Version: "1.0.0", MinAppVersion: "1.0.0",
			File: &Upload{Name: "b.js", Body: bytes.NewReader([]byte("js"))}}
	}
	tests := []struct {
		field, value string
		set          func(*BundleUpload, string)
	}{
		{"version", "1.0", func(b *BundleUpload, v string) { b.Version = v }},
		{"version", "v1.0.0", func(b *BundleUpload, v string) { b.Version = v }},
		{"version", "1.0.0+build.5", func(b *BundleUpload, v string) { b.Version = v }},
		{"version", "01.0.0", func(b *BundleUpload, v string) { b.Version = v }},
		{"minAppVersion", "one", func(b *BundleUpload, v string) { b.MinAppVersion = v }},
		{"minAppVersion", "", func(b *BundleUpload, v string) { b.MinAppVersion = v }},
		{"maxAppVersion", "0.9", func(b *BundleUpload, v string) { b.MaxAppVersion = v }}, // below minAppVersion
		{"moduleId", ".hidden", func(b *BundleUpload, v string) { b.ModuleID = v }},
		{"moduleId", "a/b", func(b *BundleUpload, v string) { b.ModuleID = v }},
		{"targetBinaryRange", "1.x", func(b *BundleUpload, v string) { b.TargetBinaryRange = v }}, // only with deployment
		{"runtimeVersion", "1\n2", func(b *BundleUpload, v string) { b.Deployment, b.RuntimeVersion = "Production", v }},
		{"file", "", func(b *BundleUpload, _ string) { b.File = nil }},
	}
	for _, tt := range tests {
		in := base()
		tt.set(&in, tt.value)
		_, err := f.svc.UploadRnBundle(ctx, f.owner, in)
		fe := fault.As(err)
		if fe.Kind != fault.Invalid || len(fe.Fields) == 0 || fe.Fields[0].Field != tt.field {
			t.Errorf("%s=%q: %v, want 400 naming it", tt.field, tt.value, err)
		}
	}
	empty := base()
	empty.File = &Upload{Body: bytes.NewReader(nil)}
	if _, err := f.svc.UploadRnBundle(ctx, f.owner, empty); !fault.Is(err, fault.Invalid) {
		t.Errorf("empty file: %v", err)
	}
	if _, err := f.svc.UploadRnBundle(ctx, f.owner, base()); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.UploadRnBundle(ctx, f.owner, base()); !fault.Is(err, fault.Conflict) {
		t.Errorf("duplicate version: %v, want 409", err)
	}
	if _, err := f.svc.CheckRnBundle(ctx, BundleCheck{AppKey: f.appKey, Platform: Android, ModuleID: "home", CurrentVersion: "latest"}); !fault.Is(err, fault.Invalid) {
		t.Errorf("check with a non-semver currentVersion: %v", err)
	}
}

func TestDownloadBundle(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.bundle(t, "home", bundleSpec{version: "1.9.0", rollout: 100})
	f.bundle(t, "home", bundleSpec{version: "1.10.0", rollout: 10}) // rollout does not apply to downloads
	f.bundle(t, "home", bundleSpec{version: "2.0.0", rollout: -1})  // a DRAFT is not the latest
	read := func(version *string) (Download, string) {
		d, err := f.svc.DownloadBundle(ctx, f.owner, f.appKey, Android, "home", version)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Object.Close()
		b, _ := io.ReadAll(d.Object)
		return d, string(b)
	}
	if d, body := read(nil); d.Version != "1.10.0" || body != "JS 1.10.0" || d.FileName != "home.bundle" {
		t.Errorf("latest: %+v %q", d, body)
	}
	if d, body := read(ptr("2.0.0")); d.Version != "2.0.0" || body != "JS 2.0.0" {
		t.Errorf("the DRAFT by version, for its owner: %+v %q", d, body)
	}
	if _, err := f.svc.DownloadBundle(ctx, &auth.Principal{}, f.appKey, Android, "home", ptr("2.0.0")); !fault.Is(err, fault.NotFound) {
		t.Errorf("the DRAFT without credentials: %v, want 404", err)
	}
	if _, err := f.svc.DownloadBundle(ctx, &auth.Principal{}, f.appKey, Android, "home", ptr("1.9.0")); err != nil {
		t.Errorf("a published bundle without credentials: %v", err)
	}
	if _, err := f.svc.DownloadBundle(ctx, f.owner, f.appKey, Android, "home", ptr("3.0.0")); !fault.Is(err, fault.NotFound) {
		t.Errorf("no such version: %v", err)
	}
	if _, err := f.svc.DownloadBundle(ctx, f.owner, f.appKey, IOS, "home", nil); !fault.Is(err, fault.NotFound) {
		t.Errorf("no IOS bundle: %v", err)
	}
}

func TestNativeVersionOrder(t *testing.T) {
	order := []string{"0.9", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1", "1.0.0.1", "1.2", "1.10", "2.0.0.0"}
	for i := range order {
		for j := range order {
			a, err1 := parseNativeVersion(order[i])
			b, err2 := parseNativeVersion(order[j])
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			if got, want := a.compare(b), cmpInt(i, j); got != want {
				t.Errorf("compare(%s, %s) = %d, want %d", order[i], order[j], got, want)
			}
		}
	}
	for _, bad := range []string{"", "1.2.3.4.5", "a.b", "1..2", "-1", "1.0-"} {
		if _, err := parseNativeVersion(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
