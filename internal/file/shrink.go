package file

import (
	"image"
	"image/color"
)

// shrinkFactor is the whole factor by which a sw×sh image can be box-averaged and still be at
// least twice the dw×dh thumbnail, so that the final resampling keeps its quality; below 2
// there is nothing worth shrinking.
func shrinkFactor(sw, sh, dw, dh int) int {
	return min(sw/(2*dw), sh/(2*dh))
}

// shrink reduces img by the whole factor k, each output pixel the average of a k×k block (the
// blocks at the right and bottom edges may be smaller). Resampling a 12-megapixel photo
// straight to 200 pixels reads every source pixel through a wide kernel; averaging blocks
// first is a single cheap pass. It handles the types the decoders return for photos (JPEG's
// YCbCr, PNG's and WebP's RGBA and NRGBA); for others it returns nil.
func shrink(img image.Image, k int) *image.RGBA {
	b := img.Bounds()
	w, h := (b.Dx()+k-1)/k, (b.Dy()+k-1)/k
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	switch src := img.(type) {
	case *image.YCbCr:
		shrinkYCbCr(dst, src, k)
	case *image.RGBA:
		shrinkRGBA(dst, src.Pix, src.Stride, b, k, false)
	case *image.NRGBA:
		shrinkRGBA(dst, src.Pix, src.Stride, b, k, true)
	default:
		return nil
	}
	return dst
}

func shrinkYCbCr(dst *image.RGBA, src *image.YCbCr, k int) {
	b := src.Rect
	for oy := range dst.Rect.Dy() {
		y0, y1 := b.Min.Y+oy*k, min(b.Min.Y+(oy+1)*k, b.Max.Y)
		for ox := range dst.Rect.Dx() {
			x0, x1 := b.Min.X+ox*k, min(b.Min.X+(ox+1)*k, b.Max.X)
			var sy, scb, scr, n int
			for y := y0; y < y1; y++ {
				row := src.Y[src.YOffset(x0, y) : src.YOffset(x1-1, y)+1]
				for _, v := range row {
					sy += int(v)
				}
				// Chroma is sampled once per row of the block at its centre: chroma planes
				// are already at half resolution or less.
				ci := src.COffset((x0+x1)/2, y)
				scb += int(src.Cb[ci]) * len(row)
				scr += int(src.Cr[ci]) * len(row)
				n += len(row)
			}
			r, g, bl := color.YCbCrToRGB(uint8(sy/n), uint8(scb/n), uint8(scr/n))
			i := dst.PixOffset(ox, oy)
			dst.Pix[i], dst.Pix[i+1], dst.Pix[i+2], dst.Pix[i+3] = r, g, bl, 255
		}
	}
}

// shrinkRGBA averages 4-byte pixels; straight (non-premultiplied) ones are weighted by their
// alpha, so that transparent pixels lend no colour.
func shrinkRGBA(dst *image.RGBA, pix []byte, stride int, b image.Rectangle, k int, straight bool) {
	for oy := range dst.Rect.Dy() {
		y0, y1 := oy*k, min((oy+1)*k, b.Dy())
		for ox := range dst.Rect.Dx() {
			x0, x1 := ox*k, min((ox+1)*k, b.Dx())
			var sr, sg, sb, sa, n int
			for y := y0; y < y1; y++ {
				row := pix[y*stride+x0*4 : y*stride+x1*4]
				for i := 0; i < len(row); i += 4 {
					a := int(row[i+3])
					if straight {
						sr += int(row[i]) * a
						sg += int(row[i+1]) * a
						sb += int(row[i+2]) * a
					} else {
						sr += int(row[i])
						sg += int(row[i+1])
						sb += int(row[i+2])
					}
					sa += a
					n++
				}
			}
			div := n
			if straight {
				div = n * 255
			}
			i := dst.PixOffset(ox, oy)
			dst.Pix[i], dst.Pix[i+1], dst.Pix[i+2], dst.Pix[i+3] = uint8(sr/div), uint8(sg/div), uint8(sb/div), uint8(sa/n)
		}
	}
}
