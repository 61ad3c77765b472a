package httpapi

import (
	"context"
	"net/http"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/page"
	"github.com/xuqmgroup/xuqm/internal/update"
)

// The CodePush acquisition API (public, keyed by the deployment key) and the management of
// deployments and releases behind it.

func apiRnDeployment(d update.Deployment) api.RnDeployment {
	out := api.RnDeployment{
		Id: d.ID, AppId: d.AppKey, Platform: api.Platform(d.Platform), ModuleId: d.ModuleID, Name: d.Name,
		KeyHint: d.KeyHint, CreatedAt: d.CreatedAt, KeyRotatedAt: d.RotatedAt,
	}
	if d.Key != "" {
		out.Key = &d.Key
	}
	return out
}

func apiRnDeployments(ds []update.Deployment) []api.RnDeployment {
	out := make([]api.RnDeployment, len(ds))
	for i, d := range ds {
		out[i] = apiRnDeployment(d)
	}
	return out
}

func apiRnRelease(r update.Release) api.RnRelease {
	return api.RnRelease{
		Id: r.ID, DeploymentId: r.DeploymentID, Deployment: r.Deployment, BundleId: r.BundleID, Label: r.Label,
		TargetBinaryRange: r.TargetBinaryRange, Mandatory: r.Mandatory, Description: r.Description,
		RolloutPercent: r.RolloutPercent, Disabled: r.Disabled, HaltedAt: r.HaltedAt, PromotedFrom: r.PromotedFrom,
		PackageHash: r.PackageHash, Size: r.Size, Downloads: r.Downloads, Installs: r.Installs,
		Successes: r.Successes, Failures: r.Failures, CreatedAt: r.CreatedAt,
		ExpoUpdateId: r.ExpoUpdateID, RuntimeVersion: r.RuntimeVersion, Expo: r.Expo, Signed: r.Signed,
	}
}

// ListRnDeployments lists an app's deployments.
func (s *Server) ListRnDeployments(ctx context.Context, req api.ListRnDeploymentsRequestObject) (api.ListRnDeploymentsResponseObject, error) {
	p := req.Params
	ds, err := s.updates.ListDeployments(ctx, principalFrom(ctx), p.AppId, (*string)(p.Platform), p.ModuleId)
	if err != nil {
		return nil, err
	}
	return success[api.ListRnDeployments200JSONResponse](apiRnDeployments(ds)), nil
}

// CreateRnDeployments makes deployments of a module and shows their keys.
func (s *Server) CreateRnDeployments(ctx context.Context, req api.CreateRnDeploymentsRequestObject) (api.CreateRnDeploymentsResponseObject, error) {
	if err := needBody(req.Body); err != nil {
		return nil, err
	}
	b := req.Body
	ds, err := s.updates.CreateDeployments(ctx, principalFrom(ctx), req.Params.AppId, string(b.Platform), b.ModuleId, b.Name)
	if err != nil {
		return nil, err
	}
	return success[api.CreateRnDeployments200JSONResponse](apiRnDeployments(ds)), nil
}

// RotateRnDeploymentKey gives a deployment a new key.
func (s *Server) RotateRnDeploymentKey(ctx context.Context, req api.RotateRnDeploymentKeyRequestObject) (api.RotateRnDeploymentKeyResponseObject, error) {
	d, err := s.updates.RotateDeploymentKey(ctx, principalFrom(ctx), req.Id)
	if err != nil {
		return nil, err
	}
	return success[api.RotateRnDeploymentKey200JSONResponse](apiRnDeployment(d)), nil
}

// ListRnReleases pages through a deployment's releases.
func (s *Server) ListRnReleases(ctx context.Context, req api.ListRnReleasesRequestObject) (api.ListRnReleasesResponseObject, error) {
	rs, err := s.updates.ListReleases(ctx, principalFrom(ctx), req.Id, page.New(req.Params.Page, req.Params.Size))
	if err != nil {
		return nil, err
	}
	return successPage[api.ListRnReleases200JSONResponse](rs, apiRnRelease), nil
}

// PromoteRnRelease copies a release into another deployment.
func (s *Server) PromoteRnRelease(ctx context.Context, req api.PromoteRnReleaseRequestObject) (api.PromoteRnReleaseResponseObject, error) {
	if err := needBody(req.Body); err != nil {
		return nil, err
	}
	b := req.Body
	change := update.ReleaseChange{Disabled: b.Disabled, Mandatory: b.Mandatory, Description: b.Description,
		RolloutPercent: b.RolloutPercent, TargetBinaryRange: b.TargetBinaryRange}
	r, err := s.updates.Promote(ctx, principalFrom(ctx), req.Id, b.ToDeployment, b.Label, change)
	if err != nil {
		return nil, err
	}
	return success[api.PromoteRnRelease200JSONResponse](apiRnRelease(r)), nil
}

