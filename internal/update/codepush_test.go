package update_test

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/testserver"
	"github.com/xuqmgroup/xuqm/internal/update"
)

// zipOf is a zip of the files, in the order given (the package's own test helper).
var zipOf = update.ZipOf

func (w *world) deployments(t testing.TB, token string) map[string]api.RnDeployment {
	t.Helper()
	resp, err := w.Client.CreateRnDeploymentsWithResponse(context.Background(), &api.CreateRnDeploymentsParams{AppId: appKey},
		api.RnDeploymentCreate{Platform: "ANDROID", ModuleId: "main"}, testserver.Bearer(token))
	if err != nil || resp.JSON200 == nil {
		t.Fatalf("create deployments: %v %s", err, resp.Body)
	}
	out := map[string]api.RnDeployment{}
	for _, d := range resp.JSON200.Data {
		out[d.Name] = d
	}
	return out
}

// release uploads a zip into a deployment; extra are more form fields.
func (w *world) release(t testing.TB, deployment, version string, bundle []byte, extra ...string) api.RnRelease {
	t.Helper()
	fields := map[string]string{"appId": appKey, "platform": "ANDROID", "moduleId": "main", "version": version,
		"deployment": deployment, "targetBinaryRange": "^1.0.0"}
	for i := 0; i+1 < len(extra); i += 2 {
		fields[extra[i]] = extra[i+1]
	}
	ct, body := form(t, fields, "bundle.zip", bundle)
	resp, err := w.Client.UploadRnBundleWithBodyWithResponse(context.Background(), &api.UploadRnBundleParams{}, ct, body, testserver.Bearer(w.owner))
	if err != nil || resp.JSON200 == nil || resp.JSON200.Data.Release == nil {
		t.Fatalf("release %s: %v %s", version, err, resp.Body)
	}
	return *resp.JSON200.Data.Release
}

func (w *world) codePushCheck(t testing.TB, key, appVersion, label, hash, client string) api.CodePushUpdateInfo {
	t.Helper()
	p := &api.CodePushUpdateCheckParams{DeploymentKey: key, AppVersion: appVersion}
	if label != "" {
		p.Label = &label
	}
	if hash != "" {
		p.PackageHash = &hash
	}
	if client != "" {
		p.ClientUniqueId = &client
	}
	resp, err := w.Client.CodePushUpdateCheckWithResponse(context.Background(), p)
	if err != nil || resp.JSON200 == nil {
		t.Fatalf("update_check: %v %d %s", err, resp.StatusCode(), resp.Body)
	}
	return resp.JSON200.UpdateInfo
}

