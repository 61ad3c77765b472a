package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// sniffLen is how many leading bytes content sniffing looks at (WHATWG MIME sniffing).
const sniffLen = 512

// Staged is bytes written to a temporary file and hashed, waiting to be committed under a key.
type Staged struct {
	SHA256      string // lower-case hex
	Size        int64
	ContentType string // sniffed from the first bytes, as http.DetectContentType

	file  *os.File
	place func(ctx context.Context, key string, s *Staged) error
	once  sync.Once
}

// Commit stores the staged bytes under key unless an object is there already (the key names
// the content, so the object there holds the same bytes), then discards the temporary file.
func (s *Staged) Commit(ctx context.Context, key string) error {
	defer s.Discard()
	if err := checkKey(key); err != nil {
		return err
	}
	if s.file == nil {
		return errors.New("blob: staged bytes already discarded")
	}
	return s.place(ctx, key, s)
}

// Discard removes the temporary file; it is safe to call more than once and after Commit.
func (s *Staged) Discard() {
	s.once.Do(func() {
		if s.file != nil {
			s.file.Close()
			os.Remove(s.file.Name())
		}
	})
}

// Reader reads the staged bytes from the start.
func (s *Staged) Reader() (io.ReadSeeker, error) {
	if _, err := s.file.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return s.file, nil
}

// stager writes staged files into one directory.
type stager struct {
	dir   string
	place func(ctx context.Context, key string, s *Staged) error
}

func newStager(dir string, place func(ctx context.Context, key string, s *Staged) error) (*stager, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("blob: create the staging directory: %w", err)
	}
	removeStale(dir, time.Hour)
	return &stager{dir: dir, place: place}, nil
}

// removeStale deletes staging files that a crashed process left behind.
func removeStale(dir string, age time.Duration) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	cutoff := time.Now().Add(-age)
	for _, e := range entries {
		if info, err := e.Info(); err == nil && info.ModTime().Before(cutoff) {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

func (st *stager) Stage(ctx context.Context, r io.Reader, limit int64) (*Staged, error) {
	f, err := os.CreateTemp(st.dir, "stage-*")
	if err != nil {
		return nil, fmt.Errorf("blob: create a staging file: %w", err)
	}
	s := &Staged{file: f, place: st.place}
	if err := s.fill(ctx, r, limit); err != nil {
		s.Discard()
		return nil, err
	}
	return s, nil
}

func (s *Staged) fill(ctx context.Context, r io.Reader, limit int64) error {
	h := sha256.New()
	head := make([]byte, 0, sniffLen)
	buf := make([]byte, 256<<10)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, rerr := r.Read(buf)
		if n > 0 {
			if s.Size+int64(n) > limit {
				return &TooLargeError{Limit: limit}
			}
			chunk := buf[:n]
			if len(head) < sniffLen {
				head = append(head, chunk[:min(n, sniffLen-len(head))]...)
			}
			h.Write(chunk)
			if _, err := s.file.Write(chunk); err != nil {
				return fmt.Errorf("blob: write the staging file: %w", err)
			}
			s.Size += int64(n)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return &SourceError{Err: rerr}
		}
	}
	s.SHA256 = hex.EncodeToString(h.Sum(nil))
	s.ContentType = http.DetectContentType(head)
	return nil
}