// UpdateRnRelease changes a release.
func (s *Server) UpdateRnRelease(ctx context.Context, req api.UpdateRnReleaseRequestObject) (api.UpdateRnReleaseResponseObject, error) {
	if err := needBody(req.Body); err != nil {
		return nil, err
	}
	b := req.Body
	r, err := s.updates.UpdateRelease(ctx, principalFrom(ctx), req.Id, update.ReleaseChange{
		Disabled: b.Disabled, Mandatory: b.Mandatory, Description: b.Description,
		RolloutPercent: b.RolloutPercent, TargetBinaryRange: b.TargetBinaryRange,
	})
	if err != nil {
		return nil, err
	}
	return success[api.UpdateRnRelease200JSONResponse](apiRnRelease(r)), nil
}

func apiRnHaltPolicy(h update.HaltPolicy) api.RnHaltPolicy {
	return api.RnHaltPolicy{Enabled: h.Enabled, MinReports: h.MinReports, MaxFailurePercent: h.MaxFailurePercent}
}

// GetRnHaltPolicy shows the app's crash-aware rollout policy.
func (s *Server) GetRnHaltPolicy(ctx context.Context, req api.GetRnHaltPolicyRequestObject) (api.GetRnHaltPolicyResponseObject, error) {
	h, err := s.updates.GetHaltPolicy(ctx, principalFrom(ctx), req.Params.AppId)
	if err != nil {
		return nil, err
	}
	return success[api.GetRnHaltPolicy200JSONResponse](apiRnHaltPolicy(h)), nil
}

// SetRnHaltPolicy replaces the app's crash-aware rollout policy.
func (s *Server) SetRnHaltPolicy(ctx context.Context, req api.SetRnHaltPolicyRequestObject) (api.SetRnHaltPolicyResponseObject, error) {
	if err := needBody(req.Body); err != nil {
		return nil, err
	}
	b := req.Body
	h, err := s.updates.SetHaltPolicy(ctx, principalFrom(ctx), req.Params.AppId, update.HaltPolicy{Enabled: b.Enabled, MinReports: b.MinReports, MaxFailurePercent: b.MaxFailurePercent})
	if err != nil {
		return nil, err
	}
	return success[api.SetRnHaltPolicy200JSONResponse](apiRnHaltPolicy(h)), nil
}

