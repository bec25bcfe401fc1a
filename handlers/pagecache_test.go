package handlers_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"blog/handlers/comments"
)

func getWith(t *testing.T, a *testApp, path string, headers map[string]string) (*http.Response, string) {
	t.Helper()
	req := httpReq(http.MethodGet, path, nil)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return a.do(t, req)
}

// TestSharedPagesAreCachedAndRevalidated: readers without comments of their own get the same bytes, with an
// ETag; asking again with it answers 304 until the page changes; a reader with their own comment gets their
// own page.
func TestSharedPagesAreCachedAndRevalidated(t *testing.T) {
	a := newTestApp(t)
	path := "/posts/" + a.slug
	r1, b1 := a.get(t, path)
	r2, b2 := a.get(t, path)
	etag := r1.Header.Get("ETag")
	if etag == "" || r1.Header.Get("Cache-Control") != "public, no-cache" || len(r1.Cookies()) != 0 {
		t.Fatalf("shared page headers: ETag %q, Cache-Control %q, %d cookies", etag, r1.Header.Get("Cache-Control"), len(r1.Cookies()))
	}
	if time.Now().Truncate(comments.StampStep) == time.Now().Add(-50*time.Millisecond).Truncate(comments.StampStep) && b1 != b2 {
		t.Fatal("two readers within one step got different pages")
	}
	if r2.Header.Get("ETag") != etag {
		t.Fatal("the ETag changed although the page did not")
	}
	// Compressed once, served as asked.
	br, brBody := getWith(t, a, path, map[string]string{"Accept-Encoding": "gzip, deflate, br"})
	gz, _ := getWith(t, a, path, map[string]string{"Accept-Encoding": "gzip"})
	if br.Header.Get("Content-Encoding") != "br" || gz.Header.Get("Content-Encoding") != "gzip" || len(brBody) >= len(b1) {
		t.Fatalf("encodings: br %q (%d bytes of %d), gzip %q", br.Header.Get("Content-Encoding"), len(brBody), len(b1), gz.Header.Get("Content-Encoding"))
	}
	// Revalidation: 304 while nothing changed, even after the form timestamp's step has moved on.
	if resp, body := getWith(t, a, path, map[string]string{"If-None-Match": etag}); resp.StatusCode != http.StatusNotModified || body != "" {
		t.Fatalf("revalidation: %d", resp.StatusCode)
	}
	for _, p := range []string{"/", "/archive", "/tags", "/tags/meta", "/about"} {
		resp, _ := a.get(t, p)
		if e := resp.Header.Get("ETag"); e == "" {
			t.Errorf("%s has no ETag", p)
		} else if again, _ := getWith(t, a, p, map[string]string{"If-None-Match": e}); again.StatusCode != http.StatusNotModified {
			t.Errorf("%s revalidated: %d", p, again.StatusCode)
		}
	}
	// A new comment changes the page (and its ETag) for everyone.
	c := a.newClient()
	c.comment(t, "Ada", "ada@example.com", "A comment that changes the page.")
	resp, body := getWith(t, a, path, map[string]string{"If-None-Match": etag})
	if resp.StatusCode != 200 || resp.Header.Get("ETag") == etag || !strings.Contains(body, "A comment that changes the page.") {
		t.Fatalf("after a comment: %d, ETag %q", resp.StatusCode, resp.Header.Get("ETag"))
	}
	// The home page's count moved too.
	if !strings.Contains(a.page(t, "/"), "1 comment") {
		t.Fatal("the home page still shows the old count")
	}
	// Ada's own page is hers: her edit controls, no shared ETag.
	mine := c.page(t, path)
	if !strings.Contains(mine, `data-own-controls`) {
		t.Fatal("the author's own page lacks her controls")
	}
}
