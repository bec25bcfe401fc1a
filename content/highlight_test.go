package content_test

import (
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"blog/content"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/highlight")

// TestHighlightGolden renders each testdata/highlight/*.md and compares the HTML with the .html beside it. The
// golden files were written by goldmark-highlighting (the highlighter before ours) and are the promise that posts
// render as they did: the same CSS classes, line numbers, highlighted lines and plain fallbacks (since then
// every <pre> also carries tabindex="0", so a keyboard can scroll it).
func TestHighlightGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/highlight/*.md")
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, in := range inputs {
		t.Run(filepath.Base(in), func(t *testing.T) {
			md, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			got, err := content.Render(md)
			if err != nil {
				t.Fatal(err)
			}
			golden := strings.TrimSuffix(in, ".md") + ".html"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Errorf("%s differs from %s:\n%s", in, golden, firstDifference(string(want), string(got)))
			}
		})
	}
}

// firstDifference shows the first line where two renderings part, with its neighbours.
func firstDifference(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		if i < len(w) && i < len(g) && w[i] == g[i] {
			continue
		}
		at := func(lines []string) string {
			if i < len(lines) {
				return lines[i]
			}
			return "(end)"
		}
		return "line " + strconv.Itoa(i+1) + "\nwant: " + at(w) + "\ngot:  " + at(g)
	}
	return "(no line differs)"
}
