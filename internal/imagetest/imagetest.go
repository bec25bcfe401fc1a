// Package imagetest makes image files for tests: real encodings from the standard library, with the metadata a
// camera or an attacker adds (EXIF with GPS, text chunks, comments, data after the end), and hostile files.
package imagetest

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
)

// Secret is text that metadata carries in these files: it must never be in what the blog stores.
const Secret = "GPS 51.5007N 0.1246W <script>alert(1)</script>"

func picture(w, h int, c color.Color) image.Image {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			m.Set(x, y, c)
		}
	}
	return m
}

// PNG is a w×h PNG of one colour.
func PNG(w, h int, c color.Color) []byte {
	var b bytes.Buffer
	png.Encode(&b, picture(w, h, c))
	return b.Bytes()
}

// Chunk is one PNG chunk with its CRC.
func Chunk(typ string, data []byte) []byte {
	out := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	out = append(out, typ...)
	out = append(out, data...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(append([]byte(typ), data...)))
}

// PNGWithMetadata is a PNG with a text chunk, an eXIf chunk and a private chunk holding Secret before its
// pixels, and an HTML page after its end: a polyglot that a browser sniffing it could take for HTML.
func PNGWithMetadata(w, h int) []byte {
	p := PNG(w, h, color.RGBA{200, 30, 30, 255})
	const ihdrEnd = 8 + 25
	var out []byte
	out = append(out, p[:ihdrEnd]...)
	out = append(out, Chunk("tEXt", []byte("Comment\x00"+Secret))...)
	out = append(out, Chunk("eXIf", exifTIFF(6))...)
	out = append(out, Chunk("prVt", []byte(Secret))...)
	out = append(out, p[ihdrEnd:]...)
	return append(out, "<html><body>"+Secret+"</body></html>"...)
}

// HugePNG claims w×h pixels in its header with almost no data: a decompression bomb's header.
func HugePNG(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 2, 0, 0, 0)
	out := []byte("\x89PNG\r\n\x1a\n")
	out = append(out, Chunk("IHDR", ihdr)...)
	out = append(out, Chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})...)
	return append(out, Chunk("IEND", nil)...)
}

// JPEG is a w×h JPEG of one colour.
func JPEG(w, h int, c color.Color) []byte {
	var b bytes.Buffer
	jpeg.Encode(&b, picture(w, h, c), &jpeg.Options{Quality: 80})
	return b.Bytes()
}

// JPEGWithMetadata is a camera's JPEG: an EXIF segment with an orientation (6: turned a quarter) and a GPS
// entry that holds Secret, an XMP segment and a comment with Secret, and an HTML page after its end.
func JPEGWithMetadata(w, h int) []byte {
	return AddJPEGMetadata(JPEG(w, h, color.RGBA{30, 30, 200, 255}))
}

// Photo is a w×h JPEG of noise, which compresses about as badly as a photograph.
func Photo(w, h int) []byte {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	x := uint32(2463534242)
	for i := range m.Pix {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		m.Pix[i] = byte(x)
	}
	var b bytes.Buffer
	jpeg.Encode(&b, m, &jpeg.Options{Quality: 85})
	return b.Bytes()
}

