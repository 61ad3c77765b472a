package update_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/update"
)

// waitPatches waits for the background job to have stored n patches of the release and
// returns them as kind:base_hash, sorted.
func (w *world) waitPatches(t testing.TB, releaseID int64, n int) []string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		rows, err := w.pool.Query(context.Background(), `SELECT kind || ':' || base_hash FROM rn_patches WHERE release_id = $1 ORDER BY 1`, releaseID)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		rows.Close()
		if len(out) >= n || time.Now().After(deadline) {
			return out
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// pathOf is the path and query of a URL the server gave.
func pathOf(t testing.TB, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.RequestURI()
}

func randomBytes(seed uint64, n int) string {
	rng := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.IntN(256))
	}
	return string(b)
}

func jsBundle(version string) string {
	var b strings.Builder
	for i := range 2000 {
		b.WriteString("__d(function(g,r,i,a,m,e,d){m.exports=" + version + "+" + strings.Repeat("1", i%9) + "},")
	}
	return b.String()
}

func sha256Of(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Three releases: the third gets a patch from each of the two before it, the second one from
// the first; a client on either base downloads its patch, which applied the way
// react-native-code-push applies it gives the release's package hash; a client on an unknown
// base, or on the binary's bundle, downloads the whole release.
func TestCodePushPatchesFromEveryLiveBase(t *testing.T) {
	w := newWorld(t, nil)
	ds := w.deployments(t, w.owner)
	key := *ds["Staging"].Key
	image := randomBytes(1, 40000) // the same in every release: never in a patch
	b1 := zipOf(t, "CodePush/index.android.bundle", jsBundle("1"), "CodePush/assets/logo.png", image, "CodePush/assets/gone.png", randomBytes(2, 500))
	b2 := zipOf(t, "CodePush/index.android.bundle", jsBundle("2"), "CodePush/assets/logo.png", image, "CodePush/assets/new.png", randomBytes(3, 500))
	b3 := zipOf(t, "CodePush/index.android.bundle", jsBundle("3"), "CodePush/assets/logo.png", image, "CodePush/assets/new.png", randomBytes(4, 500))
	v1 := w.release(t, "Staging", "1.0.0", b1)
	v2 := w.release(t, "Staging", "1.0.1", b2)
	v3 := w.release(t, "Staging", "1.0.2", b3)

	want3 := []string{"CODEPUSH_ZIP:" + v1.PackageHash, "CODEPUSH_ZIP:" + v2.PackageHash}
	slices.Sort(want3)
	if got := w.waitPatches(t, v3.Id, 2); !slices.Equal(got, want3) {
		t.Fatalf("patches of v3: %v, want %v", got, want3)
	}
	if got := w.waitPatches(t, v2.Id, 1); !slices.Equal(got, []string{"CODEPUSH_ZIP:" + v1.PackageHash}) {
		t.Errorf("patches of v2: %v", got)
	}
	if got := w.waitPatches(t, v1.Id, 0); len(got) != 0 {
		t.Errorf("v1 has no base, yet patches %v", got)
	}

	for _, base := range []struct {
		label, hash string
		zip         []byte
	}{{"v1", v1.PackageHash, b1}, {"v2", v2.PackageHash, b2}} {
		info := w.codePushCheck(t, key, "1.0.0", base.label, base.hash, "c1")
		if !info.IsAvailable || info.Label != "v3" || info.PackageHash != v3.PackageHash {
			t.Fatalf("check from %s: %+v", base.label, info)
		}
		if !strings.HasPrefix(pathOf(t, info.DownloadUrl), "/api/v1/rn/patches/"+appKey+"/") {
			t.Fatalf("from %s the download is not a patch: %s", base.label, info.DownloadUrl)
		}
		resp, patch := w.Fetch(t, "GET", pathOf(t, info.DownloadUrl), nil)
		if resp.StatusCode != 200 || int64(len(patch)) != info.PackageSize || int64(len(patch)) >= v3.Size {
			t.Fatalf("patch from %s: %d, %d bytes (answer %d, whole %d)", base.label, resp.StatusCode, len(patch), info.PackageSize, v3.Size)
		}
		if got := update.ApplyCodePushPatch(t, base.zip, patch); got != info.PackageHash {
			t.Errorf("patch from %s applied hashes to %s, want %s", base.label, got, info.PackageHash)
		}
		if resp.Header.Get("ETag") != `"`+sha256Of(patch)+`"` {
			t.Errorf("patch ETag %s", resp.Header.Get("ETag"))
		}
	}

	// Unknown base, and the binary's bundle: the whole release.
	for _, hash := range []string{strings.Repeat("ab", 32), ""} {
		info := w.codePushCheck(t, key, "1.0.0", "", hash, "c1")
		if !info.IsAvailable || info.Label != "v3" || strings.Contains(info.DownloadUrl, "/patches/") || info.PackageSize != v3.Size {
			t.Fatalf("check from %q: %+v", hash, info)
		}
		if resp, body := w.Fetch(t, "GET", pathOf(t, info.DownloadUrl), nil); resp.StatusCode != 200 || string(body) != string(b3) {
			t.Errorf("whole download from %q: %d, %d bytes", hash, resp.StatusCode, len(body))
		}
	}

	// A patch is served under its own app only; a malformed hash is a 400.
	info := w.codePushCheck(t, key, "1.0.0", "v1", v1.PackageHash, "c1")
	sha := pathOf(t, info.DownloadUrl)[len("/api/v1/rn/patches/"+appKey+"/"):]
	if resp, _ := w.Fetch(t, "GET", "/api/v1/rn/patches/ak_elsewhere/"+sha, nil); resp.StatusCode != 404 {
		t.Errorf("another app's patch: %d", resp.StatusCode)
	}
	if resp, _ := w.Fetch(t, "GET", "/api/v1/rn/patches/"+appKey+"/"+strings.Repeat("0", 64), nil); resp.StatusCode != 404 {
		t.Errorf("unknown patch: %d", resp.StatusCode)
	}
	if resp, _ := w.Fetch(t, "GET", "/api/v1/rn/patches/"+appKey+"/XYZ", nil); resp.StatusCode != 400 {
		t.Errorf("malformed hash: %d", resp.StatusCode)
	}
}

// Expo exports get bsdiff patches of their launch asset from every live base. A client that
// runs a base and asks for the new launch asset with A-IM: bsdiff gets 226 and a patch that
// bspatch turns into the bytes the manifest's hash names; without A-IM, or from an unknown
// base, it gets the whole asset.
func TestBsdiffPatchesFromEveryLiveBase(t *testing.T) {
	w := newWorld(t, nil)
	w.deployments(t, w.owner)
	png := "\x89PNG the same in every update"
	p := [][]byte{[]byte(jsBundle("1")), []byte(jsBundle("2")), []byte(jsBundle("3"))}
	var rs []api.RnRelease
	for i, b := range p {
		rs = append(rs, w.release(t, "Staging", "2.0."+string(rune('0'+i)), expoExportZip(t, string(b), png), "runtimeVersion", "1.0.0"))
	}
	want := []string{"BSDIFF:" + sha256Of(p[0]), "BSDIFF:" + sha256Of(p[1])}
	slices.Sort(want)
	if got := w.waitPatches(t, rs[2].Id, 2); !slices.Equal(got, want) {
		t.Fatalf("patches of the third release: %v, want %v", got, want)
	}
	if got := w.waitPatches(t, rs[1].Id, 1); !slices.Equal(got, []string{"BSDIFF:" + sha256Of(p[0])}) {
		t.Errorf("patches of the second release: %v", got)
	}
	m := w.expoManifest(t, map[string]string{"expo-current-update-id": rs[0].ExpoUpdateId.String()})
	if m.status != 200 || m.manifest == nil || m.manifest.Id != rs[2].ExpoUpdateId {
		t.Fatalf("manifest: %d %+v", m.status, m.manifest)
	}
	asset := pathOf(t, m.manifest.LaunchAsset.Url)
	for i, base := range p[:2] {
		id := rs[i].ExpoUpdateId.String()
		resp, patch := w.Fetch(t, "GET", asset, map[string]string{"A-IM": "bsdiff", "Expo-Current-Update-ID": strings.ToUpper(id),
			"Expo-Requested-Update-ID": rs[2].ExpoUpdateId.String()})
		if resp.StatusCode != 226 || resp.Header.Get("IM") != "bsdiff" || resp.Header.Get("expo-base-update-id") != id ||
			resp.Header.Get("Delta-Base") != `"`+sha256Of(base)+`"` || resp.Header.Get("ETag") != `"`+sha256Of(p[2])+`"` {
			t.Fatalf("patch from base %d: %d %v", i, resp.StatusCode, resp.Header)
		}
		if len(patch) >= len(p[2]) {
			t.Errorf("patch of %d bytes for a %d-byte asset", len(patch), len(p[2]))
		}
		if got := update.Bspatch(t, base, patch); b64sha(got) != m.manifest.LaunchAsset.Hash {
			t.Errorf("bspatch from base %d gives %s, the manifest says %s", i, b64sha(got), m.manifest.LaunchAsset.Hash)
		}
		if b, ok := update.BspatchTool(t, base, patch); ok && b64sha(b) != m.manifest.LaunchAsset.Hash {
			t.Errorf("the bspatch command from base %d rebuilt other bytes", i)
		}
	}
	// The whole asset: no A-IM, A-IM refusing bsdiff, an unknown base, no base.
	for _, h := range []map[string]string{
		{"Expo-Current-Update-ID": rs[0].ExpoUpdateId.String()},
		{"A-IM": "bsdiff;q=0", "Expo-Current-Update-ID": rs[0].ExpoUpdateId.String()},
		{"A-IM": "bsdiff", "Expo-Current-Update-ID": "7b3a4d2c-0000-4000-8000-000000000001"},
		{"A-IM": "bsdiff", "Expo-Current-Update-ID": "not an id"},
		{"A-IM": "bsdiff"},
	} {
		if resp, body := w.Fetch(t, "GET", asset, h); resp.StatusCode != 200 || string(body) != string(p[2]) || resp.Header.Get("IM") != "" {
			t.Errorf("%v: %d, %d bytes", h, resp.StatusCode, len(body))
		}
	}
	// A base of another app's is no base here.
	if resp, _ := w.Fetch(t, "GET", "/api/v1/expo/ak_elsewhere/assets/"+sha256Of(p[2]), map[string]string{"A-IM": "bsdiff", "Expo-Current-Update-ID": rs[0].ExpoUpdateId.String()}); resp.StatusCode != 404 {
		t.Errorf("the asset under another app: %d", resp.StatusCode)
	}
}
