package update_test

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/testserver"
)

// BenchmarkCheckVersusHealthz compares the throughput of the update checks (hit on every app
// launch) with /healthz, the cheapest route, on the same in-process server over loopback.
func BenchmarkCheckVersusHealthz(b *testing.B) {
	w := newWorld(b, map[string]string{"XUQM_LOG_LEVEL": "error"})
	ctx := context.Background()
	owner := testserver.Bearer(w.owner)
	for code := 2; code <= 20; code++ {
		resp := w.uploadVersion(b, owner, versionFields(code), []byte("apk"))
		if resp.JSON200 == nil {
			b.Fatalf("upload: %s", resp.Body)
		}
		if _, err := w.Client.PublishAppVersionWithResponse(ctx, resp.JSON200.Data.Id, &api.PublishAppVersionParams{}, api.ReleasePublish{RolloutPercent: ptr(int32(50))}, owner); err != nil {
			b.Fatal(err)
		}
	}
	for minor := 0; minor < 10; minor++ {
		version := "1." + strconv.Itoa(minor) + ".0"
		ct, body := form(b, map[string]string{"appId": appKey, "platform": "ANDROID", "moduleId": "home", "version": version, "minAppVersion": "1.0.0", "mandatory": strconv.FormatBool(minor == 3)}, "b.js", []byte("js "+version))
		resp, err := w.Client.UploadRnBundleWithBodyWithResponse(ctx, &api.UploadRnBundleParams{}, ct, body, owner)
		if err != nil || resp.JSON200 == nil {
			b.Fatalf("bundle: %v", err)
		}
		if _, err := w.Client.PublishRnBundleWithResponse(ctx, resp.JSON200.Data.Id, &api.PublishRnBundleParams{}, api.ReleasePublish{RolloutPercent: ptr(int32(50))}, owner); err != nil {
			b.Fatal(err)
		}
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 10 * time.Second}
	run := func(path string) func(b *testing.B) {
		return func(b *testing.B) {
			url := w.URL + path
			b.SetParallelism(4)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					resp, err := client.Get(url)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						b.Errorf("%s: %d", path, resp.StatusCode)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		}
	}
	b.Run("healthz", run("/healthz"))
	b.Run("app-check", run("/api/v1/updates/app/check?appId=ak_updates&platform=ANDROID&currentVersionCode=1&deviceId=device-42"))
	b.Run("rn-check", run("/api/v1/rn/update/check?appId=ak_updates&platform=ANDROID&moduleId=home&currentVersion=1.0.0&appVersion=1.2.0&deviceId=device-42"))
}