// AddJPEGMetadata adds to a JPEG what JPEGWithMetadata describes.
func AddJPEGMetadata(j []byte) []byte {
	seg := func(marker byte, body []byte) []byte {
		out := []byte{0xFF, marker}
		out = binary.BigEndian.AppendUint16(out, uint16(len(body)+2))
		return append(out, body...)
	}
	var out []byte
	out = append(out, j[:2]...)
	out = append(out, seg(0xE1, append([]byte("Exif\x00\x00"), exifTIFF(6)...))...)
	out = append(out, seg(0xE1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>"+Secret+"</x:xmpmeta>"))...)
	out = append(out, seg(0xFE, []byte(Secret))...)
	out = append(out, j[2:]...)
	return append(out, "<html>"+Secret+"</html>"...)
}

// exifTIFF is a little-endian TIFF structure: IFD0 with Orientation and a GPS IFD pointer, and a GPS IFD whose
// one entry is Secret as ASCII.
func exifTIFF(orientation uint16) []byte {
	le := binary.LittleEndian
	var t []byte
	t = append(t, 'I', 'I', 0x2A, 0x00)
	t = le.AppendUint32(t, 8)
	// IFD0 at 8: two entries.
	t = le.AppendUint16(t, 2)
	t = le.AppendUint16(t, 0x0112)
	t = le.AppendUint16(t, 3)
	t = le.AppendUint32(t, 1)
	t = le.AppendUint16(t, orientation)
	t = le.AppendUint16(t, 0)
	gpsAt := uint32(8 + 2 + 2*12 + 4)
	t = le.AppendUint16(t, 0x8825)
	t = le.AppendUint16(t, 4)
	t = le.AppendUint32(t, 1)
	t = le.AppendUint32(t, gpsAt)
	t = le.AppendUint32(t, 0)
	// GPS IFD: one ASCII entry whose value follows.
	valueAt := gpsAt + 2 + 12 + 4
	t = le.AppendUint16(t, 1)
	t = le.AppendUint16(t, 0x001B) // GPSProcessingMethod
	t = le.AppendUint16(t, 2)
	t = le.AppendUint32(t, uint32(len(Secret)+1))
	t = le.AppendUint32(t, valueAt)
	t = le.AppendUint32(t, 0)
	t = append(t, Secret...)
	return append(t, 0)
}

// GIF is a w×h GIF of one colour.
func GIF(w, h int) []byte {
	var b bytes.Buffer
	gif.Encode(&b, picture(w, h, color.RGBA{20, 120, 20, 255}), nil)
	return b.Bytes()
}

// WebP is a lossless 1×1 WebP header (VP8L; the blog reads only its header) in an extended file with an EXIF
// chunk that holds Secret.
func WebP() []byte {
	riffChunk := func(fourcc string, data []byte) []byte {
		out := append([]byte(fourcc), binary.LittleEndian.AppendUint32(nil, uint32(len(data)))...)
		out = append(out, data...)
		if len(data)%2 == 1 {
			out = append(out, 0)
		}
		return out
	}
	vp8x := []byte{0x08, 0, 0, 0, 0, 0, 0, 0, 0, 0} // EXIF flag; canvas 1×1 (stored minus one)
	body := []byte("WEBP")
	body = append(body, riffChunk("VP8X", vp8x)...)
	body = append(body, riffChunk("VP8L", []byte{0x2f, 0, 0, 0, 0})...)
	body = append(body, riffChunk("EXIF", exifTIFF(1))...)
	return append(append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(len(body)))...), body...)
}

// AVIF is the boxes of an AVIF file that say its kind and its size (w×h); there are no pixels.
func AVIF(w, h uint32) []byte {
	box := func(typ string, body ...[]byte) []byte {
		b := bytes.Join(body, nil)
		return append(append(binary.BigEndian.AppendUint32(nil, uint32(8+len(b))), typ...), b...)
	}
	ispe := append([]byte{0, 0, 0, 0}, binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, w), h)...)
	ftyp := box("ftyp", []byte("avif"), []byte{0, 0, 0, 0}, []byte("mif1"), []byte("miaf"))
	meta := box("meta", []byte{0, 0, 0, 0}, box("iprp", box("ipco", box("ispe", ispe))))
	return append(ftyp, meta...)
}

// GIFWithComment is a GIF with a comment extension holding Secret before its image, and a page after its
// trailer.
func GIFWithComment(w, h int) []byte {
	g := GIF(w, h)
	i := 13
	if g[10]&0x80 != 0 {
		i += 3 << (int(g[10]&7) + 1)
	}
	comment := []byte{0x21, 0xFE, byte(len(Secret))}
	comment = append(append(comment, Secret...), 0)
	out := append(append(append([]byte{}, g[:i]...), comment...), g[i:]...)
	return append(out, "<html>"+Secret+"</html>"...)
}

