package load

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"blog/cmd/bench/harness"
)

// DeskPost returns a Markdown post of about words words with a code block (Go, Python or JavaScript, in turn)
// after every 500 words of prose, as a long technical post is.
func DeskPost(words int) string {
	var b strings.Builder
	b.WriteString("An introduction in **Markdown**, with [a link](https://example.com) and `code`.\n\n")
	blocks := []string{
		"```go\npackage main\n\nimport \"fmt\"\n\n// Sum adds the numbers.\nfunc Sum(xs []int) (n int) {\n\tfor _, x := range xs {\n\t\tn += x\n\t}\n\treturn n\n}\n\nfunc main() { fmt.Println(Sum([]int{1, 2, 3})) }\n```\n\n",
		"```python\nimport sys\n\ndef mean(xs):\n    \"\"\"The mean of xs.\"\"\"\n    return sum(xs) / len(xs) if xs else 0.0\n\nif __name__ == \"__main__\":\n    print(mean([float(a) for a in sys.argv[1:]]))\n```\n\n",
		"```js\nexport async function load(url) {\n  const res = await fetch(url, { headers: { Accept: \"application/json\" } });\n  if (!res.ok) throw new Error(`status ${res.status}`);\n  return res.json();\n}\n```\n\n",
	}
	n := 0
	for i := 0; n < words; i++ {
		b.WriteString(harness.RealisticComment(i))
		n += len(strings.Fields(harness.RealisticComment(i)))
		if i%4 == 3 {
			b.WriteString("\n\n")
		} else {
			b.WriteString(" ")
		}
		if n/500 > (n-len(strings.Fields(harness.RealisticComment(i))))/500 {
			b.WriteString("\n\n## A section\n\n" + blocks[(n/500)%len(blocks)])
		}
	}
	return b.String()
}

// MeasureDeskPreview measures the desk's live preview as the owner's editor asks for it (htmx, the whole body of a
// 5,000-word post with code blocks), one request after another as one owner types, for dur.
func MeasureDeskPreview(srv *harness.Server, binary string, dur time.Duration) harness.Row {
	name := "desk preview, 5,000-word post with code blocks"
	o, err := harness.SignInOwner(srv, binary)
	if err != nil {
		return harness.Row{Name: name, Note: err.Error()}
	}
	body := DeskPost(5000)
	form := url.Values{"body": {body}}.Encode()
	// Each request's text differs from the last by the word typed at its end, as typing makes it; the code
	// blocks stay as they were.
	preview := func(i int) error {
		form := url.Values{"body": {body + fmt.Sprintf(" typed%d", i)}}.Encode()
		req, _ := http.NewRequest(http.MethodPost, srv.Base+"/admin/posts/preview", strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("HX-Request", "true")
		req.Header.Set("X-CSRF-Token", o.Token)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.Header.Set("Origin", srv.Base)
		resp, err := o.HTTP.Do(req)
		if err != nil {
			return err
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(out), `class="chroma"`) {
			return fmt.Errorf("preview: status %d: %.200s", resp.StatusCode, out)
		}
		return nil
	}
	start := time.Now()
	if err := preview(0); err != nil { // the languages' lexers are built on first use, the blocks highlighted
		return harness.Row{Name: name, Note: err.Error()}
	}
	first := time.Since(start)
	rps, lat, errs := harness.Hammer(1, dur, func(_, i int) error { return preview(i + 1) })
	return harness.Row{Name: name, Value: rps, Unit: "req/s", P50ms: harness.Percentile(lat, .5), P99ms: harness.Percentile(lat, .99),
		Note: fmt.Sprintf("%d KB of Markdown form-encoded to %d KB, one owner typing (a word more each time); first preview %.1f ms; target p99 < 50 ms; %d errors",
			len(body)>>10, len(form)>>10, float64(first.Microseconds())/1000, errs)}
}