func text(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func (s *Server) codePushCheck(ctx context.Context, c update.CodePushCheck) (update.CodePushAnswer, string, error) {
	a, err := s.updates.CheckCodePush(ctx, c)
	if err != nil {
		return a, "", err
	}
	url := ""
	if a.IsAvailable {
		url = s.baseURL(requestFrom(ctx)) + a.DownloadPath
	}
	return a, url, nil
}

// CodePushUpdateCheck answers the snake_case update check.
func (s *Server) CodePushUpdateCheck(ctx context.Context, req api.CodePushUpdateCheckRequestObject) (api.CodePushUpdateCheckResponseObject, error) {
	p := req.Params
	a, url, err := s.codePushCheck(ctx, update.CodePushCheck{
		DeploymentKey: p.DeploymentKey, AppVersion: p.AppVersion, PackageHash: text(p.PackageHash), Label: text(p.Label),
		ClientID: text(p.ClientUniqueId), IsCompanion: p.IsCompanion != nil && *p.IsCompanion,
	})
	if err != nil {
		return nil, err
	}
	return api.CodePushUpdateCheck200JSONResponse(api.CodePushUpdateCheck{UpdateInfo: api.CodePushUpdateInfo{
		IsAvailable: a.IsAvailable, IsMandatory: a.IsMandatory, UpdateAppVersion: a.UpdateAppVersion,
		ShouldRunBinaryVersion: a.ShouldRunBinaryVersion, DownloadUrl: url, PackageHash: a.PackageHash,
		PackageSize: a.PackageSize, Label: a.Label, Description: a.Description, TargetBinaryRange: a.TargetBinaryRange,
		AppVersion: a.AppVersion,
	}}), nil
}

// CodePushLegacyUpdateCheck answers the camelCase update check of older clients.
func (s *Server) CodePushLegacyUpdateCheck(ctx context.Context, req api.CodePushLegacyUpdateCheckRequestObject) (api.CodePushLegacyUpdateCheckResponseObject, error) {
	p := req.Params
	a, url, err := s.codePushCheck(ctx, update.CodePushCheck{
		DeploymentKey: p.DeploymentKey, AppVersion: p.AppVersion, PackageHash: text(p.PackageHash), Label: text(p.Label),
		ClientID: text(p.ClientUniqueId), IsCompanion: p.IsCompanion != nil && *p.IsCompanion,
	})
	if err != nil {
		return nil, err
	}
	// Older clients read appVersion as the range on updateAppVersion, else as their own version.
	appVersion := a.AppVersion
	if a.UpdateAppVersion {
		appVersion = a.TargetBinaryRange
	}
	return api.CodePushLegacyUpdateCheck200JSONResponse(api.CodePushLegacyUpdateCheck{UpdateInfo: api.CodePushLegacyUpdateInfo{
		IsAvailable: a.IsAvailable, IsMandatory: a.IsMandatory, UpdateAppVersion: a.UpdateAppVersion,
		ShouldRunBinaryVersion: a.ShouldRunBinaryVersion, DownloadURL: url, PackageHash: a.PackageHash,
		PackageSize: a.PackageSize, Label: a.Label, Description: a.Description, AppVersion: appVersion,
	}}), nil
}

func succeeded(status *string) (counted, ok bool) {
	if status == nil {
		return false, false
	}
	return true, *status == "DeploymentSucceeded"
}

// CodePushReportDeploy counts a deploy report.
func (s *Server) CodePushReportDeploy(ctx context.Context, req api.CodePushReportDeployRequestObject) (api.CodePushReportDeployResponseObject, error) {
	if err := needBody(req.Body); err != nil {
		return nil, err
	}
	b := req.Body
	if err := s.reportDeploy(ctx, b.DeploymentKey, text(b.Label), (*string)(b.Status)); err != nil {
		return nil, err
	}
	return api.CodePushReportDeploy200TextResponse("OK"), nil
}

// CodePushLegacyReportDeploy counts a deploy report of an older client.
func (s *Server) CodePushLegacyReportDeploy(ctx context.Context, req api.CodePushLegacyReportDeployRequestObject) (api.CodePushLegacyReportDeployResponseObject, error) {
	if err := needBody(req.Body); err != nil {
		return nil, err
	}
	b := req.Body
	if err := s.reportDeploy(ctx, b.DeploymentKey, text(b.Label), (*string)(b.Status)); err != nil {
		return nil, err
	}
	return api.CodePushLegacyReportDeploy200TextResponse("OK"), nil
}

// reportDeploy counts a report with a status; one without (the binary's bundle, or a label
// without an outcome) only has its key checked.
func (s *Server) reportDeploy(ctx context.Context, key, label string, status *string) error {
	counted, ok := succeeded(status)
	if !counted {
		label = ""
	}
	return s.updates.ReportDeploy(ctx, key, label, ok)
}

// CodePushReportDownload counts a download report.
func (s *Server) CodePushReportDownload(ctx context.Context, req api.CodePushReportDownloadRequestObject) (api.CodePushReportDownloadResponseObject, error) {
	if err := needBody(req.Body); err != nil {
		return nil, err
	}
	if err := s.updates.ReportDownload(ctx, req.Body.DeploymentKey, req.Body.Label); err != nil {
		return nil, err
	}
	return api.CodePushReportDownload200TextResponse("OK"), nil
}

// CodePushLegacyReportDownload counts a download report of an older client.
func (s *Server) CodePushLegacyReportDownload(ctx context.Context, req api.CodePushLegacyReportDownloadRequestObject) (api.CodePushLegacyReportDownloadResponseObject, error) {
	if err := needBody(req.Body); err != nil {
		return nil, err
	}
	if err := s.updates.ReportDownload(ctx, req.Body.DeploymentKey, req.Body.Label); err != nil {
		return nil, err
	}
	return api.CodePushLegacyReportDownload200TextResponse("OK"), nil
}

// DownloadRnPatch serves a stored patch of a release.
func (s *Server) DownloadRnPatch(ctx context.Context, req api.DownloadRnPatchRequestObject) (api.DownloadRnPatchResponseObject, error) {
	d, err := s.updates.DownloadPatch(ctx, req.AppId, req.Sha256)
	if err != nil {
		return nil, err
	}
	return download{
		r: requestFrom(ctx), obj: d.Object, contentType: "application/octet-stream", etag: `"` + d.SHA256 + `"`,
		header: map[string]string{"Cache-Control": immutable, "X-Content-SHA256": d.SHA256},
	}, nil
}

func (d download) VisitDownloadRnPatchResponse(w http.ResponseWriter) error { return d.serve(w) }

func rnCounts(c update.Counts) (downloads, installs, successes, failures int64) {
	return c.Downloads, c.Installs, c.Successes, c.Failures
}

// GetRnDeploymentMetrics shows what clients reported of a deployment.
func (s *Server) GetRnDeploymentMetrics(ctx context.Context, req api.GetRnDeploymentMetricsRequestObject) (api.GetRnDeploymentMetricsResponseObject, error) {
	m, err := s.updates.Metrics(ctx, principalFrom(ctx), req.Id)
	if err != nil {
		return nil, err
	}
	out := api.RnDeploymentMetrics{DeploymentId: m.DeploymentID, Deployment: m.Deployment, Releases: make([]api.RnReleaseMetrics, len(m.Releases))}
	out.Downloads, out.Installs, out.Successes, out.Failures = rnCounts(m.Counts)
	for i, r := range m.Releases {
		rm := api.RnReleaseMetrics{ReleaseId: r.ReleaseID, Label: r.Label, Disabled: r.Disabled, HaltedAt: r.HaltedAt}
		rm.Downloads, rm.Installs, rm.Successes, rm.Failures = rnCounts(r.Counts)
		out.Releases[i] = rm
	}
	return success[api.GetRnDeploymentMetrics200JSONResponse](out), nil
}
