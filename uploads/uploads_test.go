package uploads

import (
	"bytes"
	"image/color"
	"testing"

	"blog/internal/imagetest"
)

// FuzzClean: whatever bytes arrive, reading an image's kind and size and removing its metadata never panics, and
// what it keeps of an image is never larger than what came. Seeds: every kind the tests make.
func FuzzClean(f *testing.F) {
	for _, seed := range [][]byte{imagetest.PNGWithMetadata(3, 3), imagetest.JPEGWithMetadata(9, 9), imagetest.GIF(2, 2), imagetest.GIFWithComment(3, 3),
		imagetest.WebP(), imagetest.AVIF(10, 10), imagetest.HugePNG(9, 9), []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)} {
		f.Add(seed)
	}
	s := New(nil, Limits{})
	f.Fuzz(func(t *testing.T, b []byte) {
		kind, ok := sniff(b)
		if !ok {
			return
		}
		out, _, _, err := s.clean(kind, b)
		if err == nil && len(out) > len(b)+40 { // a JPEG may gain its orientation's few bytes
			t.Fatalf("%s grew from %d to %d bytes", kind.Label, len(b), len(out))
		}
	})
}

// TestMarkdown: the alternative text stays on one line and cannot close the brackets or the link.
func TestMarkdown(t *testing.T) {
	for alt, want := range map[string]string{
		"":                            "![](/media/u/x.png)",
		"A chart":                     "![A chart](/media/u/x.png)",
		"two\n lines\t here":          "![two lines here](/media/u/x.png)",
		`a ] ( [link](javascript:) \`: `![a \] ( \[link\](javascript:) \\](/media/u/x.png)`,
	} {
		if got := Markdown("x.png", alt); got != want {
			t.Errorf("Markdown(%q) = %q, want %q", alt, got, want)
		}
	}
}

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
		if _, ok := sniff([]byte(svg)); !ok {
			t.Errorf("not taken for an SVG: %s", svg)
			continue
		}
		if err := checkSVG([]byte(svg)); err != nil {
			t.Errorf("%s: %v", svg, err)
		}
	}
}

// BenchmarkCleanCameraJPEG reads the kind and size of a 5-megapixel photograph's JPEG (noise: about 3.7 MB) with
// EXIF, GPS and XMP, and rewrites it without them: the work an upload does besides storing.
func BenchmarkCleanCameraJPEG(b *testing.B) {
	photo := imagetest.AddJPEGMetadata(imagetest.Photo(2560, 1920))
	s := New(nil, Limits{})
	b.SetBytes(int64(len(photo)))
	b.ReportAllocs()
	for b.Loop() {
		kind, _ := sniff(photo)
		if _, _, _, err := s.clean(kind, photo); err != nil {
			b.Fatal(err)
		}
	}
}