func TestCodePushReleasesAndChecks(t *testing.T) {
	w := newWorld(t, nil)
	ctx := context.Background()
	ds := w.deployments(t, w.owner)
	if len(ds) != 2 || ds["Staging"].Key == nil || ds["Production"].Key == nil || !strings.HasSuffix(*ds["Staging"].Key, ds["Staging"].KeyHint) {
		t.Fatalf("default deployments: %+v", ds)
	}
	if again := w.deployments(t, w.owner); len(again) != 0 {
		t.Errorf("the defaults were made twice: %+v", again)
	}
	staging := *ds["Staging"].Key

	// Nothing released: run the binary's bundle.
	if info := w.codePushCheck(t, staging, "1.0.0", "", "", "c1"); info.IsAvailable || !info.ShouldRunBinaryVersion {
		t.Errorf("empty deployment: %+v", info)
	}
	b1 := zipOf(t, "CodePush/index.android.bundle", "one", "CodePush/assets/a.png", "png", "__MACOSX/._x", "junk", "CodePush/.DS_Store", "junk")
	v1 := w.release(t, "Staging", "1.0.0", b1, "description", "first")
	if v1.Label != "v1" || v1.PackageHash != packageHash(t, b1) || v1.Deployment != "Staging" {
		t.Errorf("v1: %+v", v1)
	}
	info := w.codePushCheck(t, staging, "1.0.0", "", "", "c1")
	if !info.IsAvailable || info.Label != "v1" || info.PackageHash != v1.PackageHash || info.Description != "first" || info.IsMandatory || info.TargetBinaryRange != "^1.0.0" {
		t.Fatalf("first check: %+v", info)
	}
	resp, body := w.Fetch(t, "GET", strings.TrimPrefix(info.DownloadUrl, "http://localhost:8080"), nil)
	if resp.StatusCode != 200 || !bytes.Equal(body, b1) || int64(len(body)) != info.PackageSize {
		t.Errorf("download: %d %d bytes from %s", resp.StatusCode, len(body), info.DownloadUrl)
	}
	if info := w.codePushCheck(t, staging, "1.0.0", "v1", v1.PackageHash, "c1"); info.IsAvailable {
		t.Errorf("v1 offered to v1: %+v", info)
	}

	// v2 in range, then v3 mandatory and v4 not: from v2, v4 comes mandatory.
	v2 := w.release(t, "Staging", "1.0.1", zipOf(t, "CodePush/index.android.bundle", "two"))
	if info := w.codePushCheck(t, staging, "1.0.3", "v1", v1.PackageHash, "c1"); !info.IsAvailable || info.Label != "v2" || info.IsMandatory {
		t.Errorf("v2 check: %+v", info)
	}
	w.release(t, "Staging", "1.0.2", zipOf(t, "CodePush/index.android.bundle", "three"), "mandatory", "true")
	v4 := w.release(t, "Staging", "1.0.3", zipOf(t, "CodePush/index.android.bundle", "four"))
	if info := w.codePushCheck(t, staging, "1.0.0", "v2", v2.PackageHash, "c1"); !info.IsAvailable || info.Label != "v4" || !info.IsMandatory {
		t.Errorf("past a mandatory release: %+v", info)
	}
	if info := w.codePushCheck(t, staging, "1.0.0", "v3", "", "c1"); !info.IsAvailable || info.Label != "v4" || info.IsMandatory {
		t.Errorf("from the mandatory release: %+v", info)
	}
	// Without a label, the hash says which release the client runs.
	if info := w.codePushCheck(t, staging, "1.0.0", "", v4.PackageHash, "c1"); info.IsAvailable {
		t.Errorf("v4 by hash: %+v", info)
	}
	// The binary is too old for every release; a newer one is outside the range but not too old.
	if info := w.codePushCheck(t, staging, "0.9.0", "", "", "c1"); info.IsAvailable || !info.UpdateAppVersion || info.TargetBinaryRange != "^1.0.0" {
		t.Errorf("binary too old: %+v", info)
	}
	if info := w.codePushCheck(t, staging, "2.0.0", "", "", "c1"); info.IsAvailable || info.UpdateAppVersion || !info.ShouldRunBinaryVersion {
		t.Errorf("binary newer than the range: %+v", info)
	}

	// Disabled: never offered; the newest enabled one is.
	off := true
	up, err := w.Client.UpdateRnReleaseWithResponse(ctx, v4.Id, &api.UpdateRnReleaseParams{}, api.RnReleaseChange{Disabled: &off}, testserver.Bearer(w.owner))
	if err != nil || up.JSON200 == nil || !up.JSON200.Data.Disabled {
		t.Fatalf("disable: %v %s", err, up.Body)
	}
	if info := w.codePushCheck(t, staging, "1.0.0", "v2", "", "c1"); info.Label != "v3" {
		t.Errorf("with v4 disabled: %+v", info)
	}

	// The older camelCase family gives the same answer.
	legacy, err := w.Client.CodePushLegacyUpdateCheckWithResponse(ctx, &api.CodePushLegacyUpdateCheckParams{DeploymentKey: staging, AppVersion: "1.0"})
	if err != nil || legacy.JSON200 == nil || !legacy.JSON200.UpdateInfo.IsAvailable || legacy.JSON200.UpdateInfo.Label != "v3" || legacy.JSON200.UpdateInfo.DownloadURL == "" {
		t.Errorf("legacy check: %v %s", err, legacy.Body)
	}

	// Promote v2 to Production; the bundle is shared.
	label := "v2"
	pr, err := w.Client.PromoteRnReleaseWithResponse(ctx, ds["Staging"].Id, &api.PromoteRnReleaseParams{}, api.RnPromote{ToDeployment: "Production", Label: &label}, testserver.Bearer(w.owner))
	if err != nil || pr.JSON200 == nil || pr.JSON200.Data.Label != "v1" || pr.JSON200.Data.BundleId != v2.BundleId || *pr.JSON200.Data.PromotedFrom != v2.Id {
		t.Fatalf("promote: %v %s", err, pr.Body)
	}
	if info := w.codePushCheck(t, *ds["Production"].Key, "1.2.0", "", "", "c1"); info.Label != "v1" || info.PackageHash != v2.PackageHash {
		t.Errorf("production: %+v", info)
	}

	// A rotated key replaces the old one at once.
	rot, err := w.Client.RotateRnDeploymentKeyWithResponse(ctx, ds["Staging"].Id, &api.RotateRnDeploymentKeyParams{}, testserver.Bearer(w.owner))
	if err != nil || rot.JSON200 == nil || rot.JSON200.Data.Key == nil || *rot.JSON200.Data.Key == staging {
		t.Fatalf("rotate: %v %s", err, rot.Body)
	}
	if old, _ := w.Client.CodePushUpdateCheckWithResponse(ctx, &api.CodePushUpdateCheckParams{DeploymentKey: staging, AppVersion: "1.0.0"}); old.StatusCode() != 404 {
		t.Errorf("old key: %d", old.StatusCode())
	}
	w.codePushCheck(t, *rot.JSON200.Data.Key, "1.0.0", "", "", "")
	if list, _ := w.Client.ListRnDeploymentsWithResponse(ctx, &api.ListRnDeploymentsParams{AppId: appKey}, testserver.Bearer(w.viewer)); list.JSON200 == nil || len(list.JSON200.Data) != 2 || list.JSON200.Data[0].Key != nil {
		t.Errorf("list shows no keys: %s", list.Body)
	}
}

