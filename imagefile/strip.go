package imagefile

import (
	"bytes"
	"encoding/binary"
	"errors"
)

// What is kept of an image's metadata: what shows the picture as it was taken (its colour profile, its
// orientation), and nothing that says where, when or with what (EXIF, GPS, XMP, comments, text chunks, embedded
// thumbnails). The pixels are copied as they are, never decoded and encoded again, so nothing is lost to
// compression; anything after the image's end marker (where polyglot files hide their second format) is dropped.

var errMalformed = errors.New("malformed image")

// Strip removes an image's metadata as described above; an SVG (checked by CheckSVG instead) comes back as it
// is. An AVIF file whose metadata cannot be found with certainty gives ErrAVIFLayout.
func Strip(k Kind, b []byte) ([]byte, error) {
	switch k {
	case JPEG:
		return stripJPEG(b)
	case PNG:
		return stripPNG(b)
	case WebP:
		return stripWebP(b)
	case GIF:
		return stripGIF(b)
	case AVIF:
		return stripAVIF(b)
	}
	return b, nil
}

// stripJPEG rewrites a JPEG's segments: APP0 only when it is JFIF, APP2 only when it is an ICC profile, APP14
// (Adobe's colour transform) and the image's own tables, frames and scans; EXIF, XMP, IPTC, comments and the
// like go. The EXIF orientation, when it turns the picture, is written back as a minimal EXIF segment holding
// that one tag.
func stripJPEG(b []byte) ([]byte, error) {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return nil, errMalformed
	}
	out := []byte{0xFF, 0xD8}
	insertAt := len(out)
	orientation := 0
	for i := 2; ; {
		if i+2 > len(b) || b[i] != 0xFF {
			return nil, errMalformed
		}
		m := b[i+1]
		if m == 0xFF { // fill byte before a marker
			i++
			continue
		}
		i += 2
		if m == 0xD9 { // end of image: whatever follows is dropped
			out = append(out, 0xFF, 0xD9)
			break
		}
		if m >= 0xD0 && m <= 0xD7 || m == 0x01 {
			out = append(out, 0xFF, m)
			continue
		}
		if i+2 > len(b) {
			return nil, errMalformed
		}
		n := int(binary.BigEndian.Uint16(b[i:]))
		if n < 2 || i+n > len(b) {
			return nil, errMalformed
		}
		seg, body := b[i:i+n], b[i+2:i+n]
		i += n
		keep := true
		switch {
		case m == 0xE0:
			keep = bytes.HasPrefix(body, []byte("JFIF\x00"))
		case m == 0xE1:
			if orientation == 0 && bytes.HasPrefix(body, []byte("Exif\x00\x00")) {
				orientation = exifOrientation(body[6:])
			}
			keep = false
		case m == 0xE2:
			keep = bytes.HasPrefix(body, []byte("ICC_PROFILE\x00"))
		case m >= 0xE3 && m <= 0xEF && m != 0xEE, m == 0xFE:
			keep = false
		}
		if keep {
			out = append(out, 0xFF, m)
			out = append(out, seg...)
			if m == 0xE0 && insertAt == 2 {
				insertAt = len(out) // EXIF goes after JFIF's APP0, which must come first
			}
		}
		if m == 0xDA { // start of scan: its entropy-coded data runs to the next marker that is not a restart
			start := i
			for i < len(b) {
				if b[i] == 0xFF && i+1 < len(b) {
					next := b[i+1]
					if next == 0x00 || next >= 0xD0 && next <= 0xD7 {
						i += 2
						continue
					}
					break
				}
				i++
			}
			out = append(out, b[start:i]...)
			if i >= len(b) {
				return nil, errMalformed // no end of image
			}
		}
	}
	if orientation >= 2 && orientation <= 8 {
		exif := []byte{0xFF, 0xE1, 0x00, 0x22, 'E', 'x', 'i', 'f', 0, 0,
			'M', 'M', 0x00, 0x2A, 0, 0, 0, 8, // big-endian TIFF header, IFD0 at 8
			0x00, 0x01, // one entry
			0x01, 0x12, 0x00, 0x03, 0, 0, 0, 1, 0x00, byte(orientation), 0, 0, // Orientation, SHORT, 1 value
			0, 0, 0, 0} // no next IFD
		out = append(out[:insertAt], append(exif, out[insertAt:]...)...)
	}
	return out, nil
}

// exifOrientation reads the Orientation tag (0x0112) of IFD0 in an EXIF block's TIFF structure (0 when absent).
func exifOrientation(t []byte) int {
	if len(t) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(t[:4]) {
	case "II*\x00":
		bo = binary.LittleEndian
	case "MM\x00*":
		bo = binary.BigEndian
	default:
		return 0
	}
	off := int(bo.Uint32(t[4:8]))
	if off < 8 || off+2 > len(t) {
		return 0
	}
	count := int(bo.Uint16(t[off:]))
	for e := 0; e < count; e++ {
		p := off + 2 + 12*e
		if p+12 > len(t) {
			return 0
		}
		if bo.Uint16(t[p:]) == 0x0112 && bo.Uint16(t[p+2:]) == 3 {
			return int(bo.Uint16(t[p+8:]))
		}
	}
	return 0
}

