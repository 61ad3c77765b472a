// Code written by scripts/unbuilt-stubs.py: the update routes not built yet answer 501.

package httpapi

import (
	"context"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/fault"
)

func (s *Server) CheckAppUpdate(context.Context, api.CheckAppUpdateRequestObject) (api.CheckAppUpdateResponseObject, error) {
	return nil, fault.NotBuilt("checkAppUpdate")
}

func (s *Server) CheckRnUpdate(context.Context, api.CheckRnUpdateRequestObject) (api.CheckRnUpdateResponseObject, error) {
	return nil, fault.NotBuilt("checkRnUpdate")
}

func (s *Server) DownloadApk(context.Context, api.DownloadApkRequestObject) (api.DownloadApkResponseObject, error) {
	return nil, fault.NotBuilt("downloadApk")
}

func (s *Server) DownloadRnBundle(context.Context, api.DownloadRnBundleRequestObject) (api.DownloadRnBundleResponseObject, error) {
	return nil, fault.NotBuilt("downloadRnBundle")
}

func (s *Server) ListAppVersions(context.Context, api.ListAppVersionsRequestObject) (api.ListAppVersionsResponseObject, error) {
	return nil, fault.NotBuilt("listAppVersions")
}

func (s *Server) ListRnBundles(context.Context, api.ListRnBundlesRequestObject) (api.ListRnBundlesResponseObject, error) {
	return nil, fault.NotBuilt("listRnBundles")
}

func (s *Server) PublishAppVersion(context.Context, api.PublishAppVersionRequestObject) (api.PublishAppVersionResponseObject, error) {
	return nil, fault.NotBuilt("publishAppVersion")
}

func (s *Server) PublishRnBundle(context.Context, api.PublishRnBundleRequestObject) (api.PublishRnBundleResponseObject, error) {
	return nil, fault.NotBuilt("publishRnBundle")
}

func (s *Server) RollbackRnBundle(context.Context, api.RollbackRnBundleRequestObject) (api.RollbackRnBundleResponseObject, error) {
	return nil, fault.NotBuilt("rollbackRnBundle")
}

func (s *Server) SetAppVersionRollout(context.Context, api.SetAppVersionRolloutRequestObject) (api.SetAppVersionRolloutResponseObject, error) {
	return nil, fault.NotBuilt("setAppVersionRollout")
}

func (s *Server) SetRnBundleRollout(context.Context, api.SetRnBundleRolloutRequestObject) (api.SetRnBundleRolloutResponseObject, error) {
	return nil, fault.NotBuilt("setRnBundleRollout")
}

func (s *Server) UploadAppVersion(context.Context, api.UploadAppVersionRequestObject) (api.UploadAppVersionResponseObject, error) {
	return nil, fault.NotBuilt("uploadAppVersion")
}

func (s *Server) UploadRnBundle(context.Context, api.UploadRnBundleRequestObject) (api.UploadRnBundleResponseObject, error) {
	return nil, fault.NotBuilt("uploadRnBundle")
}

func (s *Server) WithdrawAppVersion(context.Context, api.WithdrawAppVersionRequestObject) (api.WithdrawAppVersionResponseObject, error) {
	return nil, fault.NotBuilt("withdrawAppVersion")
}

func (s *Server) WithdrawRnBundle(context.Context, api.WithdrawRnBundleRequestObject) (api.WithdrawRnBundleResponseObject, error) {
	return nil, fault.NotBuilt("withdrawRnBundle")
}