func TestCodePushBadInput(t *testing.T) {
	w := newWorld(t, nil)
	key := *w.deployments(t, w.owner)["Staging"].Key
	if r, _ := w.Client.CodePushUpdateCheckWithResponse(context.Background(), &api.CodePushUpdateCheckParams{DeploymentKey: key, AppVersion: "not.a.version"}); r.StatusCode() != 400 {
		t.Errorf("bad app_version: %d", r.StatusCode())
	}
	ct, body := form(t, map[string]string{"appId": appKey, "platform": "ANDROID", "moduleId": "main", "version": "1.0.0",
		"deployment": "Staging", "targetBinaryRange": "not a range ]"}, "b.zip", zipOf(t, "a", "b"))
	if r, _ := w.Client.UploadRnBundleWithBodyWithResponse(context.Background(), &api.UploadRnBundleParams{}, ct, body, testserver.Bearer(w.owner)); r.StatusCode() != 400 {
		t.Errorf("bad range: %d %s", r.StatusCode(), r.Body)
	}
	ct, body = form(t, map[string]string{"appId": appKey, "platform": "ANDROID", "moduleId": "main", "version": "1.0.0",
		"deployment": "Nightly", "targetBinaryRange": "*"}, "b.zip", zipOf(t, "a", "b"))
	if r, _ := w.Client.UploadRnBundleWithBodyWithResponse(context.Background(), &api.UploadRnBundleParams{}, ct, body, testserver.Bearer(w.owner)); r.StatusCode() != 404 {
		t.Errorf("no such deployment: %d %s", r.StatusCode(), r.Body)
	}
}

