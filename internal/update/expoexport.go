package update

import (
	"archive/zip"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/blob"
	"github.com/xuqmgroup/xuqm/internal/fault"
)

// An Expo export is the zip of what `npx expo export` writes: metadata.json naming, per
// platform, the bundle and the assets (paths relative to metadata.json), the files themselves,
// and optionally expoConfig.json (`npx expo config --json`), which becomes the manifest's
// extra.expoClient. The zip may hold it at its root or under one folder (dist/).
type expoExport struct {
	assets []expoAsset // the launch asset first
	config json.RawMessage
}

// expoAsset is one file of an Expo update, stored content-addressed.
type expoAsset struct {
	launch        bool
	key           string // MD5 hex of the bytes, as expo export names asset files
	sha256        string // hex
	size          int64
	contentType   string
	fileExtension string
}

type expoMetadata struct {
	FileMetadata map[string]struct {
		Bundle string `json:"bundle"`
		Assets []struct {
			Path string `json:"path"`
			Ext  string `json:"ext"`
		} `json:"assets"`
	} `json:"fileMetadata"`
}

// maxExpoJSON bounds metadata.json and expoConfig.json.
const maxExpoJSON = 4 << 20

// findExpoMetadata is the zip's metadata.json nearest the root, and the folder it is in ("" or
// "dist/"); nil when the zip is no Expo export.
func findExpoMetadata(zr *zip.Reader) (*zip.File, string) {
	var best *zip.File
	for _, f := range zr.File {
		if path.Base(f.Name) != "metadata.json" || ignoredInPackage(f.Name) || strings.Count(f.Name, "/") > 1 {
			continue
		}
		if best == nil || len(f.Name) < len(best.Name) {
			best = f
		}
	}
	if best == nil {
		return nil, ""
	}
	dir := path.Dir(best.Name)
	if dir == "." {
		return best, ""
	}
	return best, dir + "/"
}

func readExpoJSON(f *zip.File, into any) error {
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxExpoJSON+1))
	if err != nil {
		return err
	}
	if len(b) > maxExpoJSON {
		return fmt.Errorf("%s is larger than %d bytes", f.Name, maxExpoJSON)
	}
	return json.Unmarshal(b, into)
}

