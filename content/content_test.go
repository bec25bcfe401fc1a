package content_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"blog/content"
)

func TestEmbeddedSampleContent(t *testing.T) {
	lib, err := content.Load(content.Embedded())
	if err != nil {
		t.Fatal(err)
	}
	if len(lib.Posts) < 2 || len(lib.Pages) < 1 {
		t.Fatalf("posts %d, pages %d", len(lib.Posts), len(lib.Pages))
	}
	for i := 1; i < len(lib.Posts); i++ {
		if lib.Posts[i].Date.After(lib.Posts[i-1].Date) {
			t.Fatal("posts are not newest first")
		}
	}
	if _, ok := lib.PostBySlug("upcoming"); ok {
		t.Fatal("a draft is published")
	}
	about, ok := lib.PageBySlug("about")
	if !ok || about.Title != "About" {
		t.Fatal("no About page")
	}
	p, _ := lib.PostBySlug("writing-posts")
	for _, want := range []string{"<table>", `<input checked="" disabled="" type="checkbox"`, "<del>"} {
		if !strings.Contains(string(p.HTML), want) {
			t.Errorf("GitHub-flavoured Markdown: %q missing from rendered post", want)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name, file, src, wantErr string
	}{
		{"no front matter", "posts/2026-01-01-a.md", "# hi", "must start with front matter"},
		{"unclosed front matter", "posts/2026-01-01-a.md", "---\ntitle: x\n", "not closed"},
		{"bad yaml", "posts/2026-01-01-a.md", "---\ntitle: [x\n---\n", "front matter"},
		{"no title", "posts/2026-01-01-a.md", "---\ndate: 2026-01-01\n---\nbody", "needs a title"},
		{"no date", "posts/a.md", "---\ntitle: A\n---\nbody", "needs a date"},
		{"bad slug", "posts/2026-01-01-Hello World.md", "---\ntitle: A\ndate: 2026-01-01\n---\n", "lower-case words"},
		{"bad lang", "posts/2026-01-01-a.md", "---\ntitle: A\ndate: 2026-01-01\nlang: english please\n---\n", "is not a language tag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			good := "posts/2026-01-02-fine.md"
			lib, err := content.Load(fstest.MapFS{tt.file: {Data: []byte(tt.src)},
				good: {Data: []byte("---\ntitle: Fine\ndate: 2026-01-02\n---\nStill here.")}})
			if err != nil {
				t.Fatalf("one bad file stopped the load: %v", err)
			}
			if len(lib.Problems) != 1 || !strings.Contains(lib.Problems[0].String(), tt.wantErr) || lib.Problems[0].File != tt.file {
				t.Fatalf("problems = %v, want one naming %s and saying %q", lib.Problems, tt.file, tt.wantErr)
			}
			if len(lib.Posts) != 1 || lib.Posts[0].Slug != "fine" {
				t.Fatalf("the good post was not kept: %+v", lib.Posts)
			}
		})
	}
}

func TestRawHTMLIsNotPassedThrough(t *testing.T) {
	html, err := content.Render([]byte("hi <script>alert(1)</script>\n\n[x](javascript:alert(1))"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(html), "<script") || strings.Contains(string(html), "javascript:") {
		t.Fatalf("unsafe output: %s", html)
	}
}
