package file_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/xuqmgroup/xuqm/internal/file"
)

func jpegOf(t *testing.T, w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 128, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// bombPNG claims 50000×50000 RGBA pixels (10 GB decoded) in a few dozen bytes.
func bombPNG() []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		b.WriteString(typ)
		b.Write(data)
		binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], 50000)
	binary.BigEndian.PutUint32(ihdr[4:], 50000)
	ihdr[8], ihdr[9] = 8, 6
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01})
	chunk("IEND", nil)
	return b.Bytes()
}

func TestThumbnails(t *testing.T) {
	w := newWorld(t, nil)
	photo := w.upload(t, w.alice, w.appKey, "photo.jpg", jpegOf(t, 640, 480)).JSON200.Data.Hash
	path := "/api/file/" + photo + "/thumbnail"

	resp, body := w.Fetch(t, "GET", path, nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" || resp.Header.Get("ETag") != `"`+photo+`-200x200"` {
		t.Fatalf("default thumbnail: %d %v", resp.StatusCode, resp.Header)
	}
	if cfg, err := jpeg.DecodeConfig(bytes.NewReader(body)); err != nil || cfg.Width != 200 || cfg.Height != 150 {
		t.Errorf("default thumbnail is %+v (%v), want 200x150", cfg, err)
	}
	resp, body = w.Fetch(t, "GET", path+"?w=64&h=1024", nil)
	if cfg, err := jpeg.DecodeConfig(bytes.NewReader(body)); err != nil || cfg.Width != 64 || cfg.Height != 48 || resp.Header.Get("ETag") != `"`+photo+`-64x1024"` {
		t.Errorf("64x1024 thumbnail is %+v (%v)", cfg, err)
	}
	if resp, _ := w.Fetch(t, "GET", path+"?w=64&h=1024", map[string]string{"If-None-Match": `"` + photo + `-64x1024"`}); resp.StatusCode != 304 {
		t.Errorf("If-None-Match: %d", resp.StatusCode)
	}

	// Many at once: each gets the same thumbnail, made once.
	var wg sync.WaitGroup
	bodies := make([][]byte, 8)
	for i := range bodies {
		wg.Go(func() { _, bodies[i] = w.Fetch(t, "GET", path+"?w=300&h=300", nil) })
	}
	wg.Wait()
	for i := range bodies {
		if !bytes.Equal(bodies[i], bodies[0]) || len(bodies[i]) == 0 {
			t.Errorf("concurrent request %d got another thumbnail", i)
		}
	}

	text := w.upload(t, w.alice, w.appKey, "a.txt", []byte("not an image")).JSON200.Data.Hash
	bomb := w.upload(t, w.alice, w.appKey, "bomb.png", bombPNG()).JSON200.Data.Hash
	cut := w.upload(t, w.alice, w.appKey, "cut.jpg", jpegOf(t, 300, 300)[:400]).JSON200.Data.Hash
	for _, tt := range []struct {
		path string
		want int
	}{
		{"/api/file/" + text + "/thumbnail", 415},
		{"/api/file/" + bomb + "/thumbnail", 400},
		{"/api/file/" + cut + "/thumbnail", 415},
		{path + "?w=2000", 400},
		{path + "?h=0", 400},
		{path + "?w=abc", 400},
	} {
		if resp, body := w.Fetch(t, "GET", tt.path, nil); resp.StatusCode != tt.want {
			t.Errorf("GET %s: %d %s, want %d", tt.path, resp.StatusCode, body, tt.want)
		}
	}
}

func TestConcurrentUploadsOverHTTP(t *testing.T) {
	w := newWorld(t, nil)
	data := jpegOf(t, 256, 256)
	var wg sync.WaitGroup
	codes := make([]int, 20)
	for i := range codes {
		wg.Go(func() { codes[i] = w.upload(t, w.alice, w.appKey, "same.jpg", data).StatusCode() })
	}
	wg.Wait()
	for i, c := range codes {
		if c != 200 {
			t.Errorf("upload %d: %d", i, c)
		}
	}
	if n := countFiles(t, w.DataDir+"/blobs/sha256"); n != 1 {
		t.Errorf("%d blobs, want 1", n)
	}
	if n := countFiles(t, w.DataDir+"/blobs/tmp"); n != 0 {
		t.Errorf("%d staging files left", n)
	}
}

// Twenty requested sizes are served from a fixed set of boxes: the stored thumbnails of a file
// are at most len(ThumbSides)² however many sizes are asked for, and each answer fits the box
// named in its ETag.
func TestThumbnailSizesSnapToAFixedSet(t *testing.T) {
	w := newWorld(t, nil)
	photo := w.upload(t, w.alice, w.appKey, "photo.jpg", jpegOf(t, 640, 480)).JSON200.Data.Hash
	for i := range 20 {
		side := 10 + i*37
		resp, _ := w.Fetch(t, "GET", fmt.Sprintf("/api/file/%s/thumbnail?w=%d&h=%d", photo, side, side+i), nil)
		bw, bh := file.ThumbBox(side, side+i)
		if resp.StatusCode != 200 || resp.Header.Get("ETag") != fmt.Sprintf(`"%s-%dx%d"`, photo, bw, bh) || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%dx%d: %d ETag %s", side, side+i, resp.StatusCode, resp.Header.Get("ETag"))
		}
	}
	stored := 0
	err := filepath.WalkDir(filepath.Join(w.DataDir, "blobs", "thumb"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(path, photo) {
			stored++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if max := len(file.ThumbSides) * len(file.ThumbSides); stored == 0 || stored > max {
		t.Errorf("%d thumbnails stored for 20 sizes; want 1..%d", stored, max)
	}
	t.Logf("20 requested sizes stored %d thumbnails", stored)
}
