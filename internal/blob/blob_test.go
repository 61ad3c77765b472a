package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestKeys(t *testing.T) {
	h := strings.Repeat("ab", 32)
	if got, want := ContentKey(h), "sha256/ab/ab/"+h; got != want {
		t.Errorf("ContentKey = %q, want %q", got, want)
	}
	if got, want := DerivedKey("thumb", h, SizeSuffix(200, 100)+".jpg"), "thumb/ab/ab/"+h+"-200x100.jpg"; got != want {
		t.Errorf("DerivedKey = %q, want %q", got, want)
	}
	for _, key := range []string{ContentKey(h), "thumb/ab/cd/x-1x1.png", "a/b"} {
		if err := checkKey(key); err != nil {
			t.Errorf("checkKey(%q) = %v", key, err)
		}
	}
	for _, key := range []string{"", "/abs/path", "sha256/../../etc/passwd", "sha256/..", "a//b", "a/b/", "UPPER/x", "a/.hidden", "a\\b", "noslash"} {
		if err := checkKey(key); err == nil {
			t.Errorf("checkKey(%q) accepted", key)
		}
	}
	if ValidHash(strings.ToUpper(h)) || ValidHash(h[:63]) || !ValidHash(h) {
		t.Error("ValidHash")
	}
}

func TestS3ObjectNames(t *testing.T) {
	s, err := NewS3(S3Config{Endpoint: "127.0.0.1:9", Bucket: "blobs", AccessKey: "a", SecretKey: "b"}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	h := strings.Repeat("0f", 32)
	if got := objectName(ContentKey(h)); got != "sha256/0f/0f/"+h {
		t.Errorf("objectName = %q", got)
	}
	// Keys are checked before any request is made.
	if _, err := s.Open(context.Background(), "../x"); err == nil || !strings.Contains(err.Error(), "invalid key") {
		t.Errorf("Open(../x) = %v", err)
	}
	if _, err := s.Exists(context.Background(), "/x"); err == nil || !strings.Contains(err.Error(), "invalid key") {
		t.Errorf("Exists(/x) = %v", err)
	}
}

func stage(t *testing.T, s Store, data []byte, limit int64) *Staged {
	t.Helper()
	st, err := s.Stage(context.Background(), bytes.NewReader(data), limit)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func entries(t *testing.T, dir string) int {
	t.Helper()
	e, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return len(e)
}

func TestDirStageAndCommit(t *testing.T) {
	root := t.TempDir()
	d, err := NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	data := []byte("GIF89a and more")
	st := stage(t, d, data, 100)
	want := sha256.Sum256(data)
	if st.SHA256 != hex.EncodeToString(want[:]) || st.Size != int64(len(data)) || st.ContentType != "image/gif" {
		t.Errorf("staged %+v", st)
	}
	key := ContentKey(st.SHA256)
	if ok, _ := d.Exists(ctx, key); ok {
		t.Fatal("exists before commit")
	}
	if err := st.Commit(ctx, key); err != nil {
		t.Fatal(err)
	}
	if ok, err := d.Exists(ctx, key); !ok || err != nil {
		t.Fatalf("Exists after commit = %v, %v", ok, err)
	}
	obj, err := d.Open(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(obj)
	obj.Close()
	if !bytes.Equal(got, data) || obj.Size() != int64(len(data)) {
		t.Errorf("read back %q (size %d)", got, obj.Size())
	}
	if _, err := os.Stat(filepath.Join(root, "sha256", st.SHA256[:2], st.SHA256[2:4], st.SHA256)); err != nil {
		t.Errorf("not fanned out by hash prefix: %v", err)
	}
	if n := entries(t, filepath.Join(root, "tmp")); n != 0 {
		t.Errorf("%d staging files left", n)
	}
	if _, err := d.Open(ctx, ContentKey(strings.Repeat("0", 64))); !errors.Is(err, ErrNotFound) {
		t.Errorf("Open(missing) = %v, want ErrNotFound", err)
	}
	st.Discard() // after Commit: harmless
}

func TestDirCommitNeverOverwrites(t *testing.T) {
	d, err := NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := stage(t, d, []byte("first"), 100).Commit(ctx, "x/key"); err != nil {
		t.Fatal(err)
	}
	if err := stage(t, d, []byte("second"), 100).Commit(ctx, "x/key"); err != nil {
		t.Fatal(err)
	}
	obj, err := d.Open(ctx, "x/key")
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	if got, _ := io.ReadAll(obj); string(got) != "first" {
		t.Errorf("object = %q, want the first commit's", got)
	}
}

func TestDirStageLimit(t *testing.T) {
	root := t.TempDir()
	d, err := NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.Stage(context.Background(), bytes.NewReader(make([]byte, 1<<20+1)), 1<<20)
	var tooLarge *TooLargeError
	if !errors.As(err, &tooLarge) || tooLarge.Limit != 1<<20 {
		t.Fatalf("err = %v, want TooLargeError", err)
	}
	if n := entries(t, filepath.Join(root, "tmp")); n != 0 {
		t.Errorf("%d staging files left", n)
	}
	st := stage(t, d, make([]byte, 1<<20), 1<<20)
	st.Discard()
	st.Discard()
	if n := entries(t, filepath.Join(root, "tmp")); n != 0 {
		t.Errorf("%d staging files left after Discard", n)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestDirStageSourceError(t *testing.T) {
	d, err := NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.Stage(context.Background(), io.MultiReader(strings.NewReader("abc"), failingReader{}), 100)
	var src *SourceError
	if !errors.As(err, &src) {
		t.Errorf("err = %v, want SourceError", err)
	}
}

func TestDirConcurrentCommitsOfTheSameBytes(t *testing.T) {
	root := t.TempDir()
	d, err := NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("same bytes "), 10000)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			st, err := d.Stage(context.Background(), bytes.NewReader(data), 1<<20)
			if err == nil {
				err = st.Commit(context.Background(), ContentKey(st.SHA256))
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := entries(t, filepath.Join(root, "tmp")); n != 0 {
		t.Errorf("%d staging files left", n)
	}
}

func TestNewDirRemovesStaleStagingFiles(t *testing.T) {
	root := t.TempDir()
	tmp := filepath.Join(root, "tmp")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	stale, fresh := filepath.Join(tmp, "stage-old"), filepath.Join(tmp, "stage-new")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	if _, err := NewDir(root); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Error("a staging file left by a crash two hours ago is still there")
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Error("a fresh staging file (another process's upload) was removed")
	}
}