// storeExpoExport reads an Expo export's files for platform out of the zip and stores each one
// content-addressed. It returns nil for a zip that is no Expo export (no metadata.json), and a
// 400 for one whose metadata.json does not describe the platform or names files it lacks.
func (s *Service) storeExpoExport(ctx context.Context, ra io.ReaderAt, size int64, platform string) (*expoExport, error) {
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return nil, nil // not a zip: the package hash has said so already
	}
	meta, dir := findExpoMetadata(zr)
	if meta == nil {
		return nil, nil
	}
	var m expoMetadata
	if err := readExpoJSON(meta, &m); err != nil {
		return nil, fault.InvalidField("file", "has a metadata.json that is not the one `npx expo export` writes: %v", err)
	}
	fm, ok := m.FileMetadata[strings.ToLower(platform)]
	if !ok || fm.Bundle == "" {
		return nil, fault.InvalidField("file", "is an Expo export without a bundle for %s; run `npx expo export --platform %s`", strings.ToLower(platform), strings.ToLower(platform))
	}
	files := map[string]*zip.File{}
	for _, f := range zr.File {
		files[f.Name] = f
	}
	out := &expoExport{}
	if f := files[dir+"expoConfig.json"]; f != nil {
		var cfg map[string]any
		if err := readExpoJSON(f, &cfg); err != nil {
			return nil, fault.InvalidField("file", "has an expoConfig.json that is not a JSON object: %v", err)
		}
		out.config, _ = json.Marshal(cfg)
	}
	store := func(name, ext string, launch bool) error {
		f := files[dir+strings.TrimPrefix(name, "/")]
		if f == nil {
			return fault.InvalidField("file", "is an Expo export whose metadata.json names %s, which the zip lacks", name)
		}
		a, err := s.storeZipFile(ctx, f)
		if err != nil {
			return err
		}
		a.launch = launch
		if launch {
			a.contentType, a.fileExtension = "application/javascript", ".bundle"
		} else {
			ext = strings.TrimPrefix(ext, ".")
			a.contentType, a.fileExtension = expoContentType(ext), "."+ext
			if ext == "" {
				a.fileExtension = ""
			}
		}
		out.assets = append(out.assets, a)
		return nil
	}
	if err := store(fm.Bundle, "", true); err != nil {
		return nil, err
	}
	for _, a := range fm.Assets {
		if err := store(a.Path, a.Ext, false); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// storeZipFile stores one file of a zip under its SHA-256, computing its MD5 on the way.
func (s *Service) storeZipFile(ctx context.Context, f *zip.File) (expoAsset, error) {
	rc, err := f.Open()
	if err != nil {
		return expoAsset{}, fault.InvalidField("file", "has an entry %s that cannot be read: %v", f.Name, err)
	}
	defer rc.Close()
	sum := md5.New()
	staged, err := s.blobs.Stage(ctx, io.TeeReader(rc, sum), s.cfg.MaxBytes)
	if err != nil {
		var tooLarge *blob.TooLargeError
		var source *blob.SourceError
		switch {
		case errors.As(err, &tooLarge):
			return expoAsset{}, fault.TooLargef("%s unpacks to more than %d bytes, the limit (XUQM_UPDATE_MAX_BYTES)", f.Name, s.cfg.MaxBytes)
		case errors.As(err, &source):
			return expoAsset{}, fault.InvalidField("file", "has an entry %s that cannot be read: %v", f.Name, source.Err)
		}
		return expoAsset{}, fault.Wrap(err, "stage asset")
	}
	defer staged.Discard()
	if err := staged.Commit(ctx, blob.ContentKey(staged.SHA256)); err != nil {
		return expoAsset{}, fault.Wrap(err, "store asset")
	}
	return expoAsset{key: hex.EncodeToString(sum.Sum(nil)), sha256: staged.SHA256, size: staged.Size}, nil
}

// expoContentType is an asset's MIME type by its extension; a fixed table, so that the answer
// does not depend on the machine's mime.types.
func expoContentType(ext string) string {
	switch strings.ToLower(ext) {
	case "png":
		return "image/png"
	case "jpg", "jpeg":
		return "image/jpeg"
	case "gif":
		return "image/gif"
	case "webp":
		return "image/webp"
	case "bmp":
		return "image/bmp"
	case "svg":
		return "image/svg+xml"
	case "ttf":
		return "font/ttf"
	case "otf":
		return "font/otf"
	case "woff":
		return "font/woff"
	case "woff2":
		return "font/woff2"
	case "json":
		return "application/json"
	case "js", "bundle":
		return "application/javascript"
	case "mp3":
		return "audio/mpeg"
	case "wav":
		return "audio/wav"
	case "mp4":
		return "video/mp4"
	case "html", "htm":
		return "text/html"
	case "txt":
		return "text/plain"
	}
	return "application/octet-stream"
}

// expoHash is the protocol's asset hash: the SHA-256 in unpadded base64url.
func expoHash(sha256Hex string) string {
	b, err := hex.DecodeString(sha256Hex)
	if err != nil || len(b) != sha256.Size {
		return ""
	}
	return base64URL(b)
}

func (b storedBundle) expoConfig() json.RawMessage {
	if b.expo == nil {
		return nil
	}
	return b.expo.config
}

// insertExpoAssets records an Expo update's files, inside the caller's transaction.
func insertExpoAssets(ctx context.Context, q *db.Queries, bundleID int64, e *expoExport) error {
	if e == nil {
		return nil
	}
	for i, a := range e.assets {
		if err := q.InsertRnExpoAsset(ctx, db.InsertRnExpoAssetParams{
			BundleID: bundleID, Position: int32(i), Launch: a.launch, AssetKey: a.key, Sha256: a.sha256,
			Size: a.size, ContentType: a.contentType, FileExtension: a.fileExtension,
		}); err != nil {
			return fault.Wrap(err, "insert asset")
		}
	}
	return nil
}
