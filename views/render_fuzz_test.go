package views

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"blog/repo"
	"blog/richtext"
)

// FuzzCommentRendering renders arbitrary names and comment text, as the plain text of comments from before
// Markdown and as Markdown rendered and stored the way every comment now is, and checks that the name comes back
// as exactly that text, plain text as exactly itself, Markdown as the comment subset only (its elements, links
// with the blog's rel and a web or mail address), and nothing with an element or attribute of its own.
func FuzzCommentRendering(f *testing.F) {
	f.Add("Ann", "Hello\nworld", false)
	f.Add(`"><script>alert(1)</script>`, `<img src=x onerror=alert(1)>`, true)
	f.Add("a&amp;b", "</p></li><li hx-get=/x>", true)
	f.Add("\u202e", "{{ . }} ${x} <!-- -->", false)
	f.Add("Bo", "> *quote* [x](javascript:alert(1)) <https://ok.example/?a=\"b> `<b>`", true)
	f.Add("Cy", strings.Repeat("> ", 40)+"deep\n\n- a\n  - b\n\n```\n</code><script>\n```", true)
	f.Fuzz(func(t *testing.T, name, body string, markdown bool) {
		in := repo.CommentInput{Username: name, Email: "a@b.co", Body: body}.Normalize()
		if len(in.Validate()) > 0 {
			return // only accepted text is ever rendered
		}
		c := repo.Comment{ID: 7, Username: in.Username, Body: in.Body, State: repo.StatePublished, CreatedAt: time.Now(),
			User: repo.User{Email: in.Email}, Format: repo.FormatText}
		if markdown {
			// As the store writes it: rendered once, kept with the comment.
			c.Format, c.HTML, c.HTMLVersion = repo.FormatMarkdown, string(richtext.Render(in.Body, repo.FormatMarkdown)), richtext.Version
		}
		var buf bytes.Buffer
		if err := Change("p", c, 1).Render(context.Background(), &buf); err != nil {
			t.Fatal(err)
		}
		d, err := goquery.NewDocumentFromReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if got := d.Find(`[data-testid="CommentBody"]`).Text(); !markdown && strings.TrimSpace(got) != strings.TrimSpace(in.Body) {
			t.Fatalf("body rendered as %q, want %q", got, in.Body)
		}
		if got := d.Find(`[data-testid="CommentAuthor"]`).Text(); got != in.Username {
			t.Fatalf("name rendered as %q, want %q", got, in.Username)
		}
		allowed := map[string]bool{"html": true, "head": true, "body": true, "li": true, "svg": true, "path": true,
			"div": true, "p": true, "span": true, "a": true, "time": true, "ol": true,
			// The reaction bar's form and buttons (ours, outside the text; checked below that the text has none).
			"form": true, "input": true, "button": true,
			// The microformats2 reply-to address (ours, outside the text).
			"data": true}
		if d.Find(`[data-testid="CommentBody"]`).Find("form, input, button, data").Length() > 0 {
			t.Fatalf("a form control in the text from %q / %q", name, body)
		}
		if markdown {
			for _, tag := range []string{"br", "em", "strong", "code", "pre", "blockquote", "ul"} {
				allowed[tag] = true
			}
			d.Find(`[data-testid="CommentBody"] a`).Each(func(_ int, a *goquery.Selection) {
				href, _ := a.Attr("href")
				rel, _ := a.Attr("rel")
				if rel != richtext.LinkRel || !(strings.HasPrefix(href, "https://") || strings.HasPrefix(href, "http://") ||
					strings.HasPrefix(href, "mailto:")) {
					t.Fatalf("link %q rel %q from %q", href, rel, body)
				}
			})
		}
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
		// Whatever the text, the comment rendered once for a change (CommentHTML) makes the same event and the
		// same conversation as the templates do, as a top-level comment and as a reply.
		reply := c
		reply.ID, reply.ThreadID, reply.ParentID = 8, &c.ID, &c.ID
		samePieces(t, ThreadView{Top: c, Replies: []repo.Comment{reply}, After: 8})
	})
}
