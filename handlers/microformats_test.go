package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"willnorris.com/go/microformats"

	"blog/repo"
)

// parseMF2 reads a page of the real router as a Webmention receiver or reader would, from its address.
func parseMF2(t *testing.T, a *testApp, path string) *microformats.Data {
	t.Helper()
	resp, body := a.do(t, httpReq(http.MethodGet, path, nil))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", path, resp.StatusCode)
	}
	base, _ := url.Parse("http://blog.test" + path)
	return microformats.Parse(strings.NewReader(body), base)
}

func firstString(props map[string][]any, name string) string {
	if len(props[name]) == 0 {
		return ""
	}
	switch v := props[name][0].(type) {
	case string:
		return v
	case map[string]string: // e-* properties: {"html": ..., "value": ...}
		return v["value"]
	case *microformats.Microformat:
		return v.Value
	}
	return ""
}

func hasType(m *microformats.Microformat, typ string) bool {
	for _, t := range m.Type {
		if t == typ {
			return true
		}
	}
	return false
}

// TestPagesReadAsMicroformats parses the real rendered pages with willnorris.com/go/microformats, as another site
// reading a post does: the post page is one h-entry with its name, address, summary, author (an h-card),
// publication date, tags and content, and its comments are p-comment h-cites with their author, text, date,
// address and what they answer (the post, or the comment they reply to); a comment from another site gives the
// original's address. The home page is an h-feed of h-entries with their names, addresses, dates and summaries.
func TestPagesReadAsMicroformats(t *testing.T) {
	a := newTestApp(t)
	ctx := context.Background()
	const slug = "hello-world"
	post := a.postID(t, slug)
	top, _, err := a.store.CreateComment(ctx, repo.NewComment{PostID: post, Input: repo.CommentInput{Username: "Ada",
		Email: "ada@example.com", Body: "A first *comment*."}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.store.CreateComment(ctx, repo.NewComment{PostID: post, ParentID: top.ID,
		Input: repo.CommentInput{Username: "Bob", Email: "bob@example.com", Body: "An answer."}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.store.CreateComment(ctx, repo.NewComment{PostID: post, Input: repo.CommentInput{Username: "Cy",
		Email: "webmention@cy.example", Body: "From my blog."}, SourceURL: "https://cy.example/notes/1", MentionKind: repo.MentionReply}); err != nil {
		t.Fatal(err)
	}
	a.settle(t)

	postURL := "http://blog.test/posts/" + slug
	d := parseMF2(t, a, "/posts/"+slug)
	var entries []*microformats.Microformat
	for _, it := range d.Items {
		if hasType(it, "h-entry") {
			entries = append(entries, it)
		}
	}
	if len(entries) != 1 {
		t.Fatalf("%d top-level h-entries on the post page, want 1 (items %+v)", len(entries), d.Items)
	}
	e := entries[0].Properties
	for name, want := range map[string]string{"name": "Hello, world", "url": postURL, "uid": postURL,
		"summary": "Why this blog exists, and why its comments arrive while you read.", "category": "meta"} {
		if got := firstString(e, name); got != want {
			t.Errorf("h-entry %s = %q, want %q", name, got, want)
		}
	}
	if got := firstString(e, "published"); !strings.HasPrefix(got, "2026-11-02") {
		t.Errorf("published = %q", got)
	}
	if got := firstString(e, "content"); !strings.Contains(got, "Welcome to the blog.") || strings.Contains(got, "Ada") {
		t.Errorf("content = %.120q: want the post's text only", got)
	}
	if len(e["author"]) != 1 {
		t.Fatalf("author %+v", e["author"])
	}
	author, ok := e["author"][0].(*microformats.Microformat)
	if !ok || !hasType(author, "h-card") || firstString(author.Properties, "name") != "Test Blog" ||
		firstString(author.Properties, "url") != "http://blog.test/" {
		t.Errorf("author %+v, want the h-card of Test Blog at http://blog.test/", e["author"][0])
	}
	comments := map[string]map[string][]any{}
	for _, c := range e["comment"] {
		m, ok := c.(*microformats.Microformat)
		if !ok || !hasType(m, "h-cite") {
			t.Fatalf("comment %+v is not an h-cite", c)
		}
		a, _ := m.Properties["author"][0].(*microformats.Microformat)
		if a == nil || !hasType(a, "h-card") {
			t.Fatalf("comment author %+v", m.Properties["author"])
		}
		comments[firstString(a.Properties, "name")] = m.Properties
	}
	if len(comments) != 3 {
		t.Fatalf("comments %v, want Ada's, Bob's and Cy's", comments)
	}
	for name, want := range map[string]struct{ content, url, inReplyTo string }{
		"Ada": {"A first comment.", postURL + "#comment-" + itoa(top.ID), postURL},
		"Bob": {"An answer.", "", postURL + "#comment-" + itoa(top.ID)},
		"Cy":  {"From my blog.", "https://cy.example/notes/1", postURL},
	} {
		c := comments[name]
		if got := firstString(c, "content"); got != want.content {
			t.Errorf("%s's content %q, want %q", name, got, want.content)
		}
		if got := firstString(c, "url"); want.url != "" && got != want.url {
			t.Errorf("%s's url %q, want %q", name, got, want.url)
		}
		if got := firstString(c, "in-reply-to"); got != want.inReplyTo {
			t.Errorf("%s's in-reply-to %q, want %q", name, got, want.inReplyTo)
		}
		if firstString(c, "published") == "" {
			t.Errorf("%s's comment has no published date", name)
		}
	}

	home := parseMF2(t, a, "/")
	var feed *microformats.Microformat
	for _, it := range home.Items {
		if hasType(it, "h-feed") {
			feed = it
		}
	}
	if feed == nil || len(feed.Children) < 2 {
		t.Fatalf("no h-feed of entries on the home page: %+v", home.Items)
	}
	seen := false
	for _, c := range feed.Children {
		p := c.Properties
		if !hasType(c, "h-entry") || firstString(p, "name") == "" || !strings.HasPrefix(firstString(p, "url"), "http://blog.test/posts/") ||
			firstString(p, "published") == "" {
			t.Errorf("feed entry %+v", c)
		}
		if firstString(p, "url") == postURL {
			seen = true
			if firstString(p, "summary") != "Why this blog exists, and why its comments arrive while you read." || firstString(p, "category") != "meta" {
				t.Errorf("the post's entry in the feed: %+v", p)
			}
		}
	}
	if !seen {
		t.Errorf("the post is not in the home page's h-feed")
	}
}
