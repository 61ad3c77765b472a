// Package blob keeps the platform's immutable bytes (uploaded files, thumbnails, APKs, RN
// bundles) in one store: a directory on local disk by default, S3-compatible storage when
// several instances share their blobs (XUQM_S3_ENDPOINT).
//
// Writes are two-phase. Stage streams the bytes to a temporary file while hashing them and
// stops at a size limit, so that nothing is ever held whole in memory and nothing over the
// limit stays on disk; Commit then moves the staged bytes under their key atomically, unless
// an object is there already: keys name content, so an object never changes once written.
package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// Store is a blob store; Dir and S3 implement it.
type Store interface {
	// Stage streams r to a temporary file, hashing it, and fails with a *TooLargeError when r
	// holds more than limit bytes. The caller must Commit or Discard the result.
	Stage(ctx context.Context, r io.Reader, limit int64) (*Staged, error)
	// Open returns the object under key, or ErrNotFound.
	Open(ctx context.Context, key string) (Object, error)
	// Exists tells whether an object is under key.
	Exists(ctx context.Context, key string) (bool, error)
}

// Object is a stored blob, open for reading with random access (ranged downloads).
type Object interface {
	io.ReadSeekCloser
	Size() int64
}

// ErrNotFound is returned by Open for a key with no object.
var ErrNotFound = errors.New("blob: no object under this key")

// TooLargeError is returned by Stage when the bytes exceed the limit; nothing is kept.
type TooLargeError struct{ Limit int64 }

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("blob: more than %d bytes", e.Limit)
}

// SourceError is a failure to read the bytes being staged (a broken upload), as opposed to a
// failure of the store itself.
type SourceError struct{ Err error }

func (e *SourceError) Error() string { return "blob: read the source: " + e.Err.Error() }
func (e *SourceError) Unwrap() error { return e.Err }

var (
	hashPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)
	keyPattern  = regexp.MustCompile(`^[a-z0-9]+(/[A-Za-z0-9_-][A-Za-z0-9._-]*)+$`)
)

// ValidHash tells whether s is a SHA-256 in lower-case hex.
func ValidHash(s string) bool { return hashPattern.MatchString(s) }

// ContentKey is the key of the bytes whose SHA-256 is hash.
func ContentKey(hash string) string { return DerivedKey("sha256", hash, "") }

// DerivedKey is the key of an object made from the content hash (a thumbnail, say): under the
// folder space, fanned out by the hash's first two bytes so that no directory grows huge, and
// named hash+suffix.
func DerivedKey(space, hash, suffix string) string {
	if len(hash) < 4 {
		return space + "/" + hash + suffix
	}
	return space + "/" + hash[0:2] + "/" + hash[2:4] + "/" + hash + suffix
}

// checkKey refuses keys that could escape the store's root or name nothing.
func checkKey(key string) error {
	if !keyPattern.MatchString(key) || strings.Contains(key, "..") {
		return fmt.Errorf("blob: invalid key %q", key)
	}
	return nil
}

// SizeSuffix is "-<w>x<h>", for keys of objects made at a size.
func SizeSuffix(w, h int) string { return "-" + strconv.Itoa(w) + "x" + strconv.Itoa(h) }
