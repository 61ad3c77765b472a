package update

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// diffManifestName is the file of a CodePush diff package that lists what the client deletes
// from its copy of the base (react-native-code-push's DIFF_MANIFEST_FILE_NAME): its presence
// is what makes the client apply the zip as a patch rather than as a whole package.
const diffManifestName = "hotcodepush.json"

// diffManifest is hotcodepush.json as the clients read it (CodePushUpdateUtils
// copyNecessaryFilesFromCurrentPackage: the "deletedFiles" array of paths).
type diffManifest struct {
	DeletedFiles []string `json:"deletedFiles"`
}

// codePushPatch writes a CodePush diff package that turns the base zip's files into the
// target's, the way the clients apply one: they copy the package they run, delete the files
// hotcodepush.json names, and unzip the patch over the result. So the patch holds the files
// of the target that the base lacks or holds with other bytes, copied as they are compressed
// in the target, and the manifest names the base's files that the target does not have.
// It reports how many files changed and were deleted.
func codePushPatch(base, target *zip.Reader, w io.Writer) (changed, deleted int, err error) {
	baseFiles, err := zipFileHashes(base)
	if err != nil {
		return 0, 0, fmt.Errorf("base: %w", err)
	}
	targetFiles, err := zipFileHashes(target)
	if err != nil {
		return 0, 0, fmt.Errorf("target: %w", err)
	}
	zw := zip.NewWriter(w)
	written := map[string]bool{}
	for _, f := range target.File {
		name := f.Name
		if isZipDir(f) || written[name] || name == diffManifestName {
			continue
		}
		written[name] = true
		if h, ok := baseFiles[name]; ok && h == targetFiles[name] {
			continue
		}
		if err := zw.Copy(f); err != nil {
			return 0, 0, fmt.Errorf("copy %s: %w", name, err)
		}
		changed++
	}
	var m diffManifest
	m.DeletedFiles = []string{}
	for name := range baseFiles {
		if _, ok := targetFiles[name]; !ok {
			m.DeletedFiles = append(m.DeletedFiles, name)
		}
	}
	slices.Sort(m.DeletedFiles)
	mw, err := zw.Create(diffManifestName)
	if err != nil {
		return 0, 0, err
	}
	if err := json.NewEncoder(mw).Encode(m); err != nil {
		return 0, 0, err
	}
	return changed, len(m.DeletedFiles), zw.Close()
}

func isZipDir(f *zip.File) bool { return f.FileInfo().IsDir() || strings.HasSuffix(f.Name, "/") }

// zipFileHashes is the SHA-256 of each file of a zip (directories left out; of a name given
// twice, the first, as the patch copies the first).
func zipFileHashes(zr *zip.Reader) (map[string]string, error) {
	out := make(map[string]string, len(zr.File))
	var total int64
	for _, f := range zr.File {
		if isZipDir(f) {
			continue
		}
		if _, ok := out[f.Name]; ok {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("zip entry %s: %w", f.Name, err)
		}
		h := sha256.New()
		n, err := io.Copy(h, io.LimitReader(rc, maxUnzipped-total+1))
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("zip entry %s: %w", f.Name, err)
		}
		if total += n; total > maxUnzipped {
			return nil, fmt.Errorf("the zip unpacks to more than %d bytes", int64(maxUnzipped))
		}
		out[f.Name] = hex.EncodeToString(h.Sum(nil))
	}
	return out, nil
}
