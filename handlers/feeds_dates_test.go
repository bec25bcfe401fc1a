package handlers_test

import (
	"encoding/xml"
	"strings"
	"testing"

	"blog/handlers"
)

// An empty comments feed is dated when its post was (a post's feed) or when the newest post was (the blog's),
// never 1970; a feed with comments is dated by its newest.
func TestEmptyFeedsAreDatedByTheirPosts(t *testing.T) {
	a := newTestApp(t)
	updated := func(path string) string {
		t.Helper()
		resp, body := a.get(t, path)
		var f struct {
			Updated string `xml:"updated"`
		}
		if resp.StatusCode != 200 || xml.Unmarshal([]byte(body), &f) != nil {
			t.Fatalf("%s: %d %.200s", path, resp.StatusCode, body)
		}
		return f.Updated
	}
	tests := []struct{ path, want string }{
		{"/posts/hello-world/comments.xml", "2026-11-02T00:00:00Z"},
		{"/posts/live-comments/comments.xml", "2026-11-20T00:00:00Z"},
		{"/comments.xml", "2026-11-20T00:00:00Z"},
		{"/feed.xml", "2026-11-20T00:00:00Z"},
	}
	for _, tt := range tests {
		if got := updated(tt.path); got != tt.want {
			t.Errorf("%s: updated %q, want %q", tt.path, got, tt.want)
		}
	}
	if resp, _ := a.postComment(t, "hello-world", form("Ann", "ann@example.com", "First!"), false); resp.StatusCode != 303 {
		t.Fatalf("comment: %d", resp.StatusCode)
	}
	for _, path := range []string{"/posts/hello-world/comments.xml", "/comments.xml"} {
		if got := updated(path); got <= "2026-11-20T00:00:00Z" {
			t.Errorf("%s with a comment: updated %q, want the comment's time", path, got)
		}
	}
}

// The sitemap lists the archive, the tag index and every tag's page, each list dated by its newest post.
func TestSitemapListsArchiveAndTags(t *testing.T) {
	a := newTestApp(t, func(c *handlers.Config) { c.Chrome.BaseURL = "https://blog.example.com" })
	resp, body := a.get(t, "/sitemap.xml")
	var set struct {
		URLs []struct {
			Loc     string `xml:"loc"`
			LastMod string `xml:"lastmod"`
		} `xml:"url"`
	}
	if resp.StatusCode != 200 || xml.Unmarshal([]byte(body), &set) != nil {
		t.Fatalf("sitemap: %d %s", resp.StatusCode, body)
	}
	got := map[string]string{}
	for _, u := range set.URLs {
		if _, dup := got[u.Loc]; dup {
			t.Errorf("%s is listed twice", u.Loc)
		}
		got[u.Loc] = u.LastMod
	}
	want := map[string]string{
		"/":                    "2026-11-20",
		"/posts/hello-world":   "2026-11-02",
		"/archive":             "2026-11-20",
		"/tags":                "2026-11-20",
		"/tags/meta":           "2026-11-02",
		"/tags/howto":          "2026-11-12",
		"/tags/markdown":       "2026-11-12",
		"/tags/engineering":    "2026-11-20",
		"/about":               "",
		"/posts/writing-posts": "2026-11-12",
	}
	for path, mod := range want {
		if m, ok := got["https://blog.example.com"+path]; !ok || m != mod {
			t.Errorf("%s: listed %v, lastmod %q; want lastmod %q", path, ok, m, mod)
		}
	}
	if strings.Contains(body, "upcoming") {
		t.Error("the sitemap lists a draft")
	}
}
