package main

import (
	"fmt"
	"os"
	"testing"

	"github.com/chromedp/chromedp"

	"blog/internal/browsertest"
	"blog/internal/dbtest"
)

// TestReadingPictures draws the reading pages as a reader first sees them (the home page, a post with code, the
// top of a conversation of eight comments with reactions, a tag, the 404 page, and a draft's preview as the
// signed-in owner sees it), at phone and desktop widths in both themes, checks each with axe, and keeps the
// pictures (docs/reading-PAGE-WIDTH-THEME.png) that the README shows. Only with DOCS_SCREENSHOTS (make
// screenshots): TestAccessibility checks every page type on every run.
func TestReadingPictures(t *testing.T) {
	if os.Getenv("DOCS_SCREENSHOTS") == "" {
		t.Skip("draws docs/reading-*.png: run with DOCS_SCREENSHOTS=1 (make screenshots)")
	}
	axe := axeSource(t)
	env := map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t), "RATE_LIMIT": "off"}
	base, _ := startServer(t, env)
	setPassword(t, env, "correct horse battery staple")
	names := []string{"Ada", "Grace", "Linus", "Margaret", "Alan", "Barbara", "Ken", "Frances"}
	for i, name := range names {
		if resp := newVisitor(t).comment(t, base, "live-comments", name, fmt.Sprintf("reader%d@example.com", i),
			fmt.Sprintf("Comment %d: the live updates are what made me stay, %s here.", i+1, name)); resp.StatusCode != 303 {
			t.Fatalf("comment %d: %d", i+1, resp.StatusCode)
		}
	}
	b := browsertest.New(t)
	owner := b.Tab(t)
	signInWithPassword(t, owner, base, "correct horse battery staple")
	pages := []struct{ name, path, ready string }{
		{"home", "/", `document.querySelector('[data-testid=HomePage]') !== null`},
		{"post", "/posts/writing-posts", `document.querySelector('[data-testid=PostPage]') !== null`},
		{"jump", "/posts/live-comments#comments", `document.querySelectorAll('#comment-list > li[data-comment-id]').length === 8`},
		{"tag", "/tags/howto", `document.querySelector('main h1') !== null`},
		{"not-found", "/posts/no-such-post", `document.querySelector('[data-testid=ErrorPage]') !== null`},
	}
	for _, look := range looks() {
		theme, width := look.theme, look.width
		reader := b.PrivateTab(t)
		themed(t, reader, theme, width.w, width.h)
		themed(t, owner, theme, width.w, width.h)
		for _, p := range append(pages, struct{ name, path, ready string }{"draft", "/posts/upcoming", `document.querySelector('main h1') !== null`}) {
			tab := reader
			if p.name == "draft" {
				tab = owner
			}
			browsertest.Do(t, tab, chromedp.Navigate(base+p.path))
			browsertest.Wait(t, tab, p.name, p.ready+` && document.fonts.status === 'loaded'`)
			axeCheck(t, tab, axe)
			keepPicture(t, fmt.Sprintf("reading-%s-%s-%s", p.name, width.name, theme), func() ([]byte, error) { return chromedp.Run(tab, chromedp.CaptureScreenshot()) })
		}
	}
}
