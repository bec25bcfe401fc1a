package handlers_test

import (
	"context"
	"encoding/xml"
	"errors"
	"net/http"

	"github.com/PuerkitoBio/goquery"

	"blog/handlers"
	"strings"
	"testing"
)

func TestPages(t *testing.T) {
	a := newTestApp(t)
	tests := []struct {
		name       string
		path       string
		wantStatus int
		wantTestID string
		wantText   string
	}{
		{"home lists posts", "/", 200, "HomePage", "How live comments work"},
		{"post shows article", "/posts/hello-world", 200, "PostPage", "Comments that show up by themselves"},
		{"post shows empty state", "/posts/hello-world", 200, "EmptyComments", "Be the first to comment."},
		{"post shows form", "/posts/hello-world", 200, "CommentForm", "Post comment"},
		{"about page", "/about", 200, "StaticPage", "personal blog"},
		{"unknown post", "/posts/no-such-post", 404, "ErrorPage", "Page not found"},
		{"unknown page", "/no-such-page", 404, "ErrorPage", "Page not found"},
		{"unknown deep path", "/a/b/c", 404, "ErrorPage", "Page not found"},
		{"events of unknown post", "/posts/nope/events", 404, "ErrorPage", "Page not found"},
		{"drafts are not served", "/posts/upcoming", 404, "ErrorPage", "Page not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := a.get(t, tt.path)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("content type = %q", ct)
			}
			sel := doc(t, body).Find(`[data-testid="` + tt.wantTestID + `"]`)
			if sel.Length() == 0 {
				t.Fatalf("no element with data-testid=%s", tt.wantTestID)
			}
			if !strings.Contains(sel.Text(), tt.wantText) {
				t.Fatalf("%s text does not contain %q: %q", tt.wantTestID, tt.wantText, sel.Text())
			}
		})
	}
}

func TestFormFieldsAreLabelled(t *testing.T) {
	a := newTestApp(t)
	body := a.page(t, "/posts/hello-world")
	d := doc(t, body)
	for _, name := range []string{"username", "email", "body"} {
		field := d.Find(`#comment-form [name="` + name + `"]`)
		id, _ := field.Attr("id")
		if field.Length() != 1 || id == "" {
			t.Fatalf("field %s missing or without id", name)
		}
		if d.Find(`label[for="`+id+`"]`).Length() != 1 {
			t.Errorf("field %s has no label", name)
		}
	}
}

func TestHomeShowsCommentCounts(t *testing.T) {
	a := newTestApp(t)
	for i := 0; i < 2; i++ {
		if resp, _ := a.postComment(t, "hello-world", form("Ann", "ann@example.com", "hi"), false); resp.StatusCode != 303 {
			t.Fatalf("post status = %d", resp.StatusCode)
		}
	}
	body := a.page(t, "/")
	d := doc(t, body)
	var got []string
	d.Find(`[data-testid="PostSummary"]`).Each(func(_ int, s *goquery.Selection) {
		got = append(got, strings.TrimSpace(s.Find(`[data-testid="CommentCount"]`).Text()))
	})
	want := "No comments yet,No comments yet,2 comments" // newest first; hello-world is the oldest post
	if strings.Join(got, ",") != want {
		t.Fatalf("counts = %v, want %s", got, want)
	}
}

func TestAssets(t *testing.T) {
	a := newTestApp(t)
	body := a.page(t, "/")
	href, ok := doc(t, body).Find(`link[rel="stylesheet"]`).Attr("href")
	if !ok || !strings.Contains(href, "?v=") {
		t.Fatalf("stylesheet href = %q, want a fingerprinted URL", href)
	}
	resp, css := a.get(t, href)
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") || len(css) < 1000 {
		t.Fatalf("css: status %d, cache %q, %d bytes", resp.StatusCode, resp.Header.Get("Cache-Control"), len(css))
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Errorf("css content type = %q", ct)
	}
	stale, _ := a.get(t, "/assets/dist/app.css?v=old")
	if stale.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("stale fingerprint cache-control = %q, want no-cache", stale.Header.Get("Cache-Control"))
	}
	req, _ := http.NewRequest(http.MethodGet, href, nil)
	req.Header.Set("If-None-Match", resp.Header.Get("ETag"))
	if r, _ := a.do(t, req); r.StatusCode != http.StatusNotModified {
		t.Errorf("conditional GET status = %d, want 304", r.StatusCode)
	}
	for _, enc := range []string{"gzip", "br"} {
		req, _ := http.NewRequest(http.MethodGet, href, nil)
		req.Header.Set("Accept-Encoding", enc)
		r, body := a.do(t, req)
		if r.Header.Get("Content-Encoding") != enc || len(body) >= len(css)/2 || r.Header.Get("Vary") != "Accept-Encoding" {
			t.Errorf("%s: encoding %q, %d bytes of %d, Vary %q", enc, r.Header.Get("Content-Encoding"), len(body), len(css), r.Header.Get("Vary"))
		}
	}
	for _, p := range []string{"/assets/../go.mod", "/assets/%2e%2e/go.mod", "/assets/embed.go", "/assets/dist/../../cmd/web/main.go", "/assets/nope.js"} {
		if r, _ := a.get(t, p); r.StatusCode != 404 {
			t.Errorf("%s: status = %d, want 404", p, r.StatusCode)
		}
	}
}