// pngKept are the chunks a PNG keeps: the image, its animation, and how to show its colours. Text, EXIF, time
// and private chunks go.
var pngKept = map[string]bool{"IHDR": true, "PLTE": true, "IDAT": true, "IEND": true, "tRNS": true, "cHRM": true,
	"gAMA": true, "iCCP": true, "sBIT": true, "sRGB": true, "cICP": true, "mDCV": true, "cLLI": true, "bKGD": true,
	"hIST": true, "pHYs": true, "sPLT": true, "acTL": true, "fcTL": true, "fdAT": true}

// stripPNG keeps the chunks in pngKept, up to IEND.
func stripPNG(b []byte) ([]byte, error) {
	const sig = 8
	if len(b) < sig {
		return nil, errMalformed
	}
	out := append([]byte{}, b[:sig]...)
	for i := sig; ; {
		if i+12 > len(b) {
			return nil, errMalformed // no IEND
		}
		n := int(binary.BigEndian.Uint32(b[i:]))
		typ := string(b[i+4 : i+8])
		end := i + 12 + n
		if n < 0 || n > len(b) || end > len(b) {
			return nil, errMalformed
		}
		if pngKept[typ] {
			out = append(out, b[i:end]...)
		}
		if typ == "IEND" {
			return out, nil
		}
		i = end
	}
}

// stripWebP drops a WebP's EXIF and XMP chunks (and clears their flags in VP8X), and anything after the RIFF
// container.
func stripWebP(b []byte) ([]byte, error) {
	if len(b) < 12 {
		return nil, errMalformed
	}
	size := int(binary.LittleEndian.Uint32(b[4:8]))
	if size < 4 || 8+size > len(b) {
		return nil, errMalformed
	}
	b = b[:8+size]
	out := append([]byte{}, b[:12]...)
	for i := 12; i < len(b); {
		if i+8 > len(b) {
			return nil, errMalformed
		}
		n := int(binary.LittleEndian.Uint32(b[i+4:]))
		end := i + 8 + n + n%2
		if n < 0 || end > len(b) {
			if i+8+n == len(b) { // an odd last chunk without its pad byte
				end = len(b)
			} else {
				return nil, errMalformed
			}
		}
		switch string(b[i : i+4]) {
		case "EXIF", "XMP ":
		case "VP8X":
			start := len(out)
			out = append(out, b[i:end]...)
			if n > 0 {
				out[start+8] &^= 0x08 | 0x04 // the EXIF and XMP flags
			}
		default:
			out = append(out, b[i:end]...)
		}
		i = end
	}
	binary.LittleEndian.PutUint32(out[4:8], uint32(len(out)-8))
	return out, nil
}

// stripGIF keeps a GIF's header, colour tables, images and their graphic controls, and the NETSCAPE looping
// extension; comments, plain text and other applications' extensions go, and so does anything after the
// trailer.
func stripGIF(b []byte) ([]byte, error) {
	if len(b) < 13 {
		return nil, errMalformed
	}
	i := 13
	if b[10]&0x80 != 0 { // global colour table
		i += 3 << (int(b[10]&7) + 1)
	}
	if i > len(b) {
		return nil, errMalformed
	}
	out := append([]byte{}, b[:i]...)
	// subBlocks returns where the data sub-blocks starting at j end (after their zero terminator).
	subBlocks := func(j int) (int, error) {
		for {
			if j >= len(b) {
				return 0, errMalformed
			}
			n := int(b[j])
			j++
			if n == 0 {
				return j, nil
			}
			j += n
		}
	}
	for {
		if i >= len(b) {
			return nil, errMalformed // no trailer
		}
		switch b[i] {
		case 0x3B: // trailer
			return append(out, 0x3B), nil
		case 0x21: // extension
			if i+2 > len(b) {
				return nil, errMalformed
			}
			label := b[i+1]
			end, err := subBlocks(i + 2)
			if err != nil {
				return nil, err
			}
			keep := label == 0xF9 // graphic control
			if label == 0xFF && i+3+11 <= len(b) && b[i+2] == 11 {
				keep = string(b[i+3:i+3+11]) == "NETSCAPE2.0" || string(b[i+3:i+3+11]) == "ANIMEXTS1.0"
			}
			if keep {
				out = append(out, b[i:end]...)
			}
			i = end
		case 0x2C: // image descriptor
			j := i + 10
			if j > len(b) {
				return nil, errMalformed
			}
			if b[i+9]&0x80 != 0 { // local colour table
				j += 3 << (int(b[i+9]&7) + 1)
			}
			j++ // LZW minimum code size
			end, err := subBlocks(j)
			if err != nil {
				return nil, err
			}
			out = append(out, b[i:end]...)
			i = end
		default:
			return nil, errMalformed
		}
	}
}
