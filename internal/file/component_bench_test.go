package file_test

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

const benchFileSize = 64 << 20

// benchFile is a file of random bytes on disk, and how fast sha256sum reads and hashes it (the
// floor for any upload, which must hash every byte too).
func benchFile(b *testing.B) (string, float64) {
	path := filepath.Join(b.TempDir(), "payload.bin")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.CopyN(f, rand.Reader, benchFileSize); err != nil {
		b.Fatal(err)
	}
	f.Close()
	_ = exec.Command("sha256sum", path).Run() // warm the page cache as the uploads will find it
	start := time.Now()
	if out, err := exec.Command("sha256sum", path).CombinedOutput(); err != nil {
		b.Skipf("sha256sum: %v %s", err, out)
	}
	return path, benchFileSize / time.Since(start).Seconds() / 1e6
}

// BenchmarkUpload streams a 64 MiB multipart upload over loopback to the in-process server;
// each iteration changes the first 8 bytes so that every upload stores new content.
func BenchmarkUpload(b *testing.B) {
	path, shaMBps := benchFile(b)
	w := newWorld(b, nil)
	client := &http.Client{}
	b.SetBytes(benchFileSize)
	var n uint64
	for b.Loop() {
		n++
		pr, pw := io.Pipe()
		mw := multipart.NewWriter(pw)
		go func() {
			part, _ := mw.CreateFormFile("file", "payload.bin")
			f, _ := os.Open(path)
			defer f.Close()
			var head [8]byte
			binary.BigEndian.PutUint64(head[:], n)
			part.Write(head[:])
			f.Seek(8, io.SeekStart)
			io.Copy(part, f)
			mw.Close()
			pw.Close()
		}()
		req, _ := http.NewRequest("POST", w.URL+"/api/file/upload?appId="+w.appKey, pr)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Authorization", "Bearer "+w.alice)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("upload: %d", resp.StatusCode)
		}
	}
	b.ReportMetric(shaMBps, "sha256sum-MB/s")
}

// BenchmarkDownload reads a 64 MiB file back over loopback.
func BenchmarkDownload(b *testing.B) {
	path, shaMBps := benchFile(b)
	w := newWorld(b, nil)
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	up := w.upload(b, w.alice, w.appKey, "payload.bin", data)
	var env struct{ Data struct{ Hash string } }
	if err := json.Unmarshal(up.Body, &env); err != nil || env.Data.Hash == "" {
		b.Fatalf("upload: %s", up.Body)
	}
	client := &http.Client{}
	b.SetBytes(benchFileSize)
	for b.Loop() {
		resp, err := client.Get(w.URL + "/api/file/" + env.Data.Hash)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || n != benchFileSize {
			b.Fatalf("download: %d, %d bytes", resp.StatusCode, n)
		}
	}
	b.ReportMetric(shaMBps, "sha256sum-MB/s")
}
