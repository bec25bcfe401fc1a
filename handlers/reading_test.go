package handlers_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"testing/fstest"

	"blog/database"
	"blog/handlers"
	posthandlers "blog/handlers/posts"
	"blog/publish"
	"blog/repo/posts"
)

// withPosts serves n generated posts, tagged "even" or "odd", one a day, plus a draft.
func withPosts(t *testing.T, db *database.DB, n int) appOption {
	fsys := fstest.MapFS{"pages/about.md": {Data: []byte("---\ntitle: About\n---\nAbout.")},
		"posts/2026-12-31-secret.md": {Data: []byte("---\ntitle: Not yet\ndate: 2026-12-31\ndraft: true\n---\nDraft text.")}}
	for i := 1; i <= n; i++ {
		tag := "odd"
		if i%2 == 0 {
			tag = "even"
		}
		fsys[fmt.Sprintf("posts/2026-%02d-%02d-post-%d.md", 1+i/28, 1+i%28, i)] = &fstest.MapFile{Data: []byte(fmt.Sprintf(
			"---\ntitle: Post %d\ndate: 2026-%02d-%02d\ntags: [%s, Go tips]\n---\n%s", i, 1+i/28, 1+i%28, tag, strings.Repeat("word ", 460)))}
	}
	site, err := publish.Open(context.Background(), fsys, posts.NewPosts(db), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return func(c *handlers.Config) { c.Content = site }
}

func TestPagingTagsArchiveAndNeighbours(t *testing.T) {
	base := newTestApp(t)
	a := newTestAppOn(t, base.db, withPosts(t, base.db, 23))
	home := doc(t, a.page(t, "/"))
	if n := home.Find(`[data-testid="PostSummary"]`).Length(); n != posthandlers.PostsPerPage {
		t.Fatalf("home lists %d posts, want %d", n, posthandlers.PostsPerPage)
	}
	if home.Find(`[data-testid="Pager"] a[rel="next"][href="/page/2"]`).Length() != 1 || home.Find(`a[rel="prev"]`).Length() != 0 {
		t.Fatal("home has no link to page 2")
	}
	last := doc(t, a.page(t, "/page/3"))
	if n := last.Find(`[data-testid="PostSummary"]`).Length(); n != 3 || !strings.Contains(last.Text(), "Page 3 of 3") ||
		last.Find(`a[rel="prev"][href="/page/2"]`).Length() != 1 {
		t.Fatalf("page 3: %d posts", n)
	}
	for _, path := range []string{"/page/4", "/page/1", "/page/0", "/tags/nope", "/tags/nope/feed.xml"} {
		if resp, _ := a.get(t, path); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, resp.StatusCode)
		}
	}
	// Tags: linked from posts, a page and a feed each; "Go tips" is /tags/go-tips.
	post := doc(t, a.page(t, "/posts/post-7"))
	if post.Find(`a[data-testid="Tag"][href="/tags/odd"]`).Length() != 1 || post.Find(`a[data-testid="Tag"][href="/tags/go-tips"]`).Length() != 1 {
		t.Fatal("the post's tags are not links")
	}
	if !strings.Contains(post.Text(), "2 min read") {
		t.Fatalf("reading time: %q", post.Find(`header p`).Text())
	}
	older, _ := post.Find(`[data-testid="Neighbours"] a[rel="prev"]`).Attr("href")
	newer, _ := post.Find(`[data-testid="Neighbours"] a[rel="next"]`).Attr("href")
	if older != "/posts/post-6" || newer != "/posts/post-8" {
		t.Fatalf("neighbours: %q %q", older, newer)
	}
	tag := doc(t, a.page(t, "/tags/odd"))
	if n := tag.Find(`[data-testid="PostSummary"]`).Length(); n != 12 || tag.Find(`link[rel="alternate"][href="/tags/odd/feed.xml"]`).Length() != 1 {
		t.Fatalf("tag page: %d posts", n)
	}
	resp, body := a.get(t, "/tags/go-tips/feed.xml")
	var feed struct {
		Title   string `xml:"title"`
		Entries []struct {
			Title string `xml:"title"`
		} `xml:"entry"`
	}
	if resp.StatusCode != 200 || xml.Unmarshal([]byte(body), &feed) != nil || len(feed.Entries) != 23 || feed.Title != "Test Blog: Go tips" {
		t.Fatalf("tag feed: %d %q %d entries", resp.StatusCode, feed.Title, len(feed.Entries))
	}
	tags := doc(t, a.page(t, "/tags"))
	if tags.Find(`a[href="/tags/even"]`).Length() != 1 {
		t.Fatal("the tag index does not list every tag")
	}
	archive := doc(t, a.page(t, "/archive"))
	if n := archive.Find(`section[aria-labelledby^="year-"] li`).Length(); n != 23 || archive.Find(`h2#year-2026`).Length() != 1 {
		t.Fatalf("archive lists %d posts", n)
	}
	// The current section is marked in the header.
	if cur, _ := archive.Find(`nav[aria-label="Main"] a[aria-current="page"]`).Attr("href"); cur != "/archive" {
		t.Fatalf("current section on the archive: %q", cur)
	}
	if cur, _ := post.Find(`nav[aria-label="Main"] a[aria-current="true"]`).Attr("href"); cur != "/" {
		t.Fatalf("current section on a post: %q", cur)
	}
	if cur, _ := doc(t, a.page(t, "/about")).Find(`nav[aria-label="Main"] a[aria-current="page"]`).Attr("href"); cur != "/about" {
		t.Fatalf("current section on a page: %q", cur)
	}
	// Drafts: 404 for readers, a preview for the signed-in owner.
	if resp, _ := a.get(t, "/posts/secret"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("a draft is served to readers: %d", resp.StatusCode)
	}
	o := a.owner(t)
	resp, body = o.get(t, "/posts/secret")
	d := doc(t, body)
	if resp.StatusCode != 200 || d.Find(`[data-testid="DraftPage"]`).Length() != 1 || d.Find(`meta[name="robots"][content="noindex"]`).Length() != 1 ||
		!strings.Contains(resp.Header.Get("Cache-Control"), "no-store") || d.Find(`#comment-form`).Length() != 0 {
		t.Fatalf("draft preview: %d", resp.StatusCode)
	}
}