// AVIFWithMetadata is an AVIF file (as AVIF makes it: ftyp, meta, mdat) whose meta box declares an image item
// and an Exif item and an XMP item (a "mime" item of application/rdf+xml), each holding Secret, with a uuid box
// of XMP at the top level and a page after the last box. With idat, the Exif item lies in the meta box's own
// data (construction method 1) instead of the media data. Image is the image item's bytes.
func AVIFWithMetadata(w, h uint32, idat bool) (file []byte, image []byte) {
	box := func(typ string, body ...[]byte) []byte {
		b := bytes.Join(body, nil)
		return append(append(binary.BigEndian.AppendUint32(nil, uint32(8+len(b))), typ...), b...)
	}
	u16 := func(v int) []byte { return binary.BigEndian.AppendUint16(nil, uint16(v)) }
	u32 := func(v int) []byte { return binary.BigEndian.AppendUint32(nil, uint32(v)) }
	image = []byte("\x12\x00\x0a\x0aAV1 image data that must stay as it is")
	exif := append([]byte{0, 0, 0, 0}, "MM\x00*\x00\x00\x00\x08 "+Secret...)
	xmp := []byte(`<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF>` + Secret + `</rdf:RDF></x:xmpmeta>`)
	// infe is an item's information (version 2): its id, no protection, its type, then its name and, for a
	// "mime" item, its content type, each ending in a zero byte.
	infe := func(id int, typ string, names string) []byte {
		return box("infe", []byte{2, 0, 0, 0}, u16(id), u16(0), []byte(typ), []byte(names))
	}
	ispe := append([]byte{0, 0, 0, 0}, binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, w), h)...)
	ftyp := box("ftyp", []byte("avif"), []byte{0, 0, 0, 0}, []byte("mif1"), []byte("miaf"))
	meta := func(mdat int) []byte {
		// iloc version 1: offsets and lengths of 4 bytes, no base offset; each item one extent.
		entry := func(id, method, off, n int) []byte {
			return bytes.Join([][]byte{u16(id), u16(method), u16(0), u16(1), u32(off), u32(n)}, nil)
		}
		exifEntry := entry(2, 0, mdat+len(image), len(exif))
		xmpOff := mdat + len(image) + len(exif)
		var data []byte
		if idat {
			exifEntry = entry(2, 1, 0, len(exif))
			xmpOff = mdat + len(image)
			data = box("idat", exif)
		}
		return box("meta", []byte{0, 0, 0, 0},
			box("hdlr", []byte{0, 0, 0, 0}, u32(0), []byte("pict"), make([]byte, 12), []byte{0}),
			box("pitm", []byte{0, 0, 0, 0}, u16(1)),
			box("iloc", []byte{1, 0, 0, 0}, []byte{0x44, 0x00}, u16(3),
				entry(1, 0, mdat, len(image)), exifEntry, entry(3, 0, xmpOff, len(xmp))),
			box("iinf", []byte{0, 0, 0, 0}, u16(3), infe(1, "av01", "Color\x00"), infe(2, "Exif", "Exif\x00"),
				infe(3, "mime", "XMP\x00application/rdf+xml\x00")),
			box("iprp", box("ipco", box("ispe", ispe))),
			data)
	}
	uuid := box("uuid", []byte("\xbe\x7a\xcf\xcb\x97\xa9\x42\xe8\x9c\x71\x99\x94\x91\xe3\xaf\xac"), xmp)
	start := len(ftyp) + len(meta(0)) + len(uuid) + 8 // the media data's first byte
	payload := append(append([]byte{}, image...), xmp...)
	if !idat {
		payload = bytes.Join([][]byte{image, exif, xmp}, nil)
	}
	file = bytes.Join([][]byte{ftyp, meta(start), uuid, box("mdat", payload), []byte("<html>" + Secret + "</html>")}, nil)
	return file, image
}
