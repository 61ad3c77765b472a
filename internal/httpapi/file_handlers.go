package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/file"
)

// UploadFile stores the multipart field "file", streamed straight from the request.
func (s *Server) UploadFile(ctx context.Context, req api.UploadFileRequestObject) (api.UploadFileResponseObject, error) {
	part, err := nextFilePart(req.Body, "file")
	if err != nil {
		return nil, err
	}
	defer part.Close()
	info, err := s.files.Upload(ctx, principalFrom(ctx), part.FileName(), part)
	if err != nil {
		return nil, err
	}
	return success[api.UploadFile200JSONResponse](api.FileInfo{
		Hash: info.Hash, Url: s.baseURL(requestFrom(ctx)) + "/api/file/" + info.Hash,
		Size: info.Size, ContentType: info.ContentType, Name: info.Name,
	}), nil
}

// maxSkippedFields bounds the form fields before the file that an upload reads and ignores.
const maxSkippedFields = 64 << 10

// nextFilePart reads a streamed multipart form up to the part named field, skipping others.
func nextFilePart(mr *multipart.Reader, field string) (*multipart.Part, error) {
	var skipped int64
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, fault.InvalidField(field, "is missing; send the file in the multipart field %q", field)
		}
		if err != nil {
			return nil, fault.InvalidField("body", "is not a readable multipart form: %v", err)
		}
		if p.FormName() == field {
			return p, nil
		}
		n, err := io.Copy(io.Discard, io.LimitReader(p, maxSkippedFields-skipped+1))
		skipped += n
		if err != nil {
			return nil, fault.InvalidField("body", "is not a readable multipart form: %v", err)
		}
		if skipped > maxSkippedFields {
			return nil, fault.TooLargef("the form fields besides %q are larger than %d bytes", field, maxSkippedFields)
		}
	}
}

// GetFile serves a file's bytes by hash.
func (s *Server) GetFile(ctx context.Context, req api.GetFileRequestObject) (api.GetFileResponseObject, error) {
	d, err := s.fileDownload(ctx, req.Hash, req.Params.Name)
	if err != nil {
		return nil, err
	}
	return d, nil
}

// HeadFile answers with GetFile's headers.
func (s *Server) HeadFile(ctx context.Context, req api.HeadFileRequestObject) (api.HeadFileResponseObject, error) {
	d, err := s.fileDownload(ctx, req.Hash, req.Params.Name)
	if err != nil {
		return nil, err
	}
	return d, nil
}

func (s *Server) fileDownload(ctx context.Context, hash string, name *string) (download, error) {
	info, obj, err := s.files.Open(ctx, hash)
	if err != nil {
		return download{}, err
	}
	disposition := info.Name
	if name != nil {
		disposition = file.CleanName(*name)
	}
	// Anything a browser could run (HTML, SVG, XML, scripts…) is an attachment, and under a
	// sandbox even if opened: uploads must never act as pages of the API's origin.
	kind := "attachment"
	if file.ShownInline(info.ContentType) {
		kind = "inline"
	}
	return download{
		r: requestFrom(ctx), obj: obj, contentType: info.ContentType, etag: `"` + info.Hash + `"`,
		modTime: info.CreatedAt, ranges: true,
		header: map[string]string{
			"Cache-Control":           immutable,
			"Content-Disposition":     contentDisposition(kind, disposition),
			"Content-Security-Policy": "sandbox; default-src 'none'",
			"X-Content-SHA256":        info.Hash,
		},
	}, nil
}

func (d download) VisitGetFileResponse(w http.ResponseWriter) error  { return d.serve(w) }
func (d download) VisitHeadFileResponse(w http.ResponseWriter) error { return d.serve(w) }

// GetFileThumbnail serves an image scaled into the box w×h.
func (s *Server) GetFileThumbnail(ctx context.Context, req api.GetFileThumbnailRequestObject) (api.GetFileThumbnailResponseObject, error) {
	w, h := file.DefaultThumbSide, file.DefaultThumbSide
	if req.Params.W != nil {
		w = int(*req.Params.W)
	}
	if req.Params.H != nil {
		h = int(*req.Params.H)
	}
	t, err := s.files.Thumbnail(ctx, req.Hash, w, h)
	if err != nil {
		return nil, err
	}
	return download{
		r: requestFrom(ctx), obj: t.Object, contentType: t.ContentType,
		etag:   fmt.Sprintf(`"%s-%dx%d"`, req.Hash, t.W, t.H),
		header: map[string]string{"Cache-Control": immutable},
	}, nil
}

func (d download) VisitGetFileThumbnailResponse(w http.ResponseWriter) error { return d.serve(w) }
