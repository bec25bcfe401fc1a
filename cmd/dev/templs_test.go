package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	templruntime "github.com/a-h/templ/runtime"
)

// TestGeneratesAsTemplGenerate: make dev generates every templ file of the tree exactly as templ generate wrote
// it (make check keeps the committed files so), so its fast path for text edits is on.
func TestGeneratesAsTemplGenerate(t *testing.T) {
	t.Setenv(textRoot, "")
	root := repoRoot(t)
	wd, _ := os.Getwd()
	if err := os.Chdir(root); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	x, err := newTempls(t.TempDir(), ".")
	if err != nil || !x.fast || len(x.now) == 0 {
		t.Fatalf("%d templ files, fast %v (%s), %v", len(x.now), x != nil && x.fast, x.why, err)
	}
}

// TestTemplEditsAreTold: an edit of a template's text is served without a build and writes the text the blog
// reads; an edit of its Go needs one, and its text is written only once the build is done; a file saved again
// as it was needs nothing; the Go file is always what templ generate would write, and its change event is known
// as make dev's own.
func TestTemplEditsAreTold(t *testing.T) {
	t.Setenv(textRoot, "")
	dir := t.TempDir()
	wd, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	os.Mkdir("views", 0o755)
	page := func(words, expr string) string {
		return "package views\n\ntempl Page(name string) {\n\t<p class=\"" + words + "\">{ " + expr + " }</p>\n}\n"
	}
	path := filepath.Join("views", "page.templ")
	os.WriteFile(path, []byte(page("first", "name")), 0o644)
	code, _, err := generate(path, []byte(page("first", "name")))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(goFileOf(path), code, 0o644)
	x, err := newTempls(t.TempDir(), ".")
	if err != nil || !x.fast {
		t.Fatalf("fast %v: %v", x.fast, err)
	}
	x.builtFrom(x.building())
	text := func() string {
		abs, _ := filepath.Abs(path)
		b, _ := os.ReadFile(templruntime.GetDevModeTextFileName(abs))
		return string(b)
	}
	run := func(name string, args ...string) ([]byte, error) { return exec.Command(name, args...).CombinedOutput() }
	edit := func(words, expr string, wantBuild, wantText bool) {
		t.Helper()
		os.WriteFile(path, []byte(page(words, expr)), 0o644)
		build, textOnly, err := x.edited(path, run)
		if err != nil || build != wantBuild || textOnly != wantText {
			t.Fatalf("%s, %s: build %v, text only %v, %v; want %v, %v", words, expr, build, textOnly, err, wantBuild, wantText)
		}
		want, _, _ := generate(path, []byte(page(words, expr)))
		if got, _ := os.ReadFile(goFileOf(path)); string(got) != string(want) || !x.ours(goFileOf(path)) {
			t.Fatalf("%s, %s: the Go file is not what templ generate writes, or not known as written here", words, expr)
		}
	}
	edit("second", "name", false, true)
	if !strings.Contains(text(), "second") {
		t.Fatalf("the text file holds %q", text())
	}
	edit("second", "name", false, false)
	edit("third", "name + \"!\"", true, false)
	if strings.Contains(text(), "third") {
		t.Fatal("the text of an edit that needs a build was written before it was built")
	}
	x.builtFrom(x.building())
	if !strings.Contains(text(), "third") {
		t.Fatalf("after the build, the text file holds %q", text())
	}
	edit("fourth", "name + \"!\"", false, true)
	os.WriteFile(goFileOf(path), []byte("package views\n"), 0o644)
	if x.ours(goFileOf(path)) {
		t.Fatal("a Go file written by someone else taken for make dev's own")
	}
}
