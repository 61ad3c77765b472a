package update_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/testserver"
)

// The metrics route counts every report per release and in all; the report that takes a
// release past the policy halts it, and the app's webhook hears of it.
func TestDeploymentMetricsAndHaltWebhook(t *testing.T) {
	w := newWorld(t, map[string]string{"XUQM_WEBHOOK_ALLOW_PRIVATE": "true"})
	ctx := context.Background()
	got := make(chan map[string]any, 4)
	rcv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		got <- m
	}))
	defer rcv.Close()
	hook, err := w.Client.CreateWebhookWithResponse(ctx, &api.CreateWebhookParams{AppId: appKey},
		api.WebhookCreate{Url: rcv.URL + "/hook", Events: api.WebhookEvents{"rn.release.halted"}}, testserver.Bearer(w.owner))
	if err != nil || hook.JSON200 == nil {
		t.Fatalf("create webhook: %v %s", err, hook.Body)
	}

	ds := w.deployments(t, w.owner)
	staging := ds["Staging"]
	key := *staging.Key
	w.release(t, "Staging", "1.0.0", zipOf(t, "CodePush/index.android.bundle", "one"))
	v2 := w.release(t, "Staging", "1.0.1", zipOf(t, "CodePush/index.android.bundle", "two"))
	if r, _ := w.Client.SetRnHaltPolicyWithResponse(ctx, &api.SetRnHaltPolicyParams{AppId: appKey}, api.RnHaltPolicy{Enabled: true, MinReports: 5, MaxFailurePercent: 40}, testserver.Bearer(w.owner)); r.JSON200 == nil {
		t.Fatalf("policy: %s", r.Body)
	}
	report := func(label, status string) {
		t.Helper()
		s := api.CodePushDeployReportStatus(status)
		if r, err := w.Client.CodePushReportDeployWithResponse(ctx, api.CodePushDeployReport{DeploymentKey: key, Label: &label, Status: &s}); err != nil || r.StatusCode() != 200 {
			t.Fatalf("report: %v %s", err, r.Body)
		}
	}
	download := func(label string) {
		t.Helper()
		if r, err := w.Client.CodePushReportDownloadWithResponse(ctx, api.CodePushDownloadReport{DeploymentKey: key, Label: label}); err != nil || r.StatusCode() != 200 {
			t.Fatalf("download report: %v %s", err, r.Body)
		}
	}
	metrics := func() api.RnDeploymentMetrics {
		t.Helper()
		m, err := w.Client.GetRnDeploymentMetricsWithResponse(ctx, staging.Id, &api.GetRnDeploymentMetricsParams{}, testserver.Bearer(w.viewer))
		if err != nil || m.JSON200 == nil {
			t.Fatalf("metrics: %v %s", err, m.Body)
		}
		return m.JSON200.Data
	}
	download("v1")
	download("v2")
	download("v2")
	report("v1", "DeploymentSucceeded")
	report("v1", "DeploymentFailed")
	// v2: 3 successes and 2 failures is 40 percent of 5, not past 40: still live.
	for _, s := range []string{"DeploymentSucceeded", "DeploymentFailed", "DeploymentSucceeded", "DeploymentFailed", "DeploymentSucceeded"} {
		report("v2", s)
	}
	m := metrics()
	if m.Deployment != "Staging" || m.Downloads != 3 || m.Installs != 7 || m.Successes != 4 || m.Failures != 3 || len(m.Releases) != 2 {
		t.Fatalf("deployment metrics: %+v", m)
	}
	if r := m.Releases[0]; r.ReleaseId != v2.Id || r.Label != "v2" || r.Downloads != 2 || r.Installs != 5 || r.Successes != 3 || r.Failures != 2 || r.Disabled || r.HaltedAt != nil {
		t.Fatalf("v2 before the crossing report: %+v", r)
	}
	if r := m.Releases[1]; r.Label != "v1" || r.Downloads != 1 || r.Installs != 2 || r.Successes != 1 || r.Failures != 1 {
		t.Errorf("v1: %+v", r)
	}
	// The next failure makes it 3 of 6, past 40 percent: halted by this very report.
	report("v2", "DeploymentFailed")
	if r := metrics().Releases[0]; !r.Disabled || r.HaltedAt == nil || r.Failures != 3 || r.Installs != 6 {
		t.Fatalf("v2 after the crossing report: %+v", r)
	}
	select {
	case m := <-got:
		data, _ := m["data"].(map[string]any)
		if m["event"] != "rn.release.halted" || m["appId"] != appKey || data["label"] != "v2" || data["deployment"] != "Staging" ||
			data["failures"] != float64(3) || data["installs"] != float64(6) || data["releaseId"] != float64(v2.Id) {
			t.Errorf("webhook: %+v", m)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no rn.release.halted webhook")
	}

	// Another tenant reads no metrics of this app.
	if r, _ := w.Client.GetRnDeploymentMetricsWithResponse(ctx, staging.Id, &api.GetRnDeploymentMetricsParams{}, testserver.Bearer(w.other)); r.StatusCode() != 404 {
		t.Errorf("another tenant's metrics: %d %s", r.StatusCode(), r.Body)
	}
	if r, _ := w.Client.GetRnDeploymentMetricsWithResponse(ctx, 999999, &api.GetRnDeploymentMetricsParams{}, testserver.Bearer(w.owner)); r.StatusCode() != 404 {
		t.Errorf("no such deployment: %d", r.StatusCode())
	}
}