func TestSiteSettingsInPages(t *testing.T) {
	a := newTestApp(t, func(c *handlers.Config) {
		c.Chrome = handlers.SiteChrome(handlers.Site{Title: "Test Blog", Author: "Ada Lovelace", Tagline: "Notes on engines.",
			Footer: "Written in London."}, "https://blog.test", c.Assets)
	})
	home := doc(t, a.page(t, "/"))
	if home.Find(`[data-testid="Tagline"]`).Text() != "Notes on engines." || !strings.Contains(home.Find("footer").Text(), "Written in London.") {
		t.Fatal("tagline or footer not shown")
	}
	if d, _ := home.Find(`meta[name="description"]`).Attr("content"); d != "Notes on engines." {
		t.Fatalf("description %q", d)
	}
	if au, _ := home.Find(`meta[name="author"]`).Attr("content"); au != "Ada Lovelace" {
		t.Fatalf("author %q", au)
	}
	img, _ := home.Find(`meta[property="og:image"]`).Attr("content")
	if !strings.HasPrefix(img, "https://blog.test/assets/share.png?v=") {
		t.Fatalf("default share image %q", img)
	}
	if resp, _ := a.get(t, strings.TrimPrefix(img, "https://blog.test")); resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("share image: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	font, _ := home.Find(`link[rel="preload"][as="font"]`).Attr("href")
	if resp, _ := a.get(t, font); resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "font/woff2" ||
		!strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
		t.Fatalf("font %s: %d %s %s", font, resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"))
	}
}

func TestConsoleNamesSkippedContentFiles(t *testing.T) {
	base := newTestApp(t)
	fsys := fstest.MapFS{"posts/2026-01-01-good.md": {Data: []byte("---\ntitle: Good\ndate: 2026-01-01\n---\nFine.")},
		"posts/2026-01-02-bad.md": {Data: []byte("---\ntitle: [oops\n---\n")}}
	site, err := publish.Open(context.Background(), fsys, posts.NewPosts(base.db), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	a := newTestAppOn(t, base.db, func(c *handlers.Config) { c.Content = site })
	if status, _ := a.get(t, "/posts/good"); status.StatusCode != 200 {
		t.Fatal("the good post is not served")
	}
	page := doc(t, a.owner(t).page(t, "/admin"))
	if p := page.Find(`[data-testid="ContentProblems"]`).Text(); !strings.Contains(p, "posts/2026-01-02-bad.md") {
		t.Fatalf("console does not name the skipped file: %q", p)
	}
}
