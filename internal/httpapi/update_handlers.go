package httpapi

import (
	"context"
	"errors"
	"io"
	"mime/multipart"
	"net/http"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/file"
	"github.com/xuqmgroup/xuqm/internal/page"
	"github.com/xuqmgroup/xuqm/internal/update"
)

// maxFormFields bounds the text fields of an upload form, read before its file.
const maxFormFields = 64 << 10

// readUploadForm reads a streamed multipart form's text fields up to its part "file", which it
// returns unread (nil when the form has none); fields after the file are not read, as the
// contract asks for the file last.
func readUploadForm(mr *multipart.Reader) (map[string]string, *multipart.Part, error) {
	fields := map[string]string{}
	var total int64
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return fields, nil, nil
		}
		if err != nil {
			return nil, nil, fault.InvalidField("body", "is not a readable multipart form: %v", err)
		}
		name := p.FormName()
		if name == "file" {
			return fields, p, nil
		}
		b, err := io.ReadAll(io.LimitReader(p, maxFormFields-total+1))
		if err != nil {
			return nil, nil, fault.InvalidField("body", "is not a readable multipart form: %v", err)
		}
		if total += int64(len(b)); total > maxFormFields {
			return nil, nil, fault.TooLargef("the form fields are larger than %d bytes", maxFormFields)
		}
		if !storable(string(b)) {
			return nil, nil, fault.InvalidField(name, "must be UTF-8 text without NUL characters")
		}
		if _, seen := fields[name]; !seen && name != "" {
			fields[name] = string(b)
		}
	}
}

func uploadOf(part *multipart.Part) *update.Upload {
	if part == nil {
		return nil
	}
	name := part.FileName()
	if name != "" {
		name = file.CleanName(name) // stored and sent back in Content-Disposition
	}
	return &update.Upload{Name: name, Body: part}
}

func (s *Server) apiAppVersion(ctx context.Context, v update.AppVersion) api.AppVersion {
	out := api.AppVersion{
		Id: v.ID, AppId: v.AppKey, Platform: api.Platform(v.Platform), VersionCode: v.VersionCode,
		VersionName: v.VersionName, Changelog: v.Changelog, ForceUpdate: v.ForceUpdate,
		MinSupportedVersionCode: v.MinSupportedVersionCode, Status: api.ReleaseStatus(v.Status),
		RolloutPercent: v.RolloutPercent, Size: v.Size, Sha256: v.SHA256, StoreUrl: v.StoreURL,
		CreatedAt: v.CreatedAt, PublishedAt: v.PublishedAt,
	}
	if p := v.DownloadPath(); p != "" {
		u := s.baseURL(requestFrom(ctx)) + p
		out.DownloadUrl = &u
	}
	return out
}

func (s *Server) apiRnBundle(ctx context.Context, b update.Bundle) api.RnBundle {
	out := api.RnBundle{
		Id: b.ID, AppId: b.AppKey, Platform: api.Platform(b.Platform), ModuleId: b.ModuleID, Version: b.Version,
		MinAppVersion: b.MinAppVersion, MaxAppVersion: b.MaxAppVersion, Mandatory: b.Mandatory,
		Description: b.Description, Status: api.ReleaseStatus(b.Status), RolloutPercent: b.RolloutPercent,
		Size: b.Size, Sha256: b.SHA256, DownloadUrl: s.baseURL(requestFrom(ctx)) + b.DownloadPath(),
		CreatedAt: b.CreatedAt, PublishedAt: b.PublishedAt, PackageHash: &b.PackageHash,
	}
	if b.Release != nil {
		r := apiRnRelease(*b.Release)
		out.Release = &r
	}
	return out
}

// CheckAppUpdate answers a native update check from memory.
func (s *Server) CheckAppUpdate(ctx context.Context, req api.CheckAppUpdateRequestObject) (api.CheckAppUpdateResponseObject, error) {
	p := req.Params
	c := update.AppCheck{AppKey: p.AppId, Platform: string(p.Platform), CurrentVersionCode: p.CurrentVersionCode}
	if p.DeviceId != nil {
		c.DeviceID = *p.DeviceId
	}
	res, err := s.updates.CheckApp(ctx, c)
	if err != nil {
		return nil, err
	}
	data := api.AppUpdateCheck{HasUpdate: res.HasUpdate, ForceUpdate: res.ForceUpdate}
	if res.HasUpdate {
		v := res.Version
		data.VersionCode, data.VersionName, data.Changelog = &v.VersionCode, &v.VersionName, &v.Changelog
		data.Sha256, data.Size, data.StoreUrl = v.SHA256, v.Size, v.StoreURL
		if path := v.DownloadPath(); path != "" {
			u := s.baseURL(requestFrom(ctx)) + path
			data.DownloadUrl = &u
		}
	}
	return success[api.CheckAppUpdate200JSONResponse](data), nil
}

