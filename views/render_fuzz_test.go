package views

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"blog/repo"
)

// FuzzCommentRendering renders arbitrary names and comment text and checks that they come back as exactly that
// text, with no element or attribute of their own.
func FuzzCommentRendering(f *testing.F) {
	f.Add("Ann", "Hello\nworld")
	f.Add(`"><script>alert(1)</script>`, `<img src=x onerror=alert(1)>`)
	f.Add("a&amp;b", "</p></li><li hx-get=/x>")
	f.Add("\u202e", "{{ . }} ${x} <!-- -->")
	f.Fuzz(func(t *testing.T, name, body string) {
		in := repo.CommentInput{Username: name, Email: "a@b.co", Body: body}.Normalize()
		if len(in.Validate()) > 0 {
			return // only accepted text is ever rendered
		}
		c := repo.Comment{ID: 7, Username: in.Username, Body: in.Body, State: repo.StatePublished, CreatedAt: time.Now(),
			User: repo.User{Email: in.Email}}
		var buf bytes.Buffer
		if err := Change("p", c, 1).Render(context.Background(), &buf); err != nil {
			t.Fatal(err)
		}
		d, err := goquery.NewDocumentFromReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if got := d.Find(`[data-testid="CommentBody"]`).Text(); strings.TrimSpace(got) != strings.TrimSpace(in.Body) {
			t.Fatalf("body rendered as %q, want %q", got, in.Body)
		}
		if got := d.Find(`[data-testid="CommentAuthor"]`).Text(); got != in.Username {
			t.Fatalf("name rendered as %q, want %q", got, in.Username)
		}
		allowed := map[string]bool{"html": true, "head": true, "body": true, "li": true, "svg": true, "path": true,
			"div": true, "p": true, "span": true, "a": true, "time": true, "ol": true}
		d.Find("*").Each(func(_ int, s *goquery.Selection) {
			tag := goquery.NodeName(s)
			if !allowed[tag] {
				t.Fatalf("unexpected element <%s> from %q / %q", tag, name, body)
			}
			for _, a := range s.Nodes[0].Attr {
				if strings.HasPrefix(a.Key, "on") || strings.HasPrefix(a.Key, "hx-get") || strings.HasPrefix(a.Val, "javascript:") {
					t.Fatalf("injected attribute %s=%q", a.Key, a.Val)
				}
			}
		})
	})
}
