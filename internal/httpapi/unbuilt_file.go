// Code written by scripts/unbuilt-stubs.py: the file routes not built yet answer 501.

package httpapi

import (
	"context"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/fault"
)

func (s *Server) GetFile(context.Context, api.GetFileRequestObject) (api.GetFileResponseObject, error) {
	return nil, fault.NotBuilt("getFile")
}

func (s *Server) GetFileThumbnail(context.Context, api.GetFileThumbnailRequestObject) (api.GetFileThumbnailResponseObject, error) {
	return nil, fault.NotBuilt("getFileThumbnail")
}

func (s *Server) HeadFile(context.Context, api.HeadFileRequestObject) (api.HeadFileResponseObject, error) {
	return nil, fault.NotBuilt("headFile")
}

func (s *Server) UploadFile(context.Context, api.UploadFileRequestObject) (api.UploadFileResponseObject, error) {
	return nil, fault.NotBuilt("uploadFile")
}