func TestPageMetadata(t *testing.T) {
	a := newTestApp(t, func(c *handlers.Config) { c.Chrome.BaseURL = "https://blog.example.com" })
	body := a.page(t, "/posts/hello-world")
	d := doc(t, body)
	attr := func(sel, name string) string { v, _ := d.Find(sel).Attr(name); return v }
	checks := map[string][2]string{
		"title":           {d.Find("title").Text(), "Hello, world · Test Blog"},
		"description":     {attr(`meta[name="description"]`, "content"), "Why this blog exists, and why its comments arrive while you read."},
		"canonical":       {attr(`link[rel="canonical"]`, "href"), "https://blog.example.com/posts/hello-world"},
		"og:type":         {attr(`meta[property="og:type"]`, "content"), "article"},
		"og:url":          {attr(`meta[property="og:url"]`, "content"), "https://blog.example.com/posts/hello-world"},
		"published":       {attr(`meta[property="article:published_time"]`, "content"), "2026-11-02T00:00:00Z"},
		"lang":            {attr("html", "lang"), "en"},
		"skip link":       {attr(`a[href="#main"]`, "href"), "#main"},
		"main landmark":   {attr("main", "id"), "main"},
		"nav label":       {attr("nav", "aria-label"), "Main"},
		"favicon is ours": {strings.SplitN(attr(`link[rel="icon"]`, "href"), "?", 2)[0], "/assets/favicon.svg"},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %q, want %q", name, c[0], c[1])
		}
	}
	// Absolute URLs never come from the request: a client's Host or X-Forwarded-Host is not believed.
	b := newTestApp(t)
	req := httpReq(http.MethodGet, "/about", nil)
	req.Host = "evil.example"
	req.Header.Set("X-Forwarded-Host", "evil.example")
	req.Header.Set("X-Forwarded-Proto", "https")
	_, body = b.do(t, req)
	if href, _ := doc(t, body).Find(`link[rel="canonical"]`).Attr("href"); href != "http://blog.test/about" {
		t.Errorf("canonical with a forged Host = %q, want the configured address", href)
	}
	for _, path := range []string{"/feed.xml", "/sitemap.xml", "/robots.txt"} {
		req := httpReq(http.MethodGet, path, nil)
		req.Host = "evil.example"
		req.Header.Set("X-Forwarded-Host", "evil.example")
		if _, body := b.do(t, req); strings.Contains(body, "evil.example") {
			t.Errorf("%s takes its address from the request", path)
		}
	}
	var h []string
	doc(t, body).Find("h1, h2, h3").Each(func(_ int, s *goquery.Selection) { h = append(h, goquery.NodeName(s)) })
	if len(h) == 0 || h[0] != "h1" {
		t.Errorf("headings start with %v", h)
	}
}