func packageHash(t testing.TB, b []byte) string {
	t.Helper()
	h, err := update.PackageHash(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// Another tenant's token reaches none of an app's deployments, releases or policy, and
// changes nothing.
func TestCodePushIsolation(t *testing.T) {
	w := newWorld(t, nil)
	ctx := context.Background()
	ds := w.deployments(t, w.owner)
	rel := w.release(t, "Staging", "1.0.0", zipOf(t, "CodePush/index.android.bundle", "one"))
	other := testserver.Bearer(w.other)
	if r, _ := w.Client.CreateRnDeploymentsWithResponse(ctx, &api.CreateRnDeploymentsParams{AppId: appKey}, api.RnDeploymentCreate{Platform: "ANDROID", ModuleId: "main"}, other); r.StatusCode() != 403 {
		t.Errorf("create: %d", r.StatusCode())
	}
	if r, _ := w.Client.ListRnDeploymentsWithResponse(ctx, &api.ListRnDeploymentsParams{AppId: appKey}, other); r.StatusCode() != 403 {
		t.Errorf("list: %d", r.StatusCode())
	}
	if r, _ := w.Client.RotateRnDeploymentKeyWithResponse(ctx, ds["Staging"].Id, &api.RotateRnDeploymentKeyParams{}, other); r.StatusCode() != 404 {
		t.Errorf("rotate: %d", r.StatusCode())
	}
	if r, _ := w.Client.ListRnReleasesWithResponse(ctx, ds["Staging"].Id, &api.ListRnReleasesParams{}, other); r.StatusCode() != 404 {
		t.Errorf("releases: %d", r.StatusCode())
	}
	if r, _ := w.Client.PromoteRnReleaseWithResponse(ctx, ds["Staging"].Id, &api.PromoteRnReleaseParams{}, api.RnPromote{ToDeployment: "Production"}, other); r.StatusCode() != 404 {
		t.Errorf("promote: %d", r.StatusCode())
	}
	off := true
	if r, _ := w.Client.UpdateRnReleaseWithResponse(ctx, rel.Id, &api.UpdateRnReleaseParams{}, api.RnReleaseChange{Disabled: &off}, other); r.StatusCode() != 404 {
		t.Errorf("disable: %d", r.StatusCode())
	}
	if r, _ := w.Client.SetRnHaltPolicyWithResponse(ctx, &api.SetRnHaltPolicyParams{AppId: appKey}, api.RnHaltPolicy{Enabled: false, MinReports: 1, MaxFailurePercent: 1}, other); r.StatusCode() != 403 {
		t.Errorf("policy: %d", r.StatusCode())
	}
	// Unchanged: the key works, the release is enabled and alone in Staging, Production is empty.
	if info := w.codePushCheck(t, *ds["Staging"].Key, "1.0.0", "", "", ""); !info.IsAvailable || info.Label != "v1" {
		t.Errorf("after the other tenant: %+v", info)
	}
	list, err := w.Client.ListRnReleasesWithResponse(ctx, ds["Production"].Id, &api.ListRnReleasesParams{}, testserver.Bearer(w.owner))
	if err != nil || list.JSON200 == nil || list.JSON200.Data.TotalElements != 0 {
		t.Errorf("production: %v %s", err, list.Body)
	}
	pol, err := w.Client.GetRnHaltPolicyWithResponse(ctx, &api.GetRnHaltPolicyParams{AppId: appKey}, testserver.Bearer(w.owner))
	if err != nil || pol.JSON200 == nil || !pol.JSON200.Data.Enabled || pol.JSON200.Data.MinReports != 50 {
		t.Errorf("policy: %v %s", err, pol.Body)
	}
}

// A release is halted by the very report that takes its failures past the policy, and the
// audit log says so.
func TestCodePushHaltsFailingRelease(t *testing.T) {
	w := newWorld(t, nil)
	ctx := context.Background()
	ds := w.deployments(t, w.owner)
	key := *ds["Staging"].Key
	good := w.release(t, "Staging", "1.0.0", zipOf(t, "CodePush/index.android.bundle", "good"))
	bad := w.release(t, "Staging", "1.0.1", zipOf(t, "CodePush/index.android.bundle", "bad"))
	if r, _ := w.Client.SetRnHaltPolicyWithResponse(ctx, &api.SetRnHaltPolicyParams{AppId: appKey}, api.RnHaltPolicy{Enabled: true, MinReports: 4, MaxFailurePercent: 50}, testserver.Bearer(w.owner)); r.JSON200 == nil {
		t.Fatalf("policy: %s", r.Body)
	}
	report := func(label, status string) {
		t.Helper()
		s := api.CodePushDeployReportStatus(status)
		r, err := w.Client.CodePushReportDeployWithResponse(ctx, api.CodePushDeployReport{DeploymentKey: key, Label: &label, Status: &s})
		if err != nil || r.StatusCode() != 200 || string(r.Body) != "OK" {
			t.Fatalf("report: %v %d %s", err, r.StatusCode(), r.Body)
		}
	}
	state := func() api.RnRelease {
		t.Helper()
		list, err := w.Client.ListRnReleasesWithResponse(ctx, ds["Staging"].Id, &api.ListRnReleasesParams{}, testserver.Bearer(w.owner))
		if err != nil || list.JSON200 == nil {
			t.Fatalf("list: %v %s", err, list.Body)
		}
		for _, r := range list.JSON200.Data.Content {
			if r.Id == bad.Id {
				return r
			}
		}
		t.Fatal("release gone")
		return api.RnRelease{}
	}
	// 3 failures of 3: over 50 percent but under 4 reports, so still live.
	for range 3 {
		report("v2", "DeploymentFailed")
	}
	if r := state(); r.Disabled || r.Failures != 3 || r.Installs != 3 {
		t.Fatalf("halted too early: %+v", r)
	}
	if info := w.codePushCheck(t, key, "1.0.0", "v1", "", "c"); info.Label != "v2" {
		t.Errorf("before the halt: %+v", info)
	}
	report("v1", "DeploymentSucceeded")
	dl, err := w.Client.CodePushReportDownloadWithResponse(ctx, api.CodePushDownloadReport{DeploymentKey: key, Label: "v2"})
	if err != nil || dl.StatusCode() != 200 {
		t.Fatalf("download report: %v %s", err, dl.Body)
	}
	// The fourth report crosses the line: halted at once.
	report("v2", "DeploymentFailed")
	r := state()
	if !r.Disabled || r.HaltedAt == nil || r.Installs != 4 || r.Failures != 4 || r.Downloads != 1 {
		t.Fatalf("not halted at the crossing report: %+v", r)
	}
	if info := w.codePushCheck(t, key, "1.0.0", "v1", good.PackageHash, "c"); info.IsAvailable {
		t.Errorf("a halted release is offered: %+v", info)
	}
	var n int
	if err := w.pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'rn.release.halt' AND target_id = $1`, strconv.FormatInt(bad.Id, 10)).Scan(&n); err != nil || n != 1 {
		t.Errorf("audit entries: %d %v", n, err)
	}
	// Enabling it again clears the halt.
	on := false
	up, err := w.Client.UpdateRnReleaseWithResponse(ctx, bad.Id, &api.UpdateRnReleaseParams{}, api.RnReleaseChange{Disabled: &on}, testserver.Bearer(w.owner))
	if err != nil || up.JSON200 == nil || up.JSON200.Data.Disabled || up.JSON200.Data.HaltedAt != nil {
		t.Errorf("enable: %v %s", err, up.Body)
	}
}
