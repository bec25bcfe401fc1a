package imagefile

import (
	"bytes"
	"encoding/binary"
)

// Orientation returns a JPEG's EXIF orientation (2 to 8 turn or mirror the picture; 0 or 1 leave it as it is).
// It reads the segments before the first scan only.
func Orientation(b []byte) int {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return 0
	}
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xFF {
			return 0
		}
		m := b[i+1]
		if m == 0xFF {
			i++
			continue
		}
		if m == 0xDA || m == 0xD9 {
			return 0
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if n < 2 || i+2+n > len(b) {
			return 0
		}
		body := b[i+4 : i+2+n]
		if m == 0xE1 && bytes.HasPrefix(body, []byte("Exif\x00\x00")) {
			return exifOrientation(body[6:])
		}
		i += 2 + n
	}
	return 0
}
