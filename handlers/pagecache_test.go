package handlers_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"blog/handlers"
	"blog/handlers/comments"
	"blog/internal/dbtest"
	"blog/publish"
	"blog/repo/posts"
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

// TestACachedPageIsOfOneSnapshot: a page kept in the cache shows the content it is kept under. Here the content
// changes while each page is being answered, just after the handler first reads it (as when a reader asks for a
// post while its file is being loaded again); the next reader must get the new content. A handler that read the
// post from one snapshot and kept the page under the next one's version would serve the old post until the next
// change (a blog receiving a Webmention from this post was once shown it without its new link).
func TestACachedPageIsOfOneSnapshot(t *testing.T) {
	ctx := context.Background()
	fsys := fstest.MapFS{}
	write := func(i int) {
		fsys["pages/about.md"] = &fstest.MapFile{Data: fmt.Appendf(nil, "---\ntitle: About %d\n---\n\nAbout, version %d.\n", i, i)}
		fsys["posts/2026-11-02-news.md"] = &fstest.MapFile{Data: fmt.Appendf(nil, "---\ntitle: News %d\ndate: 2026-11-02\ntags: [meta]\n---\n\nNews, version %d.\n", i, i)}
	}
	write(0)
	db := dbtest.SQLite(t)
	site, err := publish.Open(ctx, fsys, posts.NewPosts(db), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	content := &changingContent{Store: site}
	a := newTestAppOn(t, db, func(cfg *handlers.Config) { cfg.Content = content })
	version := 0
	for _, path := range []string{"/posts/news", "/about", "/", "/archive", "/tags/meta", "/posts/news/comments.xml"} {
		shows := func(v int) string {
			switch path {
			case "/posts/news", "/about":
				return fmt.Sprintf("version %d.", v)
			case "/posts/news/comments.xml":
				return fmt.Sprintf("News %d", v)
			}
			return fmt.Sprintf("News %d<", v)
		}
		// The change comes after the first read of the answer, or the second, and so on.
		for reads := 1; reads <= 4; reads++ {
			version++
			write(version)
			content.after(reads, func() {
				if err := site.Reload(ctx); err != nil {
					t.Error(err)
				}
			})
			if body := a.page(t, path); !strings.Contains(body, shows(version-1)) && !strings.Contains(body, shows(version)) {
				t.Fatalf("%s shows neither version %d nor %d:\n%s", path, version-1, version, body)
			}
			content.flush() // when the answer read the content fewer times
			if body := a.page(t, path); !strings.Contains(body, shows(version)) {
				t.Fatalf("%s after load %d does not show %q:\n%s", path, version, shows(version), body)
			}
		}
	}
}

// changingContent is the blog's content, changed by a function after some number of reads.
type changingContent struct {
	*publish.Store
	mu    sync.Mutex
	reads int
	next  func()
}

// after has fn change the content just after the next reads reads of it.
func (c *changingContent) after(reads int, fn func()) {
	c.mu.Lock()
	c.reads, c.next = reads, fn
	c.mu.Unlock()
}

// flush makes the change still waiting, if any.
func (c *changingContent) flush() {
	c.mu.Lock()
	fn := c.next
	c.next = nil
	c.mu.Unlock()
	if fn != nil {
		fn()
	}
}

func (c *changingContent) Current() *publish.Snapshot {
	snap := c.Store.Current()
	c.mu.Lock()
	var fn func()
	if c.next != nil {
		if c.reads--; c.reads == 0 {
			fn, c.next = c.next, nil
		}
	}
	c.mu.Unlock()
	if fn != nil {
		fn()
	}
	return snap
}
