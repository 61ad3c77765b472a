package file

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"time"

	"golang.org/x/image/draw"
	"golang.org/x/image/webp"

	"github.com/xuqmgroup/xuqm/internal/blob"
	"github.com/xuqmgroup/xuqm/internal/fault"
)

// Thumbnail box limits (the contract's w and h).
const (
	DefaultThumbSide = 200
	MaxThumbSide     = 1024
)

// ThumbSides are the box sides thumbnails are made at: a requested side is rounded up to the
// next of them, so a file has at most len(ThumbSides)² thumbnails however many sizes are
// asked for, each made once and kept.
var ThumbSides = []int{64, 128, 200, 256, 512, MaxThumbSide}

// ThumbBox is the box a request for w×h is served: each side rounded up to ThumbSides.
func ThumbBox(w, h int) (int, int) { return snapSide(w), snapSide(h) }

func snapSide(n int) int {
	for _, s := range ThumbSides {
		if n <= s {
			return s
		}
	}
	return MaxThumbSide
}

// thumbTimeout bounds the making of one thumbnail, whose maker outlives the request that
// started it (others may be waiting for the same one).
const thumbTimeout = time.Minute

// sourceFormats are the image types a thumbnail is made from, with their decoders.
var sourceFormats = map[string]struct {
	decode       func(io.Reader) (image.Image, error)
	decodeConfig func(io.Reader) (image.Config, error)
	outPNG       bool // PNG and GIF may be transparent: their thumbnails are PNG
}{
	"image/jpeg": {jpeg.Decode, jpeg.DecodeConfig, false},
	"image/png":  {png.Decode, png.DecodeConfig, true},
	"image/gif":  {gif.Decode, gif.DecodeConfig, true}, // first frame
	"image/webp": {webp.Decode, webp.DecodeConfig, false},
}

// Thumbnail is a scaled copy of an image file.
type Thumbnail struct {
	Object      blob.Object
	ContentType string // image/jpeg or image/png
	W, H        int    // the box served (ThumbBox of the request)
}

// Thumbnail returns the image whose SHA-256 is hash scaled to fit inside the box ThumbBox(w, h), aspect kept,
// never enlarged, EXIF orientation applied, metadata dropped. Each size is made once and kept
// in the blob store. The caller closes the Object.
func (s *Service) Thumbnail(ctx context.Context, hash string, w, h int) (Thumbnail, error) {
	if w < 1 || w > MaxThumbSide {
		return Thumbnail{}, fault.InvalidField("w", "must be between 1 and %d", MaxThumbSide)
	}
	if h < 1 || h > MaxThumbSide {
		return Thumbnail{}, fault.InvalidField("h", "must be between 1 and %d", MaxThumbSide)
	}
	w, h = ThumbBox(w, h)
	info, err := s.Stat(ctx, hash)
	if err != nil {
		return Thumbnail{}, err
	}
	format, ok := sourceFormats[info.ContentType]
	if !ok {
		return Thumbnail{}, fault.Unsupportedf("file %s is %s; thumbnails are made of JPEG, PNG, GIF and WebP images", hash, info.ContentType)
	}
	out := Thumbnail{ContentType: "image/jpeg", W: w, H: h}
	ext := ".jpg"
	if format.outPNG {
		out.ContentType, ext = "image/png", ".png"
	}
	key := blob.DerivedKey("thumb", hash, blob.SizeSuffix(w, h)+ext)

	obj, err := s.blobs.Open(ctx, key)
	if errors.Is(err, blob.ErrNotFound) {
		made := s.making.DoChan(key, func() (any, error) {
			mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), thumbTimeout)
			defer cancel()
			return nil, s.makeThumbnail(mctx, info, w, h, key)
		})
		select {
		case <-ctx.Done():
			return Thumbnail{}, fault.Wrap(ctx.Err(), "wait for thumbnail")
		case r := <-made:
			if r.Err != nil {
				return Thumbnail{}, r.Err
			}
		}
		obj, err = s.blobs.Open(ctx, key)
	}
	if err != nil {
		return Thumbnail{}, fault.Wrap(err, "open thumbnail")
	}
	out.Object = obj
	return out, nil
}

