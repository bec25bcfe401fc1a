package uploads

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"blog/imagefile"
	"blog/internal/imagetest"
)

// FuzzClean: whatever bytes arrive, reading an image's kind and size and removing its metadata never panics, and
// what it keeps of an image is never larger than what came. Seeds: every kind the tests make.
func FuzzClean(f *testing.F) {
	for _, seed := range [][]byte{imagetest.PNGWithMetadata(3, 3), imagetest.JPEGWithMetadata(9, 9), imagetest.GIF(2, 2), imagetest.GIFWithComment(3, 3),
		imagetest.WebP(), imagetest.AVIF(10, 10), imagetest.HugePNG(9, 9), []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)} {
		f.Add(seed)
	}
	for _, idat := range []bool{false, true} {
		avif, _ := imagetest.AVIFWithMetadata(10, 10, idat)
		f.Add(avif)
	}
	s := New(nil, Limits{})
	f.Fuzz(func(t *testing.T, b []byte) {
		kind, ok := imagefile.Sniff(b)
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

// BenchmarkCleanCameraJPEG reads the kind and size of a 5-megapixel photograph's JPEG (noise: about 3.7 MB) with
// EXIF, GPS and XMP, and rewrites it without them: the work an upload does besides storing.
func BenchmarkCleanCameraJPEG(b *testing.B) {
	photo := imagetest.AddJPEGMetadata(imagetest.Photo(2560, 1920))
	s := New(nil, Limits{})
	b.SetBytes(int64(len(photo)))
	b.ReportAllocs()
	for b.Loop() {
		kind, _ := imagefile.Sniff(photo)
		if _, _, _, err := s.clean(kind, photo); err != nil {
			b.Fatal(err)
		}
	}
}

// TestAVIFLosesItsMetadata: an AVIF file's Exif and XMP items (in the media data or in the meta box's idat) and
// its top-level XMP box are blanked, the image item's bytes and every offset stay as they were, the page after
// the last box goes, and its size still reads. A layout whose metadata cannot be found with certainty is
// refused with a sentence, never stored with it.
func TestAVIFLosesItsMetadata(t *testing.T) {
	for _, idat := range []bool{false, true} {
		file, img := imagetest.AVIFWithMetadata(64, 48, idat)
		if !bytes.Contains(file, []byte(imagetest.Secret)) || func() bool { k, _ := imagefile.Sniff(file); return k != imagefile.AVIF }() {
			t.Fatal("the test file lacks its metadata or is no AVIF")
		}
		s := New(nil, Limits{})
		out, w, h, err := s.clean(imagefile.AVIF, file)
		if err != nil || w != 64 || h != 48 {
			t.Fatalf("idat %v: %v %dx%d", idat, err, w, h)
		}
		if bytes.Contains(out, []byte(imagetest.Secret)) || bytes.Contains(out, []byte("<html>")) || bytes.Contains(out, []byte("rdf:RDF")) {
			t.Fatalf("idat %v: metadata or trailing data kept", idat)
		}
		i := bytes.Index(file, img)
		if len(out) != len(file)-len("<html>"+imagetest.Secret+"</html>") || !bytes.Equal(out[i:i+len(img)], img) ||
			!bytes.Equal(out[:i], blankedAt(file[:i], out[:i])) {
			t.Fatalf("idat %v: the image moved or changed", idat)
		}
	}

	// Data in another file (a data reference) cannot be blanked here: refused.
	file, _ := imagetest.AVIFWithMetadata(8, 8, false)
	at := bytes.Index(file, []byte("iloc")) + 4 + 4 + 2 + 2 + (2 + 2) // past the header, the count and item 1's id and method
	at += 2 + 2 + 4 + 4                                               // the rest of item 1's entry
	at += 2 + 2                                                       // item 2's id and method: its data reference next
	file[at+1] = 1
	_, _, _, err := New(nil, Limits{}).clean(imagefile.AVIF, file)
	var r *Refusal
	if !errors.As(err, &r) || !strings.Contains(r.Msg, "cannot remove it with certainty") {
		t.Fatalf("an Exif item in another file: %v", err)
	}
}

// blankedAt returns want where it is zero and have elsewhere: out may differ from the original only by zeros
// (and the uuid box renamed free).
func blankedAt(orig, out []byte) []byte {
	b := append([]byte{}, orig...)
	for i := range b {
		if out[i] == 0 {
			b[i] = 0
		}
	}
	if j := bytes.Index(b, []byte("uuid")); j >= 0 && bytes.Equal(out[j:j+4], []byte("free")) {
		copy(b[j:], "free")
	}
	return b
}