// CheckRnUpdate answers a bundle check from memory.
func (s *Server) CheckRnUpdate(ctx context.Context, req api.CheckRnUpdateRequestObject) (api.CheckRnUpdateResponseObject, error) {
	p := req.Params
	c := update.BundleCheck{AppKey: p.AppId, Platform: string(p.Platform), ModuleID: p.ModuleId, CurrentVersion: p.CurrentVersion}
	if p.AppVersion != nil {
		c.AppVersion = *p.AppVersion
	}
	if p.DeviceId != nil {
		c.DeviceID = *p.DeviceId
	}
	res, err := s.updates.CheckRnBundle(ctx, c)
	if err != nil {
		return nil, err
	}
	data := api.RnUpdateCheck{HasUpdate: res.HasUpdate, Mandatory: res.Mandatory, Rollback: res.Rollback, CurrentWithdrawn: res.CurrentWithdrawn}
	if res.HasUpdate {
		b := res.Bundle
		u := s.baseURL(requestFrom(ctx)) + b.DownloadPath()
		data.Version, data.DownloadUrl, data.Size, data.Sha256, data.Description = &b.Version, &u, &b.Size, &b.SHA256, &b.Description
	}
	return success[api.CheckRnUpdate200JSONResponse](data), nil
}

// UploadAppVersion creates a DRAFT version; the APK streams from the request to the blob store.
func (s *Server) UploadAppVersion(ctx context.Context, req api.UploadAppVersionRequestObject) (api.UploadAppVersionResponseObject, error) {
	fields, part, err := readUploadForm(req.Body)
	if err != nil {
		return nil, err
	}
	if part != nil {
		defer part.Close()
	}
	in, err := appVersionUploadOf(fields, uploadOf(part))
	if err != nil {
		return nil, err
	}
	v, err := s.updates.UploadAppVersion(ctx, principalFrom(ctx), in)
	if err != nil {
		return nil, err
	}
	return success[api.UploadAppVersion200JSONResponse](s.apiAppVersion(ctx, v)), nil
}

// PublishAppVersion publishes a version.
func (s *Server) PublishAppVersion(ctx context.Context, req api.PublishAppVersionRequestObject) (api.PublishAppVersionResponseObject, error) {
	var rollout *int32
	if req.Body != nil {
		rollout = req.Body.RolloutPercent
	}
	v, err := s.updates.PublishAppVersion(ctx, principalFrom(ctx), req.Id, rollout)
	if err != nil {
		return nil, err
	}
	return success[api.PublishAppVersion200JSONResponse](s.apiAppVersion(ctx, v)), nil
}

// WithdrawAppVersion withdraws a version.
func (s *Server) WithdrawAppVersion(ctx context.Context, req api.WithdrawAppVersionRequestObject) (api.WithdrawAppVersionResponseObject, error) {
	v, err := s.updates.WithdrawAppVersion(ctx, principalFrom(ctx), req.Id)
	if err != nil {
		return nil, err
	}
	return success[api.WithdrawAppVersion200JSONResponse](s.apiAppVersion(ctx, v)), nil
}

// SetAppVersionRollout changes a version's rollout percentage.
func (s *Server) SetAppVersionRollout(ctx context.Context, req api.SetAppVersionRolloutRequestObject) (api.SetAppVersionRolloutResponseObject, error) {
	if req.Body == nil {
		return nil, fault.InvalidField("rolloutPercent", "is missing")
	}
	v, err := s.updates.SetAppVersionRollout(ctx, principalFrom(ctx), req.Id, req.Body.RolloutPercent)
	if err != nil {
		return nil, err
	}
	return success[api.SetAppVersionRollout200JSONResponse](s.apiAppVersion(ctx, v)), nil
}

// ListAppVersions pages through an app's versions.
func (s *Server) ListAppVersions(ctx context.Context, req api.ListAppVersionsRequestObject) (api.ListAppVersionsResponseObject, error) {
	p := req.Params
	f := update.VersionFilter{Platform: (*string)(p.Platform), Status: (*string)(p.Status), Page: page.New(p.Page, p.Size)}
	versions, err := s.updates.ListAppVersions(ctx, principalFrom(ctx), p.AppId, f)
	if err != nil {
		return nil, err
	}
	return successPage[api.ListAppVersions200JSONResponse](versions, func(x update.AppVersion) api.AppVersion { return s.apiAppVersion(ctx, x) }), nil
}

// UploadRnBundle creates a DRAFT bundle; the file streams from the request to the blob store.
func (s *Server) UploadRnBundle(ctx context.Context, req api.UploadRnBundleRequestObject) (api.UploadRnBundleResponseObject, error) {
	fields, part, err := readUploadForm(req.Body)
	if err != nil {
		return nil, err
	}
	if part != nil {
		defer part.Close()
	}
	in, err := bundleUploadOf(fields, uploadOf(part))
	if err != nil {
		return nil, err
	}
	b, err := s.updates.UploadRnBundle(ctx, principalFrom(ctx), in)
	if err != nil {
		return nil, err
	}
	return success[api.UploadRnBundle200JSONResponse](s.apiRnBundle(ctx, b)), nil
}

