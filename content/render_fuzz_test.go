package content_test

import (
	"strings"
	"testing"

	"golang.org/x/net/html"

	"blog/content"
)

// FuzzRender renders arbitrary Markdown and checks it never fails and never yields script, event handlers or
// javascript: links (raw HTML is not passed through).
func FuzzRender(f *testing.F) {
	f.Add("# Title\n\nSome *text* and `code`.")
	f.Add("<script>alert(1)</script>\n\n[x](javascript:alert(1))")
	f.Add("| a | b |\n|---|---|\n| 1 | 2 |\n\n- [x] done")
	f.Add("![img](\"onerror=alert(1))\n\n<a href=x onclick=y>z</a>")
	f.Add("```go {linenos=table hl_lines=[1,\"2-3\"] linenostart=9}\nx := `<b>`\n```\n\n```klingon {linenos=true}\n<script>\n```")
	f.Add("~~~markdown\n---\na: 1\n---\n```html\n<style>a{}</style><script>x</script>\n```\n~~~")
	f.Fuzz(func(t *testing.T, md string) {
		out, err := content.Render([]byte(md))
		if err != nil {
			t.Fatal(err)
		}
		z := html.NewTokenizer(strings.NewReader(string(out)))
		for {
			tt := z.Next()
			if tt == html.ErrorToken {
				return
			}
			tok := z.Token()
			if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
				continue
			}
			switch tok.Data {
			case "script", "iframe", "object", "embed", "style":
				t.Fatalf("rendered <%s> from %q", tok.Data, md)
			}
			for _, a := range tok.Attr {
				v := strings.ToLower(strings.TrimSpace(a.Val))
				if strings.HasPrefix(a.Key, "on") || ((a.Key == "href" || a.Key == "src") && strings.HasPrefix(v, "javascript:")) {
					t.Fatalf("rendered %s=%q from %q", a.Key, a.Val, md)
				}
			}
		}
	})
}
