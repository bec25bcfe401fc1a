package pictures

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"

	"golang.org/x/image/draw"
	"golang.org/x/image/webp"

	"blog/imagefile"
)

// Made is a picture as the blog keeps it.
type Made struct {
	Name, ContentType string
	Width, Height     int
	Data              []byte
}

// Make turns the bytes of a file into the picture the blog keeps: the kind read from the bytes (PNG, JPEG, GIF
// or WebP; a GIF's first frame), its pixels bounded before it is decoded, a JPEG turned as its EXIF orientation
// says, the middle square cut out and scaled down to Limits.Size, and encoded again: a JPEG when it has no
// transparency, else a PNG. Nothing of the file but its pixels is kept.
func (s *Service) Make(b []byte) (Made, error) {
	kind, ok := imagefile.Sniff(b)
	if !ok {
		return Made{}, ErrNotPicture
	}
	w, h, err := imagefile.Dimensions(kind, b)
	if err != nil || w <= 0 || h <= 0 {
		return Made{}, fmt.Errorf("%w: its %s header cannot be read", ErrNotPicture, kind.Label)
	}
	if int64(w)*int64(h) > int64(s.limits.MaxPixels) {
		return Made{}, fmt.Errorf("%w: %d×%d", ErrTooLarge, w, h)
	}
	var src image.Image
	r := bytes.NewReader(b)
	switch kind {
	case imagefile.PNG:
		src, err = png.Decode(r)
	case imagefile.JPEG:
		src, err = jpeg.Decode(r)
	case imagefile.GIF:
		src, err = gif.Decode(r)
	case imagefile.WebP:
		src, err = webp.Decode(r)
	default:
		return Made{}, fmt.Errorf("%w: %s pictures are not read", ErrNotPicture, kind.Label)
	}
	if err != nil {
		return Made{}, fmt.Errorf("%w: %s: %v", ErrNotPicture, kind.Label, err)
	}
	sq := square(src, s.limits.Size)
	if kind == imagefile.JPEG {
		sq = orient(sq, imagefile.Orientation(b))
	}
	var out bytes.Buffer
	m := Made{Width: sq.Bounds().Dx(), Height: sq.Bounds().Dy()}
	ext := ".png"
	if sq.Opaque() {
		err = jpeg.Encode(&out, sq, &jpeg.Options{Quality: 85})
		m.ContentType, ext = "image/jpeg", ".jpg"
	} else {
		err = (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&out, sq)
		m.ContentType = "image/png"
	}
	if err != nil {
		return Made{}, err
	}
	m.Data = out.Bytes()
	sum := sha256.Sum256(m.Data)
	m.Name = hex.EncodeToString(sum[:12]) + ext
	return m, nil
}

// square cuts the largest square out of the middle of src and scales it to at most size pixels a side.
func square(src image.Image, size int) *image.RGBA {
	b := src.Bounds()
	side := min(b.Dx(), b.Dy())
	crop := image.Rect(0, 0, side, side).Add(b.Min).Add(image.Pt((b.Dx()-side)/2, (b.Dy()-side)/2))
	n := min(side, size)
	dst := image.NewRGBA(image.Rect(0, 0, n, n))
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, crop, draw.Src, nil)
	return dst
}

// orient turns or mirrors a square picture as an EXIF orientation (2 to 8) says it is to be shown.
func orient(m *image.RGBA, o int) *image.RGBA {
	if o < 2 || o > 8 {
		return m
	}
	n := m.Bounds().Dx()
	out := image.NewRGBA(m.Bounds())
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			var sx, sy int
			switch o {
			case 2: // mirrored
				sx, sy = n-1-x, y
			case 3: // half a turn
				sx, sy = n-1-x, n-1-y
			case 4: // upside down, mirrored
				sx, sy = x, n-1-y
			case 5: // mirrored along the diagonal
				sx, sy = y, x
			case 6: // a quarter turn clockwise
				sx, sy = y, n-1-x
			case 7: // mirrored along the other diagonal
				sx, sy = n-1-y, n-1-x
			case 8: // a quarter turn anticlockwise
				sx, sy = n-1-y, x
			}
			out.SetRGBA(x, y, m.RGBAAt(sx, sy))
		}
	}
	return out
}
