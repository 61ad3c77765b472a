package blob

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeS3 speaks just enough of the S3 protocol, path-style, for the store: bucket HEAD and
// location, object PUT (plain or aws-chunked), HEAD and ranged GET. It checks no signature.
type fakeS3 struct {
	mu      sync.Mutex
	bucket  string
	objects map[string][]byte
	puts    int
}

func (f *fakeS3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if bucket != f.bucket {
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `<Error><Code>NoSuchBucket</Code></Error>`)
		return
	}
	if key == "" {
		if _, ok := r.URL.Query()["location"]; ok {
			io.WriteString(w, `<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">us-east-1</LocationConstraint>`)
		}
		return // HEAD bucket: it exists
	}
	f.mu.Lock()
	data, found := f.objects[key]
	f.mu.Unlock()
	switch r.Method {
	case http.MethodPut:
		body, err := readS3Body(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.objects[key] = body
		f.puts++
		f.mu.Unlock()
		w.Header().Set("ETag", `"etag"`)
	case http.MethodHead, http.MethodGet:
		if !found {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusNotFound)
			if r.Method == http.MethodGet {
				io.WriteString(w, `<Error><Code>NoSuchKey</Code><Message>no such key</Message></Error>`)
			}
			return
		}
		w.Header().Set("ETag", `"etag"`)
		http.ServeContent(w, r, "", time.Unix(1_800_000_000, 0), bytes.NewReader(data))
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
}

// readS3Body decodes aws-chunked bodies (what minio-go sends over plain HTTP).
func readS3Body(r *http.Request) ([]byte, error) {
	if !strings.Contains(r.Header.Get("Content-Encoding"), "aws-chunked") &&
		!strings.HasPrefix(r.Header.Get("X-Amz-Content-Sha256"), "STREAMING-") {
		return io.ReadAll(r.Body)
	}
	br := bufio.NewReader(r.Body)
	var out bytes.Buffer
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return nil, err
		}
		sizeHex, _, _ := strings.Cut(strings.TrimSpace(line), ";")
		n, err := strconv.ParseInt(sizeHex, 16, 64)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return out.Bytes(), nil
		}
		if _, err := io.CopyN(&out, br, n); err != nil {
			return nil, err
		}
		if _, err := br.Discard(2); err != nil { // CRLF
			return nil, err
		}
	}
}

func TestS3Store(t *testing.T) {
	fake := &fakeS3{bucket: "blobs", objects: map[string][]byte{}}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	s, err := NewS3(S3Config{Endpoint: strings.TrimPrefix(srv.URL, "http://"), Bucket: "blobs", AccessKey: "a", SecretKey: "b"}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Check(ctx); err != nil {
		t.Fatalf("Check: %v", err)
	}
	data := bytes.Repeat([]byte("0123456789abcdef"), 40000) // 640 KB
	st, err := s.Stage(ctx, bytes.NewReader(data), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	key := ContentKey(st.SHA256)
	if ok, err := s.Exists(ctx, key); ok || err != nil {
		t.Fatalf("Exists before commit = %v, %v", ok, err)
	}
	if err := st.Commit(ctx, key); err != nil {
		t.Fatal(err)
	}
	if got := fake.objects[key]; !bytes.Equal(got, data) {
		t.Fatalf("bucket holds %d bytes under %s, want the %d staged", len(got), key, len(data))
	}
	// Committing the same bytes again uploads nothing.
	st2, err := s.Stage(ctx, bytes.NewReader(data), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if err := st2.Commit(ctx, key); err != nil || fake.puts != 1 {
		t.Errorf("second commit: %v, %d uploads", err, fake.puts)
	}
	obj, err := s.Open(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	if obj.Size() != int64(len(data)) {
		t.Errorf("Size = %d", obj.Size())
	}
	if _, err := obj.Seek(100000, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	part := make([]byte, 16)
	if _, err := io.ReadFull(obj, part); err != nil || !bytes.Equal(part, data[100000:100016]) {
		t.Errorf("ranged read %q, %v", part, err)
	}
	if _, err := s.Open(ctx, ContentKey(strings.Repeat("0", 64))); !errors.Is(err, ErrNotFound) {
		t.Errorf("Open(missing) = %v, want ErrNotFound", err)
	}
	wrong, err := NewS3(S3Config{Endpoint: strings.TrimPrefix(srv.URL, "http://"), Bucket: "missing", AccessKey: "a", SecretKey: "b"}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := wrong.Check(ctx); err == nil {
		t.Error("Check passed for a bucket that does not exist")
	}
}
