package update_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/testserver"
	"github.com/xuqmgroup/xuqm/internal/update"
)

// expoExportZip is what `npx expo export --platform android` writes, zipped under dist/: the
// bundle, one asset and metadata.json naming them.
func expoExportZip(t testing.TB, bundle, png string) []byte {
	t.Helper()
	pngName := "assets/" + md5hex(png)
	meta := `{"version":0,"bundler":"metro","fileMetadata":{"android":{"bundle":"_expo/static/js/android/index-1.hbc",` +
		`"assets":[{"path":"` + pngName + `","ext":"png"}]}}}`
	return zipOf(t, "dist/metadata.json", meta, "dist/_expo/static/js/android/index-1.hbc", bundle,
		"dist/"+pngName, png, "dist/expoConfig.json", `{"name":"demo","slug":"demo"}`)
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func b64sha(b []byte) string {
	sum := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// expoReply is a manifest answer taken apart.
type expoReply struct {
	status    int
	header    http.Header
	manifest  *api.ExpoManifest
	raw       []byte // the manifest part's body
	signature string // its expo-signature
	directive map[string]any
	parts     []string
}

func (w *world) expoManifest(t testing.TB, header map[string]string) expoReply {
	t.Helper()
	h := map[string]string{"expo-platform": "android", "expo-runtime-version": "1.0.0", "expo-protocol-version": "1",
		"accept": "application/expo+json;q=0.9, application/json;q=0.8, multipart/mixed", "expo-channel-name": "Staging"}
	for k, v := range header {
		if v == "" {
			delete(h, k)
		} else {
			h[k] = v
		}
	}
	resp, body := w.Fetch(t, http.MethodGet, "/api/v1/expo/"+appKey+"/manifest?moduleId=main", h)
	out := expoReply{status: resp.StatusCode, header: resp.Header}
	if resp.StatusCode != http.StatusOK {
		return out
	}
	for k, want := range map[string]string{"expo-protocol-version": "1", "expo-sfv-version": "0", "cache-control": "private, max-age=0"} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	mt, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" {
		t.Fatalf("content type %q: %v", resp.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		_, disposition, _ := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
		out.parts = append(out.parts, disposition["name"])
		switch disposition["name"] {
		case "manifest":
			out.raw, out.signature = b, p.Header.Get("expo-signature")
			out.manifest = &api.ExpoManifest{}
			if err := json.Unmarshal(b, out.manifest); err != nil {
				t.Fatal(err)
			}
		case "directive":
			if err := json.Unmarshal(b, &out.directive); err != nil {
				t.Fatal(err)
			}
		}
	}
	return out
}

func TestExpoUpdatesProtocol(t *testing.T) {
	w := newWorld(t, nil)
	ctx := context.Background()
	ds := w.deployments(t, w.owner)
	bundle, png := "var expo = 1;", "\x89PNG one"
	rel := w.release(t, "Staging", "1.0.0", expoExportZip(t, bundle, png), "runtimeVersion", "1.0.0")
	if !rel.Expo || rel.RuntimeVersion == nil || *rel.RuntimeVersion != "1.0.0" {
		t.Fatalf("release: %+v", rel)
	}

	// A client on its embedded update gets the release, with its assets by hash.
	r := w.expoManifest(t, map[string]string{"expo-embedded-update-id": "7b3a4d2c-0000-4000-8000-000000000001",
		"expo-current-update-id": "7b3a4d2c-0000-4000-8000-000000000001"})
	if r.status != 200 || r.manifest == nil || strings.Join(r.parts, ",") != "manifest,extensions" {
		t.Fatalf("manifest: %d %v", r.status, r.parts)
	}
	m := r.manifest
	if m.Id != rel.ExpoUpdateId || m.RuntimeVersion != "1.0.0" || m.Metadata["deployment"] != "Staging" || m.Metadata["label"] != "v1" {
		t.Errorf("manifest: %+v", m)
	}
	if r.header.Get("expo-manifest-filters") != `deployment="Staging"` {
		t.Errorf("filters: %q", r.header.Get("expo-manifest-filters"))
	}
	if m.LaunchAsset.Hash != b64sha([]byte(bundle)) || m.LaunchAsset.ContentType != "application/javascript" || m.LaunchAsset.Key != md5hex(bundle) {
		t.Errorf("launch asset: %+v", m.LaunchAsset)
	}
	if len(m.Assets) != 1 || m.Assets[0].Hash != b64sha([]byte(png)) || m.Assets[0].ContentType != "image/png" ||
		m.Assets[0].FileExtension == nil || *m.Assets[0].FileExtension != ".png" {
		t.Errorf("assets: %+v", m.Assets)
	}
	if c, ok := m.Extra["expoClient"].(map[string]any); !ok || c["slug"] != "demo" {
		t.Errorf("extra: %+v", m.Extra)
	}
	for _, a := range []api.ExpoAsset{m.LaunchAsset, m.Assets[0]} {
		resp, body := w.Fetch(t, http.MethodGet, pathOf(t, a.Url), nil)
		if resp.StatusCode != 200 || b64sha(body) != a.Hash || resp.Header.Get("Content-Type") != a.ContentType ||
			resp.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
			t.Errorf("asset %s: %d %q %q", a.Url, resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"))
		}
	}
	// Expo exports are not offered to CodePush clients.
	if info := w.codePushCheck(t, *ds["Staging"].Key, "1.0.0", "", "", "c"); info.IsAvailable {
		t.Errorf("CodePush offered an Expo export: %+v", info)
	}

	// The client runs it now: nothing new.
	current := map[string]string{"expo-current-update-id": rel.ExpoUpdateId.String()}
	if r := w.expoManifest(t, current); r.directive["type"] != "noUpdateAvailable" || r.manifest != nil {
		t.Errorf("current: %+v", r)
	}
	// Another runtime version, and a plain JSON client, get nothing to run either.
	if r := w.expoManifest(t, map[string]string{"expo-runtime-version": "2.0.0"}); r.directive["type"] != "noUpdateAvailable" {
		t.Errorf("other runtime: %+v", r)
	}
	if r := w.expoManifest(t, map[string]string{"accept": "application/json", "expo-runtime-version": "2.0.0"}); r.status != http.StatusNotAcceptable {
		t.Errorf("JSON without an update: %d", r.status)
	}
	// Protocol 0 has no directives: 204.
	if r := w.expoManifest(t, map[string]string{"expo-protocol-version": "", "expo-runtime-version": "2.0.0"}); r.status != http.StatusNoContent {
		t.Errorf("protocol 0: %d", r.status)
	}

	// Disabled: a client running it goes back to its embedded update; one on the embedded stays.
	off := true
	if up, err := w.Client.UpdateRnReleaseWithResponse(ctx, rel.Id, &api.UpdateRnReleaseParams{}, api.RnReleaseChange{Disabled: &off}, testserver.Bearer(w.owner)); err != nil || up.JSON200 == nil {
		t.Fatalf("disable: %v", err)
	}
	r = w.expoManifest(t, current)
	if r.directive["type"] != "rollBackToEmbedded" {
		t.Fatalf("rolled back: %+v", r.directive)
	}
	if params, _ := r.directive["parameters"].(map[string]any); params["commitTime"] == nil {
		t.Errorf("commitTime: %+v", r.directive)
	}
	if r := w.expoManifest(t, nil); r.directive["type"] != "noUpdateAvailable" {
		t.Errorf("embedded after the rollback: %+v", r.directive)
	}

	// A release without a runtime version serves the runtime versions in its range.
	rel2 := w.release(t, "Staging", "1.0.1", expoExportZip(t, "var expo = 2;", png), "targetBinaryRange", "^2.0.0")
	if r := w.expoManifest(t, map[string]string{"expo-runtime-version": "2.1.0"}); r.manifest == nil || r.manifest.Id != rel2.ExpoUpdateId {
		t.Errorf("by range: %+v", r)
	}
}

func TestExpoBadInput(t *testing.T) {
	w := newWorld(t, nil)
	w.deployments(t, w.owner)
	for name, tc := range map[string]struct {
		header map[string]string
		status int
	}{
		"unknown platform": {map[string]string{"expo-platform": "web"}, 400},
		"no platform":      {map[string]string{"expo-platform": ""}, 400},
		"no runtime":       {map[string]string{"expo-runtime-version": ""}, 400},
		"no such channel":  {map[string]string{"expo-channel-name": "Nightly"}, 404},
		"not acceptable":   {map[string]string{"accept": "text/html"}, 406},
	} {
		if r := w.expoManifest(t, tc.header); r.status != tc.status {
			t.Errorf("%s: %d, want %d", name, r.status, tc.status)
		}
	}
	// An Expo export without the platform's bundle is refused at upload.
	zip := zipOf(t, "metadata.json", `{"fileMetadata":{"ios":{"bundle":"b.js","assets":[]}}}`, "b.js", "x")
	ct, body := form(t, map[string]string{"appId": appKey, "platform": "ANDROID", "moduleId": "main", "version": "1.0.0",
		"deployment": "Staging", "runtimeVersion": "1"}, "bundle.zip", zip)
	resp, err := w.Client.UploadRnBundleWithBodyWithResponse(context.Background(), &api.UploadRnBundleParams{}, ct, body, testserver.Bearer(w.owner))
	if err != nil || resp.StatusCode() != 400 || !strings.Contains(string(resp.Body), "android") {
		t.Errorf("export without android: %v %d %s", err, resp.StatusCode(), resp.Body)
	}
	// An asset no update has.
	if resp, _ := w.Fetch(t, http.MethodGet, "/api/v1/expo/"+appKey+"/assets/"+strings.Repeat("ab", 32), nil); resp.StatusCode != 404 {
		t.Errorf("unknown asset: %d", resp.StatusCode)
	}
}

// TestExpoIsolation: an app's assets are not served under another app's key.
func TestExpoIsolation(t *testing.T) {
	w := newWorld(t, nil)
	w.deployments(t, w.owner)
	w.release(t, "Staging", "1.0.0", expoExportZip(t, "var mine = 1;", "png"), "runtimeVersion", "1.0.0")
	r := w.expoManifest(t, nil)
	if r.manifest == nil {
		t.Fatalf("manifest: %d", r.status)
	}
	path := pathOf(t, r.manifest.LaunchAsset.Url)
	if resp, _ := w.Fetch(t, http.MethodGet, strings.Replace(path, appKey, "ak_elsewhere", 1), nil); resp.StatusCode != 404 {
		t.Errorf("another app's asset: %d", resp.StatusCode)
	}
	resp, _ := w.Fetch(t, http.MethodGet, "/api/v1/expo/ak_elsewhere/manifest?moduleId=main",
		map[string]string{"expo-platform": "android", "expo-runtime-version": "1.0.0", "expo-channel-name": "Staging"})
	if resp.StatusCode != 404 {
		t.Errorf("another app's manifest: %d", resp.StatusCode)
	}
}

// TestExpoFailuresHaltRelease: failure reports in expo-recent-failed-update-ids count once per
// install, and the one that crosses the policy halts the release before the answer.
func TestExpoFailuresHaltRelease(t *testing.T) {
	w := newWorld(t, nil)
	ctx := context.Background()
	ds := w.deployments(t, w.owner)
	rel := w.release(t, "Staging", "1.0.0", expoExportZip(t, "var crash = 1;", "png"), "runtimeVersion", "1.0.0")
	if r, _ := w.Client.SetRnHaltPolicyWithResponse(ctx, &api.SetRnHaltPolicyParams{AppId: appKey}, api.RnHaltPolicy{Enabled: true, MinReports: 4, MaxFailurePercent: 50}, testserver.Bearer(w.owner)); r.JSON200 == nil {
		t.Fatalf("policy: %s", r.Body)
	}
	id := rel.ExpoUpdateId.String()
	state := func() api.RnRelease {
		t.Helper()
		list, err := w.Client.ListRnReleasesWithResponse(ctx, ds["Staging"].Id, &api.ListRnReleasesParams{}, testserver.Bearer(w.owner))
		if err != nil || list.JSON200 == nil || len(list.JSON200.Data.Content) != 1 {
			t.Fatalf("list: %v", err)
		}
		return list.JSON200.Data.Content[0]
	}
	// One install runs it (a success, counted once however often it asks).
	for range 3 {
		w.expoManifest(t, map[string]string{"eas-client-id": "ok-1", "expo-current-update-id": id})
	}
	// Two installs failed on it, one reports it twice; one launched it, then failed.
	fail := func(client string) expoReply {
		return w.expoManifest(t, map[string]string{"eas-client-id": client, "expo-recent-failed-update-ids": `"` + strings.ToUpper(id) + `", "not-a-uuid"`})
	}
	fail("bad-1")
	fail("bad-1")
	w.expoManifest(t, map[string]string{"eas-client-id": "bad-2", "expo-current-update-id": id})
	if r := state(); r.Installs != 3 || r.Successes != 2 || r.Failures != 1 || r.Disabled {
		t.Fatalf("counts: %+v", r)
	}
	fail("bad-2") // its success becomes a failure: 2 of 3 installs, still under 4 reports
	if r := state(); r.Installs != 3 || r.Successes != 1 || r.Failures != 2 || r.Disabled {
		t.Fatalf("counts: %+v", r)
	}
	// 2 failures of 4 installs: not over 50 percent.
	if r := w.expoManifest(t, map[string]string{"eas-client-id": "ok-2", "expo-current-update-id": id}); r.directive["type"] != "noUpdateAvailable" {
		t.Errorf("before the crossing report: %+v", r.directive)
	}
	if r := state(); r.Disabled || r.Installs != 4 {
		t.Fatalf("halted too early: %+v", r)
	}
	if r := fail("bad-3"); r.manifest != nil || r.directive["type"] != "noUpdateAvailable" {
		// 3 failures of 5 installs crossed 50 percent: halted before this very answer.
		t.Errorf("answer to the crossing report: %+v", r)
	}
	r := state()
	if !r.Disabled || r.HaltedAt == nil || r.Installs != 5 || r.Failures != 3 {
		t.Fatalf("not halted: %+v", r)
	}
	var n int
	if err := w.pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'rn.release.halt' AND target_id = $1`, strconv.FormatInt(rel.Id, 10)).Scan(&n); err != nil || n != 1 {
		t.Errorf("audit entries: %d %v", n, err)
	}
	// An install still running it is sent back to its embedded update.
	if r := w.expoManifest(t, map[string]string{"eas-client-id": "ok-1", "expo-current-update-id": id}); r.directive["type"] != "rollBackToEmbedded" {
		t.Errorf("running a halted release: %+v", r.directive)
	}
}

// TestExpoRolloutPromoteAndJSON: a partial rollout reaches the installs CodePush's selector
// picks, and the same ones each time; a promoted release is a new update of the other
// deployment; a client that asks for JSON alone gets the manifest as the body, signed in a
// response header.
func TestExpoRolloutPromoteAndJSON(t *testing.T) {
	w := newWorld(t, nil)
	ctx := context.Background()
	ds := w.deployments(t, w.owner)
	rel := w.release(t, "Staging", "1.0.0", expoExportZip(t, "var r = 1;", "png"), "runtimeVersion", "1.0.0", "rolloutPercent", "30")
	reached := 0
	for i := range 200 {
		client := "install-" + strconv.Itoa(i)
		r := w.expoManifest(t, map[string]string{"eas-client-id": client})
		want := update.InCodePushRollout(client, rel.Label, 30)
		if got := r.manifest != nil; got != want {
			t.Fatalf("%s: offered %v, selector says %v", client, got, want)
		}
		if want {
			reached++
		}
	}
	if reached < 40 || reached > 80 {
		t.Errorf("a 30%% rollout reached %d of 200", reached)
	}
	if r := w.expoManifest(t, nil); r.manifest != nil {
		t.Error("an install without eas-client-id is inside a partial rollout")
	}

	pr, err := w.Client.PromoteRnReleaseWithResponse(ctx, ds["Staging"].Id, &api.PromoteRnReleaseParams{}, api.RnPromote{ToDeployment: "Production"}, testserver.Bearer(w.owner))
	if err != nil || pr.JSON200 == nil {
		t.Fatalf("promote: %v %s", err, pr.Body)
	}
	promoted := pr.JSON200.Data
	if promoted.ExpoUpdateId == rel.ExpoUpdateId || promoted.RuntimeVersion == nil || *promoted.RuntimeVersion != "1.0.0" || !promoted.Expo {
		t.Errorf("promoted: %+v", promoted)
	}
	w.signingKey(t, w.owner, api.RnSigningKeyCreate{})
	resp, body := w.Fetch(t, http.MethodGet, "/api/v1/expo/"+appKey+"/manifest", map[string]string{
		"expo-platform": "android", "expo-runtime-version": "1.0.0", "expo-protocol-version": "1", "accept": "application/expo+json",
		"expo-expect-signature": `sig, keyid="main", alg="rsa-v1_5-sha256"`,
	})
	var m api.ExpoManifest
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/expo+json" || json.Unmarshal(body, &m) != nil ||
		m.Id != promoted.ExpoUpdateId || m.Metadata["deployment"] != "Production" || !strings.HasPrefix(resp.Header.Get("expo-signature"), `sig="`) {
		t.Errorf("JSON manifest of Production: %d %q %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
}
