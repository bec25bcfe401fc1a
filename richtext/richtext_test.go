package richtext

import (
	"regexp"
	"strings"
	"testing"
)

func TestRender(t *testing.T) {
	tests := []struct{ name, in, format, want string }{
		{"paragraphs and line breaks", "one\ntwo\n\nthree", "markdown", "<p>one<br/>\ntwo</p>\n<p>three</p>"},
		{"emphasis and code", "*a* **b** `c<d>`", "markdown", "<p><em>a</em> <strong>b</strong> <code>c&lt;d&gt;</code></p>"},
		{"link", "[site](https://example.com/x?a=1&b=2)", "markdown", `<a href="https://example.com/x?a=1&amp;b=2" rel="ugc nofollow noopener">site</a>`},
		{"bare URL", "see https://example.com/page.", "markdown", `<a href="https://example.com/page" rel="ugc nofollow noopener">https://example.com/page</a>.`},
		{"www address", "www.example.com", "markdown", `<a href="http://www.example.com" rel="ugc nofollow noopener">www.example.com</a>`},
		{"no javascript links", "[x](javascript:alert(1))", "markdown", "<p>x</p>"},
		{"no headings", "# Big", "markdown", "<p># Big</p>"},
		{"no images", "![cat](https://example.com/cat.png)", "markdown", "<p>cat</p>"},
		{"no raw HTML", `<script>alert(1)</script><b onclick="x">b</b>`, "markdown", "&lt;script&gt;"},
		{"no tables", "| a | b |\n|---|---|\n| 1 | 2 |", "markdown", "<p>| a | b |"},
		{"quote and list", "> said\n\n- one\n- two", "markdown", "<blockquote>\n<p>said</p>\n</blockquote>\n<ul>\n<li>one</li>\n<li>two</li>\n</ul>"},
		{"code block", "```\n<b>x</b>\n```", "markdown", "<pre tabindex=\"0\"><code>&lt;b&gt;x&lt;/b&gt;\n</code></pre>"},
		{"plain text stays plain", "*not emphasis* <b>", "text", "<p>*not emphasis* &lt;b&gt;</p>"},
	}
	for _, tt := range tests {
		got := string(Render(tt.in, tt.format))
		if !strings.Contains(got, tt.want) {
			t.Errorf("%s: Render(%q) = %q, want it to contain %q", tt.name, tt.in, got, tt.want)
		}
	}
	if strings.Contains(string(Render("<script>x</script>", "markdown")), "<script") {
		t.Fatal("raw HTML got through")
	}
	if got := string(Render("<javascript:alert(1)> <vbscript:x>", "markdown")); strings.Contains(got, "<a") {
		t.Fatalf("a script autolink became a link: %s", got)
	}
}

// FuzzRender checks that whatever a comment says, the HTML has no element or attribute beyond the subset, and
// every link carries the rel and a web or mail address.
func FuzzRender(f *testing.F) {
	for _, s := range []string{"*a* [b](https://c) `d`", "<img src=x onerror=alert(1)>", "[x](javascript:1)",
		"![i](http://x/y.png)", "# h\n---\n| t |", "<a href='https://x' onclick=1>y</a>", "``` \n</pre><script>\n```",
		"> q\n\n1. a\n2. b", "www.x.com/<b>", "<mailto:a@b.c>", "a@b.co"} {
		f.Add(s)
	}
	allowed := map[string]bool{"p": true, "br": true, "em": true, "strong": true, "code": true, "pre": true,
		"blockquote": true, "ul": true, "ol": true, "li": true, "a": true}
	tag := regexp.MustCompile(`<(/?)([a-zA-Z0-9]+)([^>]*)>`)
	attr := regexp.MustCompile(`([a-zA-Z-]+)="([^"]*)"`)
	f.Fuzz(func(t *testing.T, body string) {
		out := string(Render(body, "markdown"))
		for _, m := range tag.FindAllStringSubmatch(out, -1) {
			if !allowed[strings.ToLower(m[2])] {
				t.Fatalf("element <%s> from %q: %s", m[2], body, out)
			}
			for _, a := range attr.FindAllStringSubmatch(m[3], -1) {
				switch {
				case m[2] == "a" && a[1] == "href" && (strings.HasPrefix(a[2], "http://") || strings.HasPrefix(a[2], "https://") || strings.HasPrefix(a[2], "mailto:")):
				case m[2] == "a" && a[1] == "rel" && a[2] == LinkRel:
				case m[2] == "ol" && a[1] == "start":
				case m[2] == "pre" && a[1] == "tabindex" && a[2] == "0":
				default:
					t.Fatalf("attribute %s=%q on <%s> from %q", a[1], a[2], m[2], body)
				}
			}
			if m[2] == "a" && m[1] == "" && !strings.Contains(m[3], `rel="`+LinkRel+`"`) {
				t.Fatalf("link without rel from %q: %s", body, out)
			}
		}
	})
}

// BenchmarkRender measures one comment of a few hundred characters with paragraphs, a link and emphasis, the
// size readers write.
func BenchmarkRender(b *testing.B) {
	body := strings.Repeat("I tried the approach from the post on a *real* project and it held up: see "+
		"https://example.com/notes/2026/ for the numbers, and [the follow-up](https://example.org/a?b=c).\n\n", 3)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		Render(body, "markdown")
	}
}
