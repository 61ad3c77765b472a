package file

import (
	"bufio"
	"encoding/binary"
	"image"
	"io"
)

// exifScanLimit bounds how far into a JPEG the orientation is looked for: the EXIF segment
// sits among the first segments, before the image data.
const exifScanLimit = 256 << 10

// jpegOrientation reads the EXIF Orientation tag (1 to 8) of a JPEG; 1, upright, when there is
// none or the data is damaged.
func jpegOrientation(r io.Reader) int {
	br := bufio.NewReader(io.LimitReader(r, exifScanLimit))
	var soi [2]byte
	if _, err := io.ReadFull(br, soi[:]); err != nil || soi != [2]byte{0xFF, 0xD8} {
		return 1
	}
	for {
		b, err := br.ReadByte()
		if err != nil || b != 0xFF {
			return 1
		}
		marker, err := br.ReadByte()
		for err == nil && marker == 0xFF { // fill bytes
			marker, err = br.ReadByte()
		}
		switch {
		case err != nil, marker == 0xDA, marker == 0xD9: // start of scan, end of image: no EXIF
			return 1
		case marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7): // no payload
			continue
		}
		var lenBuf [2]byte
		if _, err := io.ReadFull(br, lenBuf[:]); err != nil {
			return 1
		}
		n := int(binary.BigEndian.Uint16(lenBuf[:])) - 2
		if n < 0 {
			return 1
		}
		if marker != 0xE1 { // not APP1
			if _, err := br.Discard(n); err != nil {
				return 1
			}
			continue
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(br, payload); err != nil {
			return 1
		}
		if len(payload) >= 6 && string(payload[:6]) == "Exif\x00\x00" {
			return tiffOrientation(payload[6:])
		}
	}
}

// tiffOrientation finds tag 0x0112 in IFD0 of an EXIF TIFF structure.
func tiffOrientation(b []byte) int {
	if len(b) < 8 {
		return 1
	}
	var order binary.ByteOrder
	switch string(b[:2]) {
	case "II":
		order = binary.LittleEndian
	case "MM":
		order = binary.BigEndian
	default:
		return 1
	}
	if order.Uint16(b[2:4]) != 42 {
		return 1
	}
	ifd := int64(order.Uint32(b[4:8]))
	if ifd+2 > int64(len(b)) {
		return 1
	}
	entries := int64(order.Uint16(b[ifd:]))
	for i := range entries {
		e := ifd + 2 + 12*i
		if e+12 > int64(len(b)) {
			return 1
		}
		if order.Uint16(b[e:]) != 0x0112 {
			continue
		}
		if order.Uint16(b[e+2:]) != 3 { // SHORT
			return 1
		}
		if v := int(order.Uint16(b[e+8:])); v >= 1 && v <= 8 {
			return v
		}
		return 1
	}
	return 1
}

// orient turns an image stored with EXIF orientation o into the image as it is to be seen.
func orient(src *image.RGBA, o int) *image.RGBA {
	if o < 2 || o > 8 {
		return src
	}
	w, h := src.Rect.Dx(), src.Rect.Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := range dh {
		for x := range dw {
			var sx, sy int
			switch o {
			case 2: // mirrored
				sx, sy = w-1-x, y
			case 3: // rotated 180°
				sx, sy = w-1-x, h-1-y
			case 4: // mirrored vertically
				sx, sy = x, h-1-y
			case 5: // transposed
				sx, sy = y, x
			case 6: // to be rotated 90° clockwise
				sx, sy = y, h-1-x
			case 7: // transversed
				sx, sy = w-1-y, h-1-x
			case 8: // to be rotated 90° counter-clockwise
				sx, sy = w-1-y, x
			}
			si := src.PixOffset(src.Rect.Min.X+sx, src.Rect.Min.Y+sy)
			di := dst.PixOffset(x, y)
			copy(dst.Pix[di:di+4], src.Pix[si:si+4])
		}
	}
	return dst
}
