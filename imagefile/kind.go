// Package imagefile holds the rules for an image's bytes wherever they come from (the owner's uploads, the
// pictures other sites name): its kind read from its content, never from its name; its size in pixels read from
// its header before anything is decoded; its orientation; its metadata removed without touching its pixels; and
// an SVG refused when it holds anything active.
package imagefile

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"net/http"
	"strings"

	"golang.org/x/image/webp"
)

// Kind is a type of image the blog takes: what its bytes begin with decides it, never the file's name.
type Kind struct {
	Ext, ContentType, Label string
}

// The kinds of image the blog takes.
var (
	PNG  = Kind{".png", "image/png", "PNG"}
	JPEG = Kind{".jpg", "image/jpeg", "JPEG"}
	GIF  = Kind{".gif", "image/gif", "GIF"}
	WebP = Kind{".webp", "image/webp", "WebP"}
	AVIF = Kind{".avif", "image/avif", "AVIF"}
	SVG  = Kind{".svg", "image/svg+xml", "SVG"}
)

// Kinds lists them, for the sentences that name them.
var Kinds = []Kind{PNG, JPEG, GIF, WebP, AVIF, SVG}

// KindOf returns the kind of image a stored name's extension says (names are only ever given by Check).
func KindOf(ext string) (Kind, bool) {
	for _, k := range Kinds {
		if k.Ext == ext {
			return k, true
		}
	}
	return Kind{}, false
}

// Sniff reads the kind of image from its first bytes, whatever its name or announced type says.
func Sniff(b []byte) (Kind, bool) {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return PNG, true
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		return JPEG, true
	case bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		return GIF, true
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return WebP, true
	case isAVIF(b):
		return AVIF, true
	case looksLikeSVG(b):
		return SVG, true
	}
	return Kind{}, false
}

// isAVIF reports an ISO media file whose ftyp box names an AVIF brand, as its major or a compatible brand.
func isAVIF(b []byte) bool {
	if len(b) < 16 || string(b[4:8]) != "ftyp" {
		return false
	}
	size := int(binary.BigEndian.Uint32(b[:4]))
	if size < 16 || size > len(b) || size > 4096 {
		return false
	}
	brands := []string{string(b[8:12])}
	for i := 16; i+4 <= size; i += 4 {
		brands = append(brands, string(b[i:i+4]))
	}
	for _, br := range brands {
		if br == "avif" || br == "avis" {
			return true
		}
	}
	return false
}

// looksLikeSVG reports text that begins, after an optional byte-order mark, white space, an XML declaration and
// comments, with an <svg element. The whole file is checked later (checkSVG).
func looksLikeSVG(b []byte) bool {
	s := strings.TrimPrefix(string(b[:min(len(b), 4096)]), "\uFEFF")
	for {
		s = strings.TrimLeft(s, " \t\r\n")
		switch {
		case strings.HasPrefix(s, "<?xml"):
			_, rest, ok := strings.Cut(s, "?>")
			if !ok {
				return false
			}
			s = rest
		case strings.HasPrefix(s, "<!DOCTYPE"):
			// An SVG with a document type is refused by checkSVG, with a sentence that says so.
			return strings.Contains(s, "<svg")
		case strings.HasPrefix(s, "<!--"):
			_, rest, ok := strings.Cut(s, "-->")
			if !ok {
				return false
			}
			s = rest
		default:
			return strings.HasPrefix(s, "<svg") && len(s) > 4 && strings.ContainsRune(" \t\r\n>/", rune(s[4]))
		}
	}
}

// Dimensions reads an image's width and height from its header, without decoding its pixels.
func Dimensions(k Kind, b []byte) (w, h int, err error) {
	var cfg image.Config
	r := bytes.NewReader(b)
	switch k {
	case PNG:
		cfg, err = png.DecodeConfig(r)
	case JPEG:
		cfg, err = jpeg.DecodeConfig(r)
	case GIF:
		cfg, err = gif.DecodeConfig(r)
	case WebP:
		cfg, err = webp.DecodeConfig(r)
	case AVIF:
		return avifDimensions(b)
	default:
		return 0, 0, nil
	}
	return cfg.Width, cfg.Height, err
}

// avifDimensions reads the largest image spatial extents ('ispe') property in an AVIF file's meta box
// (ISO/IEC 23008-12): meta > iprp > ipco > ispe.
func avifDimensions(b []byte) (w, h int, err error) {
	meta, ok := findBox(b, "meta")
	if !ok || len(meta) < 4 {
		return 0, 0, fmt.Errorf("no meta box")
	}
	iprp, ok := findBox(meta[4:], "iprp") // meta is a full box: version and flags first
	if !ok {
		return 0, 0, fmt.Errorf("no item properties")
	}
	ipco, ok := findBox(iprp, "ipco")
	if !ok {
		return 0, 0, fmt.Errorf("no item property container")
	}
	for rest := ipco; ; {
		body, typ, next, ok := nextBox(rest)
		if !ok {
			break
		}
		if typ == "ispe" && len(body) >= 12 {
			bw, bh := int(binary.BigEndian.Uint32(body[4:8])), int(binary.BigEndian.Uint32(body[8:12]))
			if bw*bh > w*h || bw < 0 || bh < 0 {
				w, h = bw, bh
			}
		}
		rest = next
	}
	if w == 0 || h == 0 {
		return 0, 0, fmt.Errorf("no image size")
	}
	return w, h, nil
}

// findBox returns the body of the first box of type typ among the boxes in b.
func findBox(b []byte, typ string) ([]byte, bool) {
	for {
		body, t, next, ok := nextBox(b)
		if !ok {
			return nil, false
		}
		if t == typ {
			return body, true
		}
		b = next
	}
}

// nextBox splits the first ISO media box off b: its body, its type and what follows it.
func nextBox(b []byte) (body []byte, typ string, rest []byte, ok bool) {
	if len(b) < 8 {
		return nil, "", nil, false
	}
	size := uint64(binary.BigEndian.Uint32(b[:4]))
	typ = string(b[4:8])
	head := uint64(8)
	switch size {
	case 0:
		size = uint64(len(b))
	case 1:
		if len(b) < 16 {
			return nil, "", nil, false
		}
		size, head = binary.BigEndian.Uint64(b[8:16]), 16
	}
	if size < head || size > uint64(len(b)) {
		return nil, "", nil, false
	}
	return b[head:size], typ, b[size:], true
}

// ContentSays names what a file that is no image looks like (for the refusal's sentence).
func ContentSays(b []byte) string {
	ct := http.DetectContentType(b)
	ct, _, _ = strings.Cut(ct, ";")
	return ct
}
