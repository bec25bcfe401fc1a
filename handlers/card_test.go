package handlers_test

import (
	"bytes"
	"context"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"testing/fstest"

	"blog/handlers"
	"blog/publish"
	"blog/repo/posts"
)

// Every post without an image of its own is shared with a card the blog draws: its title and the blog's name,
// 1200x630, served by the blog with an ETag; a post's own image still wins.
func TestPostsAreSharedWithTheirOwnCard(t *testing.T) {
	a := newTestApp(t, func(c *handlers.Config) { c.Chrome.BaseURL = "https://blog.example.com" })
	meta := func(path, sel string) string {
		t.Helper()
		v, _ := doc(t, a.page(t, path)).Find(sel).Attr("content")
		return v
	}
	img := meta("/posts/hello-world", `meta[property="og:image"]`)
	if !strings.HasPrefix(img, "https://blog.example.com/posts/hello-world/card.png?v=") {
		t.Fatalf("og:image %q, want the post's card", img)
	}
	for sel, want := range map[string]string{
		`meta[name="twitter:image"]`:       img,
		`meta[property="og:image:width"]`:  "1200",
		`meta[property="og:image:height"]`: "630",
		`meta[property="og:image:alt"]`:    "Hello, world · Test Blog",
		`meta[name="twitter:image:alt"]`:   "Hello, world · Test Blog",
		`meta[name="twitter:card"]`:        "summary_large_image",
	} {
		if got := meta("/posts/hello-world", sel); got != want {
			t.Errorf("%s = %q, want %q", sel, got, want)
		}
	}
	other := meta("/posts/writing-posts", `meta[property="og:image"]`)
	if other == img || !strings.Contains(other, "/posts/writing-posts/card.png?v=") {
		t.Errorf("another post's og:image %q", other)
	}

	path := strings.TrimPrefix(img, "https://blog.example.com")
	req, _ := http.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Accept-Encoding", "gzip, br")
	resp, body := a.do(t, req)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || resp.Header.Get("Content-Encoding") != "" {
		t.Fatalf("card: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Encoding"))
	}
	pic, err := png.Decode(bytes.NewReader([]byte(body)))
	if err != nil || pic.Bounds().Dx() != 1200 || pic.Bounds().Dy() != 630 {
		t.Fatalf("card is not a 1200x630 PNG: %v", err)
	}
	etag := resp.Header.Get("ETag")
	if etag == "" || !strings.Contains(resp.Header.Get("Cache-Control"), "public") {
		t.Fatalf("card headers: ETag %q, Cache-Control %q", etag, resp.Header.Get("Cache-Control"))
	}
	req, _ = http.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("If-None-Match", etag)
	if resp, _ := a.do(t, req); resp.StatusCode != http.StatusNotModified {
		t.Fatalf("asked again with its ETag: %d, want 304", resp.StatusCode)
	}
	_, second := a.get(t, "/posts/writing-posts/card.png")
	if second == body {
		t.Fatal("two posts have the same card")
	}
	for _, p := range []string{"/posts/nope/card.png", "/posts/upcoming/card.png"} {
		if resp, _ := a.get(t, p); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, resp.StatusCode)
		}
	}
}

func TestPostsOwnImageWinsOverTheCard(t *testing.T) {
	base := newTestApp(t)
	fsys := fstest.MapFS{
		"posts/2026-01-01-pictured.md": {Data: []byte("---\ntitle: Pictured\ndate: 2026-01-01\nimage: diagram.png\n---\nText.")},
		"media/diagram.png":            {Data: []byte("not really a PNG")},
	}
	site, err := publish.Open(context.Background(), fsys, posts.NewPosts(base.db), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	a := newTestAppOn(t, base.db, func(c *handlers.Config) { c.Content = site; c.Chrome.BaseURL = "https://blog.example.com" })
	d := doc(t, a.page(t, "/posts/pictured"))
	if img, _ := d.Find(`meta[property="og:image"]`).Attr("content"); img != "https://blog.example.com/media/diagram.png" {
		t.Fatalf("og:image %q, want the post's own", img)
	}
	if tw, _ := d.Find(`meta[name="twitter:image"]`).Attr("content"); tw != "https://blog.example.com/media/diagram.png" {
		t.Fatalf("twitter:image %q, want the post's own", tw)
	}
	if d.Find(`meta[property="og:image:width"], meta[property="og:image:alt"]`).Length() != 0 {
		t.Fatal("the post's own image is described as the card")
	}
}

// A title the card's typeface cannot write (Arabic, Japanese) gives a card with the blog's name alone, and the
// picture's words say so; on a blog whose name it cannot write either, the page names no picture and the card's
// address is not found, rather than an empty frame (the blog's own picture is shown, as on its other pages).
func TestCardsOfTitlesTheTypefaceCannotWrite(t *testing.T) {
	base := newTestApp(t)
	fsys := fstest.MapFS{
		"posts/2026-01-01-arabic.md":   {Data: []byte("---\ntitle: مرحبا بالعالم\ndate: 2026-01-01\nlang: ar\n---\nنص.")},
		"posts/2026-01-02-japanese.md": {Data: []byte("---\ntitle: 日本語のタイトル\ndate: 2026-01-02\nlang: ja\n---\n本文。")},
	}
	site, err := publish.Open(context.Background(), fsys, posts.NewPosts(base.db), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		blog, wantAlt string
	}{{"Test Blog", "Test Blog"}, {"مدونة", ""}} {
		a := newTestAppOn(t, base.db, func(c *handlers.Config) {
			c.Content = site
			c.Chrome.BaseURL = "https://blog.example.com"
			c.Chrome.SiteTitle = tt.blog
		})
		for _, slug := range []string{"arabic", "japanese"} {
			d := doc(t, a.page(t, "/posts/"+slug))
			img, named := d.Find(`meta[property="og:image"]`).Attr("content")
			alt, _ := d.Find(`meta[property="og:image:alt"]`).Attr("content")
			resp, _ := a.get(t, "/posts/"+slug+"/card.png")
			if tt.wantAlt == "" {
				if named && strings.Contains(img, "card.png") || resp.StatusCode != http.StatusNotFound {
					t.Errorf("%s on %s: og:image %q, card %d; want the blog's own picture and 404", slug, tt.blog, img, resp.StatusCode)
				}
				continue
			}
			if !strings.Contains(img, "/posts/"+slug+"/card.png?v=") || alt != tt.wantAlt || resp.StatusCode != 200 {
				t.Errorf("%s on %s: og:image %q alt %q, card %d; want the card, alt %q", slug, tt.blog, img, alt, resp.StatusCode, tt.wantAlt)
			}
		}
	}
}
