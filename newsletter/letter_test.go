package newsletter

import (
	"html/template"
	"strings"
	"testing"

	"blog/content"
	"blog/i18n"
	"blog/repo/subscribers"
)

// TestLetterForMailPrograms: addresses made absolute, dark variants and classes dropped, styles inline, code
// kept as code in the text part; the summary form carries the summary (or the first paragraph) and the link.
func TestLetterForMailPrograms(t *testing.T) {
	p := content.Post{Slug: "a-post", Title: "A <post> & more", Summary: "",
		HTML: template.HTML(`<p>First <em>words</em>, see <a href="/about">about</a> and <a href="https://x.example/y">there</a>.</p>` +
			`<p><picture><source srcset="/media/d.dark.png" media="(prefers-color-scheme: dark)"><img src="/media/d.png" alt="D"></picture></p>` +
			`<pre tabindex="0" class="chroma"><code><span class="k">func</span> main() {}</code></pre>`)}
	full := Letter(i18n.Shipped().For("en"), p, 1, "Field Notes", "https://blog.example/", true)
	for _, want := range []string{`<a href="https://blog.example/about" style=`, `<a href="https://x.example/y" style=`,
		`<img src="https://blog.example/media/d.png" alt="D" style="max-width: 100%; height: auto"/>`,
		`<pre style="background: #f6f8fa`, `<title>A &lt;post&gt; &amp; more</title>`, `href="` + subscribers.Unsubscribe + `"`} {
		if !strings.Contains(full.HTML, want) {
			t.Errorf("HTML lacks %s:\n%s", want, full.HTML)
		}
	}
	for _, unwanted := range []string{"d.dark.png", `class=`, "tabindex"} {
		if strings.Contains(full.HTML, unwanted) {
			t.Errorf("HTML keeps %s:\n%s", unwanted, full.HTML)
		}
	}
	for _, want := range []string{"A <post> & more\n===", "func main() {}", "https://blog.example/posts/a-post", "Unsubscribe: " + subscribers.Unsubscribe} {
		if !strings.Contains(full.Text, want) {
			t.Errorf("text lacks %s:\n%s", want, full.Text)
		}
	}
	if full.Subject != "A <post> & more" || full.Slug != "a-post" || full.PostID != 1 {
		t.Fatalf("letter: %+v", full)
	}
	short := Letter(i18n.Shipped().For("en"), p, 1, "Field Notes", "https://blog.example", false)
	if !strings.Contains(short.HTML, "<p>First words, see about and there.</p>") || strings.Contains(short.HTML, "<pre") ||
		!strings.Contains(short.Text, "Read it on Field Notes: https://blog.example/posts/a-post") {
		t.Fatalf("summary:\n%s\n%s", short.HTML, short.Text)
	}
	p.Summary = "The summary."
	if short = Letter(i18n.Shipped().For("en"), p, 1, "Field Notes", "https://blog.example", false); !strings.Contains(short.Text, "The summary.") {
		t.Fatalf("summary:\n%s", short.Text)
	}
}