// makeThumbnail decodes the source (after checking its size from its header), scales it and
// stores the result under key.
func (s *Service) makeThumbnail(ctx context.Context, info Info, w, h int, key string) error {
	select {
	case s.thumbSlots <- struct{}{}:
		defer func() { <-s.thumbSlots }()
	case <-ctx.Done():
		return fault.Wrap(ctx.Err(), "wait for a thumbnail slot")
	}
	src, err := s.blobs.Open(ctx, blob.ContentKey(info.Hash))
	if err != nil {
		return fault.Wrap(err, "open image")
	}
	defer src.Close()
	format := sourceFormats[info.ContentType]

	// The header says how big the decoded image would be; refuse a bomb before decoding it.
	cfg, err := format.decodeConfig(bufio.NewReader(src))
	if err != nil {
		return unreadable(info, err)
	}
	if pixels := int64(cfg.Width) * int64(cfg.Height); pixels > s.cfg.ThumbMaxPixels || cfg.Width <= 0 || cfg.Height <= 0 {
		return fault.Invalidf("the image is %dx%d pixels; thumbnails are made only for images of at most %d pixels",
			cfg.Width, cfg.Height, s.cfg.ThumbMaxPixels)
	}
	orientation := 1
	if info.ContentType == "image/jpeg" {
		if _, err := src.Seek(0, io.SeekStart); err != nil {
			return fault.Wrap(err, "rewind image")
		}
		orientation = jpegOrientation(src)
	}
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return fault.Wrap(err, "rewind image")
	}
	img, err := format.decode(bufio.NewReaderSize(src, 64<<10))
	if err != nil {
		return unreadable(info, err)
	}

	// WebP may be transparent but its thumbnail is JPEG: lay it on white.
	thumb := scale(img, w, h, orientation, info.ContentType == "image/webp")
	var buf bytes.Buffer
	if format.outPNG {
		err = (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, thumb)
	} else {
		err = jpeg.Encode(&buf, thumb, &jpeg.Options{Quality: 85})
	}
	if err != nil {
		return fault.Wrap(err, "encode thumbnail")
	}
	staged, err := s.blobs.Stage(ctx, &buf, int64(buf.Len()))
	if err != nil {
		return fault.Wrap(err, "stage thumbnail")
	}
	if err := staged.Commit(ctx, key); err != nil {
		return fault.Wrap(err, "store thumbnail")
	}
	return nil
}

func unreadable(info Info, err error) error {
	return &fault.Error{Kind: fault.Unsupported,
		Message: fmt.Sprintf("file %s is not a readable %s image", info.Hash, info.ContentType), Err: err}
}

// scale fits img into the box w×h as it will be seen: after the EXIF orientation, which may
// swap its sides. The result is never larger than the source. flatten lays the image on white,
// for transparent sources whose thumbnail is a JPEG (transparent pixels would turn black).
func scale(img image.Image, w, h, orientation int, flatten bool) image.Image {
	sb := img.Bounds()
	sw, sh := sb.Dx(), sb.Dy()
	if orientation >= 5 { // the sides are swapped when shown
		w, h = h, w
	}
	dw, dh := fit(sw, sh, w, h)
	if k := shrinkFactor(sw, sh, dw, dh); k >= 2 {
		if small := shrink(img, k); small != nil {
			img, sb = small, small.Bounds()
		}
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	op := draw.Src
	if flatten {
		draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
		op = draw.Over
	}
	if dw == sw && dh == sh {
		draw.Draw(dst, dst.Bounds(), img, sb.Min, op)
	} else {
		draw.CatmullRom.Scale(dst, dst.Bounds(), img, sb, op, nil)
	}
	return orient(dst, orientation)
}

// fit is the size of a sw×sh image scaled to fit inside w×h, aspect kept, never enlarged.
func fit(sw, sh, w, h int) (int, int) {
	if sw <= w && sh <= h {
		return sw, sh
	}
	// Compare sw/sh with w/h without floating point: the tighter side decides.
	if int64(sw)*int64(h) >= int64(sh)*int64(w) {
		return w, max(1, int((int64(sh)*int64(w)+int64(sw)/2)/int64(sw)))
	}
	return max(1, int((int64(sw)*int64(h)+int64(sh)/2)/int64(sh))), h
}
