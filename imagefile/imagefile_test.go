package imagefile

import (
	"bytes"
	"image/color"
	"testing"

	"blog/internal/imagetest"
)

// TestJPEGKeepsItsPixelsAndOrientation: a camera JPEG loses its metadata but not a byte of its scans, and keeps
// its orientation; a JPEG without an orientation gets none.
func TestJPEGKeepsItsPixelsAndOrientation(t *testing.T) {
	plain := imagetest.JPEG(16, 16, color.Gray{128})
	out, err := stripJPEG(plain)
	if err != nil || !bytes.Equal(out, plain) {
		t.Fatalf("a plain JPEG changed (%v): %d bytes, was %d", err, len(out), len(plain))
	}
	camera := imagetest.JPEGWithMetadata(16, 16)
	out, err = stripJPEG(camera)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out, []byte("GPS")) || bytes.Contains(out, []byte("<html>")) {
		t.Fatal("metadata or trailing data kept")
	}
	if o := exifOrientation(out[bytes.Index(out, []byte("Exif\x00\x00"))+6:]); o != 6 {
		t.Fatalf("orientation %d, want 6", o)
	}
}

// TestSVGsTaken: drawings with styles, gradients, internal references and a dark-theme media query are taken.
func TestSVGsTaken(t *testing.T) {
	for _, svg := range []string{
		`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4"><rect width="4" height="4"/></svg>`,
		"\uFEFF<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- drawn by hand -->\n<svg xmlns=\"http://www.w3.org/2000/svg\"><style>@media (prefers-color-scheme: dark) { path { stroke: #ddd } }</style><path d=\"M0 0L4 4\" style=\"fill: url('#g')\"/></svg>",
		`<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><defs><circle id="c" r="1"/></defs><use xlink:href="#c"/></svg>`,
	} {
		if _, ok := Sniff([]byte(svg)); !ok {
			t.Errorf("not taken for an SVG: %s", svg)
			continue
		}
		if err := CheckSVG([]byte(svg)); err != nil {
			t.Errorf("%s: %v", svg, err)
		}
	}
}
