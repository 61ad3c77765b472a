package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"os"

	"github.com/xuqmgroup/xuqm/internal/fault"
)

// memoryBodyLimit is how much of a signed body is hashed in memory; a larger one (an upload)
// is spooled to a temporary file while it is hashed, then replayed to the handler.
const memoryBodyLimit = 1 << 20

// spooledBody hashes a request body for its signature and puts it back for the handler.
type spooledBody struct {
	r    *http.Request
	file *os.File
}

func (b *spooledBody) hash() (string, error) {
	h := sha256.New()
	if b.r.Body == nil || b.r.Body == http.NoBody {
		return hex.EncodeToString(h.Sum(nil)), nil
	}
	head, err := io.ReadAll(io.LimitReader(b.r.Body, memoryBodyLimit+1))
	if err != nil {
		return "", bodyReadFault(err)
	}
	h.Write(head)
	if len(head) <= memoryBodyLimit {
		b.r.Body = io.NopCloser(bytes.NewReader(head))
		return hex.EncodeToString(h.Sum(nil)), nil
	}
	f, err := os.CreateTemp("", "xuqm-signed-body-*")
	if err != nil {
		return "", fault.Wrap(err, "spool signed body")
	}
	b.file = f
	if _, err := f.Write(head); err != nil {
		return "", fault.Wrap(err, "spool signed body")
	}
	if _, err := io.Copy(io.MultiWriter(f, h), b.r.Body); err != nil {
		return "", bodyReadFault(err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", fault.Wrap(err, "spool signed body")
	}
	b.r.Body = io.NopCloser(f)
	return hex.EncodeToString(h.Sum(nil)), nil
}

func (b *spooledBody) cleanup() {
	if b.file != nil {
		b.file.Close()
		os.Remove(b.file.Name())
	}
}

func bodyReadFault(err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return fault.TooLargef("the request body is larger than %d bytes", tooLarge.Limit)
	}
	return fault.Invalidf("the request body could not be read: %v", err)
}
