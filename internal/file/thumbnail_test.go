package file

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"runtime"
	"testing"

	"github.com/xuqmgroup/xuqm/internal/fault"
)

var (
	red  = color.RGBA{255, 0, 0, 255}
	blue = color.RGBA{0, 0, 255, 255}
)

// halves is a w×h image whose left half is red and right half blue, so that a test can tell
// which way a thumbnail was turned.
func halves(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := red
			if x >= w/2 {
				c = blue
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

func encodePNG(t testing.TB, img image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodeJPEG(t testing.TB, img image.Image) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// withOrientation puts an EXIF segment with the Orientation tag o after the JPEG's SOI.
func withOrientation(jpg []byte, o uint16, order binary.ByteOrder) []byte {
	tiff := make([]byte, 8+2+12+4)
	if order == binary.LittleEndian {
		copy(tiff, "II")
	} else {
		copy(tiff, "MM")
	}
	order.PutUint16(tiff[2:], 42)
	order.PutUint32(tiff[4:], 8)
	order.PutUint16(tiff[8:], 1)       // one entry
	order.PutUint16(tiff[10:], 0x0112) // Orientation
	order.PutUint16(tiff[12:], 3)      // SHORT
	order.PutUint32(tiff[14:], 1)      // count
	order.PutUint16(tiff[18:], o)      // value
	payload := append([]byte("Exif\x00\x00"), tiff...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	seg = append(seg, payload...)
	out := append([]byte{}, jpg[:2]...)
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

// thumb uploads data and returns its thumbnail in the box w×h, decoded.
func (f *fixture) thumb(t *testing.T, data []byte, w, h int) (image.Image, string, error) {
	t.Helper()
	ctx := context.Background()
	info, err := f.svc.Upload(ctx, f.imUser("alice"), "img", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	th, err := f.svc.Thumbnail(ctx, info.Hash, w, h)
	if err != nil {
		return nil, "", err
	}
	defer th.Object.Close()
	img, format, err := image.Decode(th.Object)
	if err != nil {
		t.Fatalf("thumbnail does not decode: %v", err)
	}
	if "image/"+format != th.ContentType {
		t.Errorf("thumbnail is %s but says %s", format, th.ContentType)
	}
	return img, th.ContentType, nil
}

func near(c color.Color, want color.RGBA) bool {
	r, g, b, _ := c.RGBA()
	d := func(x uint32, y uint8) bool { return int(x>>8)-int(y) < 40 && int(y)-int(x>>8) < 40 }
	return d(r, want.R) && d(g, want.G) && d(b, want.B)
}

func TestThumbnailSizes(t *testing.T) {
	f := newFixture(t, Config{})
	src := encodePNG(t, halves(400, 200))
	tests := []struct{ w, h, wantW, wantH int }{
		{200, 200, 200, 100},
		{100, 300, 128, 64},    // the box is 128×512 (ThumbBox)
		{1000, 50, 128, 64},    // 1024×64
		{1024, 1024, 400, 200}, // never enlarged
		{1, 1, 64, 32},         // 64×64
	}
	for _, tt := range tests {
		img, typ, err := f.thumb(t, src, tt.w, tt.h)
		if err != nil {
			t.Fatalf("%dx%d: %v", tt.w, tt.h, err)
		}
		if b := img.Bounds(); b.Dx() != tt.wantW || b.Dy() != tt.wantH || typ != "image/png" {
			t.Errorf("box %dx%d: got %dx%d %s, want %dx%d image/png", tt.w, tt.h, b.Dx(), b.Dy(), typ, tt.wantW, tt.wantH)
		}
	}
}

func TestThumbnailFormats(t *testing.T) {
	f := newFixture(t, Config{})
	var gifBuf bytes.Buffer
	if err := gif.Encode(&gifBuf, halves(64, 32), nil); err != nil {
		t.Fatal(err)
	}
	webp, err := os.ReadFile("testdata/halves.webp") // 64×32, made with cwebp -lossless
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
		typ  string
	}{
		{"jpeg", encodeJPEG(t, halves(64, 32)), "image/jpeg"},
		{"png", encodePNG(t, halves(64, 32)), "image/png"},
		{"gif", gifBuf.Bytes(), "image/png"},
		{"webp", webp, "image/jpeg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, typ, err := f.thumb(t, tt.data, 32, 32) // served in the 64×64 box
			if err != nil {
				t.Fatal(err)
			}
			b := img.Bounds()
			if b.Dx() != 64 || b.Dy() != 32 || typ != tt.typ {
				t.Errorf("got %dx%d %s, want 64x32 %s", b.Dx(), b.Dy(), typ, tt.typ)
			}
			if !near(img.At(2, 16), red) || !near(img.At(61, 16), blue) {
				t.Errorf("colours: left %v right %v", img.At(2, 16), img.At(61, 16))
			}
		})
	}
}

func TestThumbnailAppliesEXIFOrientation(t *testing.T) {
	f := newFixture(t, Config{})
	base := encodeJPEG(t, halves(80, 40)) // stored 80×40: red left, blue right
	type corner struct {
		x, y int
		c    color.RGBA
	}
	tests := []struct {
		o      uint16
		order  binary.ByteOrder
		w, h   int
		checks []corner
	}{
		{1, binary.BigEndian, 80, 40, []corner{{2, 20, red}, {77, 20, blue}}},
		{3, binary.LittleEndian, 80, 40, []corner{{2, 20, blue}, {77, 20, red}}},
		// 6: turn 90° clockwise to show: the left (red) side comes on top.
		{6, binary.BigEndian, 40, 80, []corner{{20, 2, red}, {20, 77, blue}}},
		// 8: turn 90° counter-clockwise: the right (blue) side comes on top.
		{8, binary.LittleEndian, 40, 80, []corner{{20, 2, blue}, {20, 77, red}}},
		{5, binary.BigEndian, 40, 80, []corner{{20, 2, red}, {20, 77, blue}}},
		{7, binary.BigEndian, 40, 80, []corner{{20, 2, blue}, {20, 77, red}}},
		{2, binary.BigEndian, 80, 40, []corner{{2, 20, blue}, {77, 20, red}}},
	}
	for _, tt := range tests {
		data := withOrientation(base, tt.o, tt.order)
		if got := jpegOrientation(bytes.NewReader(data)); got != int(tt.o) {
			t.Fatalf("jpegOrientation = %d, want %d", got, tt.o)
		}
		img, _, err := f.thumb(t, data, 200, 200)
		if err != nil {
			t.Fatalf("orientation %d: %v", tt.o, err)
		}
		if b := img.Bounds(); b.Dx() != tt.w || b.Dy() != tt.h {
			t.Errorf("orientation %d: %dx%d, want %dx%d", tt.o, b.Dx(), b.Dy(), tt.w, tt.h)
		}
		for _, c := range tt.checks {
			if !near(img.At(c.x, c.y), c.c) {
				t.Errorf("orientation %d: pixel (%d,%d) = %v, want %v", tt.o, c.x, c.y, img.At(c.x, c.y), c.c)
			}
		}
	}
	// The box is fitted to the image as shown: 80×40 turned is 40×80, so a 64×64 box gives 32×64.
	img, _, err := f.thumb(t, withOrientation(base, 6, binary.BigEndian), 64, 64)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 32 || b.Dy() != 64 {
		t.Errorf("turned image in 64x64: %dx%d, want 32x64", b.Dx(), b.Dy())
	}
}

func TestJPEGOrientationOfDamagedData(t *testing.T) {
	jpg := encodeJPEG(t, halves(8, 8))
	tests := map[string][]byte{
		"no EXIF":        jpg,
		"not a JPEG":     []byte("hello"),
		"empty":          nil,
		"cut EXIF":       withOrientation(jpg, 6, binary.BigEndian)[:20],
		"bad byte order": bytes.Replace(withOrientation(jpg, 6, binary.BigEndian), []byte("MM\x00*"), []byte("XX\x00*"), 1),
		"out of range":   withOrientation(jpg, 9, binary.BigEndian),
	}
	for name, data := range tests {
		if got := jpegOrientation(bytes.NewReader(data)); got != 1 {
			t.Errorf("%s: orientation %d, want 1", name, got)
		}
	}
}

func FuzzJPEGOrientation(f *testing.F) {
	f.Add(withOrientation([]byte{0xFF, 0xD8, 0xFF, 0xD9}, 6, binary.BigEndian))
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x02})
	f.Fuzz(func(t *testing.T, data []byte) {
		if o := jpegOrientation(bytes.NewReader(data)); o < 1 || o > 8 {
			t.Errorf("orientation %d", o)
		}
	})
}

func TestThumbnailIsMadeOnceAndKept(t *testing.T) {
	f := newFixture(t, Config{})
	ctx := context.Background()
	info, err := f.svc.Upload(ctx, f.imUser("alice"), "a.png", bytes.NewReader(encodePNG(t, halves(300, 300))))
	if err != nil {
		t.Fatal(err)
	}
	read := func() []byte {
		th, err := f.svc.Thumbnail(ctx, info.Hash, 50, 50)
		if err != nil {
			t.Fatal(err)
		}
		defer th.Object.Close()
		b, _ := io.ReadAll(th.Object)
		return b
	}
	first := read()
	if n := len(f.objects(t, "thumb")); n != 1 {
		t.Fatalf("%d thumbnails kept, want 1", n)
	}
	// With the source gone, only the kept thumbnail can answer.
	for _, p := range f.objects(t, "sha256") {
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
	}
	if second := read(); !bytes.Equal(first, second) {
		t.Error("the second request did not get the kept thumbnail")
	}
}

// pngHeader is a PNG with an IHDR claiming w×h RGBA pixels and a tiny IDAT: a decompression
// bomb's shape, a few dozen bytes that would decode to w*h*4 bytes.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(data)))
		b.Write(n[:])
		b.WriteString(typ)
		b.Write(data)
		crc := crc32.NewIEEE()
		crc.Write([]byte(typ))
		crc.Write(data)
		binary.BigEndian.PutUint32(n[:], crc.Sum32())
		b.Write(n[:])
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01})
	chunk("IEND", nil)
	return b.Bytes()
}

