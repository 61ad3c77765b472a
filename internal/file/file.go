// Package file is the file service: a content-addressed store of uploads, served back by hash
// with thumbnails of images. The bytes live in the blob store; PostgreSQL records each distinct
// content once and each upload per app.
package file

import (
	"context"
	"errors"
	"io"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/singleflight"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/blob"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/postgres"
)

// Config are the service's limits.
type Config struct {
	MaxBytes       int64 // XUQM_FILE_MAX_BYTES: larger uploads get 413
	ThumbMaxPixels int64 // XUQM_THUMB_MAX_PIXELS: larger images get no thumbnail
	// ThumbWorkers is how many images may be decoded at once; a decoded image can take
	// hundreds of MiB, so a burst of thumbnail requests waits rather than exhausting memory.
	ThumbWorkers int
}

// Service stores and serves files.
type Service struct {
	pool  *pgxpool.Pool
	q     db.Querier
	blobs blob.Store
	cfg   Config

	thumbSlots chan struct{}
	making     singleflight.Group // one maker per thumbnail, however many ask at once
}

// New returns the service.
func New(pool *pgxpool.Pool, blobs blob.Store, cfg Config) *Service {
	if cfg.ThumbWorkers <= 0 {
		cfg.ThumbWorkers = 2
	}
	return &Service{pool: pool, q: postgres.Queries(pool), blobs: blobs, cfg: cfg, thumbSlots: make(chan struct{}, cfg.ThumbWorkers)}
}

// Info describes stored content.
type Info struct {
	Hash        string // SHA-256, lower-case hex
	Size        int64
	ContentType string // sniffed at the first upload
	Name        string // the upload's file name (Upload) or the first upload's (Stat, Open)
	CreatedAt   time.Time
}

// Upload stores body, uploaded under name by p for p's app, and returns its content address.
// Bytes stored already (by any app) are not stored again.
func (s *Service) Upload(ctx context.Context, p *auth.Principal, name string, body io.Reader) (Info, error) {
	if p.App == nil {
		return Info{}, fault.Invalidf("an upload names its app with the appId query parameter")
	}
	var uploaderKind, uploaderID string
	switch p.Kind {
	case auth.KindIM:
		uploaderKind, uploaderID = "im", p.UserID
	case auth.KindTenant:
		if !p.CanManageApp(p.App.TenantID) {
			return Info{}, fault.Forbiddenf("app %s belongs to another tenant", p.App.Key)
		}
		uploaderKind, uploaderID = "tenant", strconv.FormatInt(p.AccountID, 10)
	default:
		return Info{}, fault.Forbiddenf("uploads take an IM token or a tenant token")
	}
	name = CleanName(name)

	staged, err := s.blobs.Stage(ctx, body, s.cfg.MaxBytes)
	if err != nil {
		return Info{}, stageFault(err, s.cfg.MaxBytes, "XUQM_FILE_MAX_BYTES")
	}
	defer staged.Discard()
	// The bytes go into place before the row that points at them, so that a row never names
	// missing bytes; concurrent uploads of the same bytes all commit, and the store keeps one.
	if err := staged.Commit(ctx, blob.ContentKey(staged.SHA256)); err != nil {
		return Info{}, fault.Wrap(err, "commit upload")
	}
	var row db.File
	err = postgres.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		q := postgres.Queries(tx)
		if err := q.InsertFileIfAbsent(ctx, db.InsertFileIfAbsentParams{
			Hash: staged.SHA256, Size: staged.Size, ContentType: staged.ContentType, Name: name,
		}); err != nil {
			return err
		}
		// A new statement sees the row a concurrent upload committed while this one waited.
		var err error
		if row, err = q.GetFile(ctx, staged.SHA256); err != nil {
			return err
		}
		return q.InsertFileUpload(ctx, db.InsertFileUploadParams{
			AppID: p.App.ID, Hash: staged.SHA256, Name: name, Size: staged.Size,
			UploaderKind: uploaderKind, UploaderID: uploaderID,
		})
	})
	if err != nil {
		return Info{}, fault.Wrap(err, "record upload")
	}
	info := infoOf(row)
	info.Name = name
	return info, nil
}

// Usage is an app's uploads so far.
type Usage struct {
	Uploads int64
	Bytes   int64
}

// Usage counts appID's uploads and their bytes (each upload counted, duplicates included).
func (s *Service) Usage(ctx context.Context, appID int64) (Usage, error) {
	row, err := s.q.CountFileUploads(ctx, appID)
	if err != nil {
		return Usage{}, fault.Wrap(err, "count uploads")
	}
	return Usage{Uploads: row.Uploads, Bytes: row.Bytes}, nil
}

// Stat describes the content whose SHA-256 is hash.
func (s *Service) Stat(ctx context.Context, hash string) (Info, error) {
	if !blob.ValidHash(hash) {
		return Info{}, fault.InvalidField("hash", "want the SHA-256 of the file in lower-case hex")
	}
	row, err := s.q.GetFile(ctx, hash)
	if errors.Is(err, postgres.ErrNotFound) {
		return Info{}, fault.NotFoundf("no file has the hash %s", hash)
	}
	if err != nil {
		return Info{}, fault.Wrap(err, "load file")
	}
	return infoOf(row), nil
}

// Open returns the content whose SHA-256 is hash, open for reading; the caller closes it.
func (s *Service) Open(ctx context.Context, hash string) (Info, blob.Object, error) {
	info, err := s.Stat(ctx, hash)
	if err != nil {
		return Info{}, nil, err
	}
	obj, err := s.blobs.Open(ctx, blob.ContentKey(hash))
	if errors.Is(err, blob.ErrNotFound) {
		return Info{}, nil, fault.Wrap(err, "the blob of file "+hash+" is missing")
	}
	if err != nil {
		return Info{}, nil, fault.Wrap(err, "open file")
	}
	return info, obj, nil
}

func infoOf(row db.File) Info {
	return Info{Hash: row.Hash, Size: row.Size, ContentType: row.ContentType, Name: row.Name, CreatedAt: row.CreatedAt}
}

// stageFault turns a failure to stage an upload into what the caller is told.
func stageFault(err error, limit int64, setting string) error {
	var tooLarge *blob.TooLargeError
	var source *blob.SourceError
	switch {
	case errors.As(err, &tooLarge):
		return fault.TooLargef("the file is larger than %d bytes, the limit (%s)", limit, setting)
	case errors.As(err, &source):
		return fault.InvalidField("file", "the upload could not be read: %v", source.Err)
	}
	return fault.Wrap(err, "stage upload")
}

// maxNameLen is the most characters a stored file name keeps.
const maxNameLen = 255

// CleanName is the name an upload is stored under: the base name of what the client sent
// (either slash separates directories), without control characters, at most 255 characters;
// "file" when nothing is left.
func CleanName(name string) string {
	name = strings.ReplaceAll(name, `\`, "/")
	name = path.Base(name)
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if name == "" || name == "." || name == "/" || name == ".." {
		return "file"
	}
	if utf8.RuneCountInString(name) > maxNameLen {
		name = string([]rune(name)[:maxNameLen])
	}
	return name
}

// ShownInline tells whether a browser may show a file of contentType in place: types it
// displays without running anything. HTML, SVG, XML, scripts and every unknown type are
// downloaded as attachments instead.
func ShownInline(contentType string) bool {
	t, _, _ := strings.Cut(strings.ToLower(contentType), ";")
	t = strings.TrimSpace(t)
	switch t {
	case "image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/avif",
		"application/pdf", "text/plain":
		return true
	}
	return strings.HasPrefix(t, "audio/") || strings.HasPrefix(t, "video/")
}