// PublishRnBundle publishes a bundle.
func (s *Server) PublishRnBundle(ctx context.Context, req api.PublishRnBundleRequestObject) (api.PublishRnBundleResponseObject, error) {
	var rollout *int32
	if req.Body != nil {
		rollout = req.Body.RolloutPercent
	}
	b, err := s.updates.PublishRnBundle(ctx, principalFrom(ctx), req.Id, rollout)
	if err != nil {
		return nil, err
	}
	return success[api.PublishRnBundle200JSONResponse](s.apiRnBundle(ctx, b)), nil
}

// WithdrawRnBundle withdraws a bundle.
func (s *Server) WithdrawRnBundle(ctx context.Context, req api.WithdrawRnBundleRequestObject) (api.WithdrawRnBundleResponseObject, error) {
	b, err := s.updates.WithdrawRnBundle(ctx, principalFrom(ctx), req.Id)
	if err != nil {
		return nil, err
	}
	return success[api.WithdrawRnBundle200JSONResponse](s.apiRnBundle(ctx, b)), nil
}

// SetRnBundleRollout changes a bundle's rollout percentage.
func (s *Server) SetRnBundleRollout(ctx context.Context, req api.SetRnBundleRolloutRequestObject) (api.SetRnBundleRolloutResponseObject, error) {
	if req.Body == nil {
		return nil, fault.InvalidField("rolloutPercent", "is missing")
	}
	b, err := s.updates.SetRnBundleRollout(ctx, principalFrom(ctx), req.Id, req.Body.RolloutPercent)
	if err != nil {
		return nil, err
	}
	return success[api.SetRnBundleRollout200JSONResponse](s.apiRnBundle(ctx, b)), nil
}

// ListRnBundles pages through an app's bundles.
func (s *Server) ListRnBundles(ctx context.Context, req api.ListRnBundlesRequestObject) (api.ListRnBundlesResponseObject, error) {
	p := req.Params
	f := update.BundleFilter{Platform: (*string)(p.Platform), ModuleID: p.ModuleId, Status: (*string)(p.Status), Page: page.New(p.Page, p.Size)}
	bundles, err := s.updates.ListRnBundles(ctx, principalFrom(ctx), p.AppId, f)
	if err != nil {
		return nil, err
	}
	return successPage[api.ListRnBundles200JSONResponse](bundles, func(x update.Bundle) api.RnBundle { return s.apiRnBundle(ctx, x) }), nil
}

// RollbackRnBundle rolls a module back to an earlier bundle.
func (s *Server) RollbackRnBundle(ctx context.Context, req api.RollbackRnBundleRequestObject) (api.RollbackRnBundleResponseObject, error) {
	if err := needBody(req.Body); err != nil {
		return nil, err
	}
	b, err := s.updates.RollbackRnBundle(ctx, principalFrom(ctx), req.Params.AppId, string(req.Body.Platform), req.Body.ModuleId, req.Body.ToVersion)
	if err != nil {
		return nil, err
	}
	return success[api.RollbackRnBundle200JSONResponse](s.apiRnBundle(ctx, b)), nil
}

// DownloadApk serves an APK with ranges for resumed downloads.
func (s *Server) DownloadApk(ctx context.Context, req api.DownloadApkRequestObject) (api.DownloadApkResponseObject, error) {
	d, err := s.updates.DownloadAPK(ctx, principalFrom(ctx), req.Filename)
	if err != nil {
		return nil, err
	}
	return download{
		r: requestFrom(ctx), obj: d.Object, contentType: "application/octet-stream", etag: `"` + d.SHA256 + `"`, ranges: true,
		header: map[string]string{
			"Cache-Control": immutable, "X-Content-SHA256": d.SHA256,
			"Content-Disposition": contentDisposition("attachment", d.FileName),
		},
	}, nil
}

// DownloadRnBundle serves a bundle: a given version (cacheable forever) or the newest published.
func (s *Server) DownloadRnBundle(ctx context.Context, req api.DownloadRnBundleRequestObject) (api.DownloadRnBundleResponseObject, error) {
	d, err := s.updates.DownloadBundle(ctx, principalFrom(ctx), req.AppId, string(req.Platform), req.ModuleId, req.Params.Version)
	if err != nil {
		return nil, err
	}
	cache := immutable
	if req.Params.Version == nil {
		cache = "no-cache"
	}
	return download{
		r: requestFrom(ctx), obj: d.Object, contentType: "application/octet-stream", etag: `"` + d.SHA256 + `"`, ranges: true,
		header: map[string]string{
			"Cache-Control": cache, "X-Content-SHA256": d.SHA256, "X-Bundle-Version": d.Version,
			"Content-Disposition": contentDisposition("attachment", d.FileName),
		},
	}, nil
}

func (d download) VisitDownloadApkResponse(w http.ResponseWriter) error      { return d.serve(w) }
func (d download) VisitDownloadRnBundleResponse(w http.ResponseWriter) error { return d.serve(w) }
