package content

import (
	"strings"
	"testing"
)

// TestUploadedImagesGetTheirDarkAddress: an uploaded image in Markdown is shown through a <picture> whose dark
// source is its dark-theme address; other images, and a .dark address written by hand, are left alone.
func TestUploadedImagesGetTheirDarkAddress(t *testing.T) {
	for _, tc := range []struct{ md, want, not string }{
		{"![A chart](/media/u/0123456789abcdef01234567.png)",
			`<picture><source srcset="/media/u/0123456789abcdef01234567.dark.png" media="(prefers-color-scheme: dark)"><img src="/media/u/0123456789abcdef01234567.png" alt="A chart"></picture>`, ""},
		{"![](/media/u/0123456789abcdef01234567.dark.png)", "", "<picture>"},
		{"![x](/media/u/nothex.png)", "", "<picture>"},
		{"![x](https://example.com/media/u/0123456789abcdef01234567.png)", "", "<picture>"},
	} {
		html, err := Render([]byte(tc.md))
		if err != nil {
			t.Fatal(err)
		}
		if tc.want != "" && !strings.Contains(string(html), tc.want) {
			t.Errorf("%s:\n got %s\nwant %s", tc.md, html, tc.want)
		}
		if tc.not != "" && strings.Contains(string(html), tc.not) {
			t.Errorf("%s: got %s, should not contain %s", tc.md, html, tc.not)
		}
	}
}