func TestThumbnailRefusesDecompressionBomb(t *testing.T) {
	f := newFixture(t, Config{})
	ctx := context.Background()
	info, err := f.svc.Upload(ctx, f.imUser("alice"), "bomb.png", bytes.NewReader(pngHeader(50000, 50000)))
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err = f.svc.Thumbnail(ctx, info.Hash, 200, 200)
	runtime.ReadMemStats(&after)
	if fe := fault.As(err); fe.Kind != fault.Invalid {
		t.Fatalf("err = %v, want 400 for too many pixels", err)
	}
	// Decoding would need 10 GB; refusing from the header takes almost nothing.
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 4<<20 {
		t.Errorf("refusing the bomb allocated %d bytes", grown)
	}
	if n := len(f.objects(t, "thumb")); n != 0 {
		t.Errorf("%d thumbnails kept for a refused image", n)
	}
}

func TestThumbnailOfBadImages(t *testing.T) {
	f := newFixture(t, Config{ThumbMaxPixels: 1000})
	png := encodePNG(t, halves(20, 20))
	jpg := encodeJPEG(t, halves(20, 20))
	corrupt := bytes.Clone(jpg)
	for i := 200; i < len(corrupt)-2; i++ {
		corrupt[i] = 0xFF
	}
	tests := []struct {
		name string
		data []byte
		want fault.Kind
	}{
		{"text", []byte("plain text, not an image"), fault.Unsupported},
		{"pdf", []byte("%PDF-1.4 not an image"), fault.Unsupported},
		{"truncated png", png[:60], fault.Unsupported},
		{"truncated jpeg", jpg[:len(jpg)/2], fault.Unsupported},
		{"corrupt jpeg", corrupt, fault.Unsupported},
		{"png header only", png[:33], fault.Unsupported},
		{"over the pixel limit", encodePNG(t, halves(40, 30)), fault.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := f.thumb(t, tt.data, 10, 10)
			if !fault.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := f.svc.Thumbnail(context.Background(), sum(png), 0, 10); !fault.Is(err, fault.Invalid) {
		t.Errorf("w=0: %v", err)
	}
}

func TestThumbnailOfLargeImages(t *testing.T) {
	f := newFixture(t, Config{})
	// Large enough that the source is box-averaged before resampling.
	for name, data := range map[string][]byte{
		"jpeg": encodeJPEG(t, halves(1600, 800)),
		"png":  encodePNG(t, halves(1600, 800)),
	} {
		img, _, err := f.thumb(t, data, 200, 200)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if b := img.Bounds(); b.Dx() != 200 || b.Dy() != 100 {
			t.Errorf("%s: %dx%d, want 200x100", name, b.Dx(), b.Dy())
		}
		if !near(img.At(5, 50), red) || !near(img.At(194, 50), blue) || !near(img.At(90, 5), red) || !near(img.At(110, 95), blue) {
			t.Errorf("%s: colours %v %v", name, img.At(5, 50), img.At(194, 50))
		}
	}

	// Transparent pixels lend no colour to their neighbours.
	clear := image.NewNRGBA(image.Rect(0, 0, 1000, 500))
	for y := range 500 {
		for x := range 1000 {
			if x >= 500 {
				clear.SetNRGBA(x, y, color.NRGBA{0, 0, 255, 255})
			} else {
				clear.SetNRGBA(x, y, color.NRGBA{255, 0, 0, 0}) // red, but fully transparent
			}
		}
	}
	img, _, err := f.thumb(t, encodePNG(t, clear), 100, 100)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, a := img.At(10, 25).RGBA(); a != 0 {
		t.Errorf("transparent side has alpha %d", a)
	}
	if !near(img.At(90, 25), blue) {
		t.Errorf("opaque side is %v", img.At(90, 25))
	}
	if r, _, _, a := img.At(49, 25).RGBA(); a > 0 && r*255/a > 40 {
		t.Errorf("the edge picked up the transparent red: %v", img.At(49, 25))
	}
}

func TestShrink(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 5, 3))
	for i := range src.Pix {
		src.Pix[i] = uint8(i)
	}
	got := shrink(src, 2)
	if got.Bounds().Dx() != 3 || got.Bounds().Dy() != 2 {
		t.Fatalf("bounds %v, want 3x2 (edge blocks included)", got.Bounds())
	}
	// The bottom-right block is the single pixel (4,2).
	if got.RGBAAt(2, 1) != src.RGBAAt(4, 2) {
		t.Errorf("corner %v, want %v", got.RGBAAt(2, 1), src.RGBAAt(4, 2))
	}
	// The first block averages (0,0),(1,0),(0,1),(1,1).
	want := (int(src.Pix[0]) + int(src.Pix[4]) + int(src.Pix[20]) + int(src.Pix[24])) / 4
	if int(got.Pix[0]) != want {
		t.Errorf("first block red %d, want %d", got.Pix[0], want)
	}
	if shrink(image.NewGray(image.Rect(0, 0, 4, 4)), 2) != nil {
		t.Error("Gray is not shrunk here; the resampler handles it")
	}
	if k := shrinkFactor(4000, 3000, 200, 150); k != 10 {
		t.Errorf("shrinkFactor = %d, want 10", k)
	}
}
