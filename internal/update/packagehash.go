package update

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// maxUnzipped bounds the bytes a bundle's zip may unpack to while its package hash is computed.
const maxUnzipped = 4 << 30

// errNotZip: the bundle is a plain file, whose package hash is its SHA-256.
var errNotZip = errors.New("not a zip")

// PackageHash is CodePush's hash of a zipped release, computed as the CLI and the clients do
// (code-push-cli hash-utils, react-native-code-push's verifyFolderHash): each file of the zip
// (directories left out, and __MACOSX/…, .DS_Store and .codepushrelease) gives
// "<path>:<hex SHA-256 of its bytes>"; the strings sorted, written as a JSON array the way
// JavaScript's JSON.stringify writes it, and hashed with SHA-256.
func PackageHash(r io.ReaderAt, size int64) (string, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return "", errNotZip
	}
	entries := make([]string, 0, len(zr.File))
	var total int64
	for _, f := range zr.File {
		if f.FileInfo().IsDir() || strings.HasSuffix(f.Name, "/") || ignoredInPackage(f.Name) {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return "", fmt.Errorf("zip entry %s: %w", f.Name, err)
		}
		h := sha256.New()
		n, err := io.Copy(h, io.LimitReader(rc, maxUnzipped-total+1))
		rc.Close()
		if err != nil {
			return "", fmt.Errorf("zip entry %s: %w", f.Name, err)
		}
		if total += n; total > maxUnzipped {
			return "", fmt.Errorf("the zip unpacks to more than %d bytes", int64(maxUnzipped))
		}
		entries = append(entries, f.Name+":"+hex.EncodeToString(h.Sum(nil)))
	}
	slices.Sort(entries)
	sum := sha256.Sum256([]byte(jsonStringifyStrings(entries)))
	return hex.EncodeToString(sum[:]), nil
}

// ignoredInPackage are the paths CodePush leaves out of the package hash.
func ignoredInPackage(path string) bool {
	const macOSX, dsStore, release = "__MACOSX/", ".DS_Store", ".codepushrelease"
	return strings.HasPrefix(path, macOSX) ||
		path == dsStore || strings.HasSuffix(path, "/"+dsStore) ||
		path == release || strings.HasSuffix(path, "/"+release)
}

// jsonStringifyStrings writes a string array as JSON.stringify does: only '"', '\' and control
// characters escaped, everything else (slashes, <, >, &, U+2028) as it is, which Go's encoder
// would not do.
func jsonStringifyStrings(items []string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, s := range items {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		for _, r := range s {
			switch r {
			case '"':
				b.WriteString(`\"`)
			case '\\':
				b.WriteString(`\\`)
			case '\b':
				b.WriteString(`\b`)
			case '\f':
				b.WriteString(`\f`)
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			case '\t':
				b.WriteString(`\t`)
			default:
				if r < 0x20 {
					fmt.Fprintf(&b, `\u%04x`, r)
				} else {
					b.WriteRune(r) // an invalid byte as U+FFFD, as JavaScript decodes it
				}
			}
		}
		b.WriteByte('"')
	}
	b.WriteByte(']')
	return b.String()
}
