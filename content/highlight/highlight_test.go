package highlight

import (
	"bytes"
	"strings"
	"sync"
	"testing"

	"github.com/yuin/goldmark"
)

func render(t *testing.T, md goldmark.Markdown, src string) string {
	t.Helper()
	var buf bytes.Buffer
	if err := md.Convert([]byte(src), &buf); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestRender covers the renderer's own decisions; testdata/highlight in the content package holds the golden
// output of every attribute form and language, as goldmark-highlighting rendered them.
func TestRender(t *testing.T) {
	md := goldmark.New(goldmark.WithExtensions(New()))
	tests := []struct {
		name, src, want string
	}{
		{"unknown language is plain escaped code", "```klingon\n<b>&amp;</b> \"q\"\n```",
			"<pre><code class=\"language-klingon\">&lt;b&gt;&amp;amp;&lt;/b&gt; &quot;q&quot;\n</code></pre>\n"},
		{"no language is plain code", "```\nx < y\n```", "<pre><code>x &lt; y\n</code></pre>\n"},
		{"nohl keeps the language class", "```go {nohl=true}\nx\n```", "<pre><code class=\"language-go\">x\n</code></pre>\n"},
		{"known language gets chroma's classes", "```go\nx := 1\n```",
			`<pre class="chroma"><code><span class="line"><span class="cl"><span class="nx">x</span><span class="w"> </span>` +
				`<span class="o">:=</span><span class="w"> </span><span class="mi">1</span><span class="w">` + "\n" +
				`</span></span></span></code></pre>`},
		{"no inline style, whatever the attributes", "```go {linenos=table hl_lines=[1] hl_style=monokai}\nx\n```", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := render(t, md, tt.src)
			if strings.Contains(got, "style=") {
				t.Fatalf("inline style in %q", got)
			}
			if tt.want != "" && got != tt.want {
				t.Fatalf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestConcurrentFirstUse renders blocks of the same languages from many goroutines at once, as a reload of the
// content folder may while another renders: each lexer is built once and every rendering is the same (run with
// -race to check the registry needs no locks).
func TestConcurrentFirstUse(t *testing.T) {
	md := goldmark.New(goldmark.WithExtensions(New()))
	src := "```html\n<style>a { color: red }</style><script>let x = 1</script>\n```\n\n" +
		"~~~markdown\n---\nt: 1\n---\n# Hi\n\n```go\nx := `{{.}}`\n```\n~~~\n\n```dockerfile\nRUN echo hi\n```\n"
	var wg sync.WaitGroup
	out := make([]string, 8)
	for i := range out {
		wg.Go(func() { out[i] = render(t, md, src) })
	}
	wg.Wait()
	for i := range out {
		if out[i] != out[0] {
			t.Fatalf("rendering %d differs:\n%s\n%s", i, out[i], out[0])
		}
	}
	if !strings.Contains(out[0], `<span class="nt">style</span>`) || !strings.Contains(out[0], `<span class="nb">echo</span>`) ||
		!strings.Contains(out[0], `<span class="nx">x</span>`) {
		t.Fatalf("nested languages not highlighted: %s", out[0])
	}
}