// A failure on the server's side gets a plain 500 page: no error text, no internals.
func TestServerErrorShowsNoInternals(t *testing.T) {
	a := newTestApp(t)
	a.db.SQL().Close() // every query now fails
	for _, path := range []string{"/", "/posts/hello-world"} {
		resp, body := a.get(t, path)
		if resp.StatusCode != 500 {
			t.Fatalf("%s: status %d, want 500", path, resp.StatusCode)
		}
		page := doc(t, body).Find(`[data-testid="ErrorPage"]`)
		if !strings.Contains(page.Text(), "Something went wrong") {
			t.Fatalf("%s: no 500 page: %.300s", path, body)
		}
		for _, leak := range []string{"sql", "database", "closed", ".go", "goroutine"} {
			if strings.Contains(strings.ToLower(page.Text()), leak) {
				t.Errorf("%s: the 500 page shows %q", path, leak)
			}
		}
	}
	resp, body := a.postComment(t, "hello-world", form("Ann", "ann@example.com", "hi"), true)
	if resp.StatusCode != 500 || resp.Header.Get("HX-Reswap") != "none" || !strings.Contains(body, "problem on our side") {
		t.Fatalf("htmx post during an outage: %d %q %.200s", resp.StatusCode, resp.Header.Get("HX-Reswap"), body)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	ready := true
	a := newTestApp(t, func(c *handlers.Config) {
		c.Ready = func(context.Context) error {
			if !ready {
				return errors.New("schema behind")
			}
			return nil
		}
	})
	for _, tt := range []struct {
		path  string
		ready bool
		want  int
	}{{"/healthz", true, 200}, {"/readyz", true, 200}, {"/healthz", false, 200}, {"/readyz", false, 503}} {
		ready = tt.ready
		if resp, _ := a.get(t, tt.path); resp.StatusCode != tt.want {
			t.Errorf("%s with ready=%v: %d, want %d", tt.path, tt.ready, resp.StatusCode, tt.want)
		}
	}
}

func TestMediaFromContent(t *testing.T) {
	a := newTestApp(t)
	page := a.page(t, "/posts/live-comments")
	src, _ := doc(t, page).Find(`article img`).Attr("src")
	if src != "/media/live-comments.svg" {
		t.Fatalf("post image src = %q", src)
	}
	resp, body := a.get(t, src)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(body, "<svg") {
		t.Fatalf("image: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Error("media served without the CSP")
	}
	for _, p := range []string{"/media/../posts/2026-11-02-hello-world.md", "/media/%2e%2e/pages/about.md", "/media/nope.png", "/media/live-comments.svg.md", "/media/"} {
		if r, _ := a.get(t, p); r.StatusCode != 404 {
			t.Errorf("%s: %d, want 404", p, r.StatusCode)
		}
	}
}

func TestFeedSitemapRobots(t *testing.T) {
	a := newTestApp(t, func(c *handlers.Config) { c.Chrome.BaseURL = "https://blog.example.com" })
	resp, body := a.get(t, "/feed.xml")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/atom+xml") {
		t.Fatalf("feed: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var feed struct {
		Entries []struct {
			Title string `xml:"title"`
			ID    string `xml:"id"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal([]byte(body), &feed); err != nil {
		t.Fatal(err)
	}
	if len(feed.Entries) != 3 || feed.Entries[0].Title != "How live comments work" ||
		feed.Entries[2].ID != "https://blog.example.com/posts/hello-world" {
		t.Fatalf("feed entries: %+v", feed.Entries)
	}
	if strings.Contains(body, "upcoming") {
		t.Fatal("the feed lists a draft")
	}
	resp, body = a.get(t, "/sitemap.xml")
	if resp.StatusCode != 200 || !strings.Contains(body, "<loc>https://blog.example.com/posts/writing-posts</loc>") || !strings.Contains(body, "/about</loc>") {
		t.Fatalf("sitemap: %d %s", resp.StatusCode, body)
	}
	resp, body = a.get(t, "/robots.txt")
	if resp.StatusCode != 200 || !strings.Contains(body, "Sitemap: https://blog.example.com/sitemap.xml") {
		t.Fatalf("robots: %d %s", resp.StatusCode, body)
	}
	page := a.page(t, "/")
	if href, _ := doc(t, page).Find(`link[rel="alternate"][type="application/atom+xml"]`).Attr("href"); href != "/feed.xml" {
		t.Fatal("pages do not advertise the feed")
	}
}

// TestOnlyLivePagesLoadHTMX checks that the pages with nothing live or in place (the lists, a page, an error) load
// the page script alone, and that a post, whose comments post and arrive in place, loads htmx and its stream
// extension after it: a first visit to the home page parses a fifth of the script a post's does.
func TestOnlyLivePagesLoadHTMX(t *testing.T) {
	a := newTestApp(t)
	scripts := func(path string) (htmx, app, sse bool) {
		_, body := a.get(t, path)
		doc(t, body).Find("script[src]").Each(func(_ int, s *goquery.Selection) {
			src, _ := s.Attr("src")
			htmx = htmx || strings.Contains(src, "htmx")
			app = app || strings.Contains(src, "dist/app.js")
			sse = sse || strings.Contains(src, "sse.js")
		})
		return
	}
	for _, p := range []string{"/", "/tags", "/tags/howto", "/archive", "/about", "/no-such-page"} {
		if htmx, app, sse := scripts(p); htmx || sse || !app {
			t.Errorf("%s: htmx %v, sse %v, page script %v; want the page script only", p, htmx, sse, app)
		}
	}
	if htmx, app, sse := scripts("/posts/hello-world"); !htmx || !sse || !app {
		t.Errorf("post: htmx %v, sse %v, page script %v; want all three", htmx, sse, app)
	}
}
