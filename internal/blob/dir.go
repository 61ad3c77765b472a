package blob

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Dir is a blob store in a local directory: each object is a file at its key's path, and the
// staging files live in the same file system so that committing one is a hard link, atomic and
// never overwriting.
type Dir struct {
	root string
	*stager
}

var _ Store = (*Dir)(nil)

// NewDir opens (creating it when needed) the store rooted at root.
func NewDir(root string) (*Dir, error) {
	d := &Dir{root: root}
	st, err := newStager(filepath.Join(root, "tmp"), d.place)
	if err != nil {
		return nil, err
	}
	d.stager = st
	return d, nil
}

func (d *Dir) path(key string) string { return filepath.Join(d.root, filepath.FromSlash(key)) }

func (d *Dir) place(_ context.Context, key string, s *Staged) error {
	dst := d.path(key)
	if _, err := os.Stat(dst); err == nil {
		return nil
	}
	// The bytes must be on disk before their name is, or a crash could leave a short file
	// under a content key, wrong for good.
	if err := s.file.Sync(); err != nil {
		return fmt.Errorf("blob: sync the staging file: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("blob: create the object's directory: %w", err)
	}
	err := os.Link(s.file.Name(), dst)
	if err == nil || errors.Is(err, fs.ErrExist) { // ErrExist: a concurrent commit of the same bytes won
		return nil
	}
	// A file system without hard links: a rename is atomic too; it may replace an object
	// committed meanwhile, which holds the same bytes.
	if rerr := os.Rename(s.file.Name(), dst); rerr != nil {
		return fmt.Errorf("blob: move the staging file into place: %w", errors.Join(err, rerr))
	}
	return nil
}

// Open opens the object under key.
func (d *Dir) Open(_ context.Context, key string) (Object, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	f, err := os.Open(d.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("blob: open %s: %w", key, err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("blob: stat %s: %w", key, err)
	}
	return &fileObject{File: f, size: info.Size()}, nil
}

// Exists tells whether an object is under key.
func (d *Dir) Exists(_ context.Context, key string) (bool, error) {
	if err := checkKey(key); err != nil {
		return false, err
	}
	_, err := os.Stat(d.path(key))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	}
	return false, fmt.Errorf("blob: stat %s: %w", key, err)
}

type fileObject struct {
	*os.File
	size int64
}

func (o *fileObject) Size() int64 { return o.size }
