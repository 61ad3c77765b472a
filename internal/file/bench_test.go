package file

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// photo12MP is a 4000×3000 JPEG with enough detail to cost what a camera photo costs to decode.
func photo12MP(b *testing.B) []byte {
	img := image.NewYCbCr(image.Rect(0, 0, 4000, 3000), image.YCbCrSubsampleRatio420)
	for y := range 3000 {
		for x := range 4000 {
			img.Y[y*img.YStride+x] = uint8((x*7 + y*13 + (x*y)%251) % 256)
		}
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = uint8(i%200), uint8((i/7)%200)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkThumbnail12MP measures a 200×200 thumbnail of a 12-megapixel JPEG: made (decode,
// scale, encode, store) and served from the kept copy.
func BenchmarkThumbnail12MP(b *testing.B) {
	f := newFixture(b, Config{MaxBytes: 100 << 20})
	ctx := context.Background()
	info, err := f.svc.Upload(ctx, f.imUser("alice"), "photo.jpg", bytes.NewReader(photo12MP(b)))
	if err != nil {
		b.Fatal(err)
	}
	read := func(b *testing.B) {
		th, err := f.svc.Thumbnail(ctx, info.Hash, 200, 200)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, th.Object)
		th.Object.Close()
	}
	b.Run("first", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			os.RemoveAll(filepath.Join(f.root, "thumb"))
			b.StartTimer()
			read(b)
		}
	})
	b.Run("cached", func(b *testing.B) {
		read(b)
		for b.Loop() {
			read(b)
		}
	})
}

// BenchmarkScale isolates the resampling of a decoded 12-megapixel image.
func BenchmarkScale(b *testing.B) {
	img := image.NewYCbCr(image.Rect(0, 0, 4000, 3000), image.YCbCrSubsampleRatio420)
	img.Y[0] = 1
	for b.Loop() {
		scale(img, 200, 200, 1, false)
	}
	_ = color.White
}
