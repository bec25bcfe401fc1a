package main

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"blog/internal/browsertest"
	"blog/internal/dbtest"
)

// TestBrowserOwnerCountOneStreamPerBrowser opens three of the blog's pages in the owner's browser: one of them
// streams the pending count and passes it to the others (a browser opens at most six connections to a site, and
// each post holds one already); every tab shows each change; when the streaming tab leaves, another takes over
// and nothing is missed.
func TestBrowserOwnerCountOneStreamPerBrowser(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t), "MODERATION": "all", "RATE_LIMIT": "100/1s"}
	base, _ := startServer(t, env)
	setPassword(t, env, "correct horse battery staple")
	b := browsertest.New(t)
	first := b.Tab(t)
	signInWithPassword(t, first, base, "correct horse battery staple")
	owner := []context.Context{first, b.Tab(t), b.Tab(t)}
	for i, path := range []string{"/posts/hello-world", "/posts/writing-posts", "/about"} {
		browsertest.Do(t, owner[i], chromedp.Navigate(base+path))
	}
	slot := `document.querySelector('[data-owner-pending]')`
	count := func(want string) string {
		return `!` + slot + `.hidden && ` + slot + `.querySelector('a').textContent === '` + want + `'`
	}
	for _, tab := range owner {
		browsertest.Wait(t, tab, "the count", count("No comments pending"))
	}

	held := func(body string) {
		t.Helper()
		if resp := newVisitor(t).comment(t, base, "hello-world", "Ada", "ada@example.com", body); resp.StatusCode != 303 {
			t.Fatalf("comment: %d", resp.StatusCode)
		}
	}
	// Every tab has asked for the count by now, so the change can only come through a stream.
	held("First question, held")
	for _, tab := range owner {
		browsertest.Wait(t, tab, "the count in every tab", count("1 comment pending"))
	}
	leader := streamingTab(t, owner)

	// The streaming tab leaves; one of the others takes over, and the next change reaches both.
	browsertest.Do(t, owner[leader], chromedp.Navigate("about:blank"))
	rest := append(append([]context.Context{}, owner[:leader]...), owner[leader+1:]...)
	held("Second question, held")
	for _, tab := range rest {
		browsertest.Wait(t, tab, "the count after the hand-over", count("2 comments pending"))
	}
	streamingTab(t, rest)
}

// streamingTab returns which of the tabs streams the count, failing unless exactly one does. (The tab that
// streams marks itself in the same task in which it passes a count on, so once the others show a count that
// came from a stream, the mark is there.)
func streamingTab(t *testing.T, tabs []context.Context) int {
	t.Helper()
	open := -1
	for i, tab := range tabs {
		if browsertest.Eval[string](t, tab, `document.querySelector('[data-owner-pending]').getAttribute('data-stream') || ''`) == "open" {
			if open >= 0 {
				t.Fatalf("tabs %d and %d both stream the count", open, i)
			}
			open = i
		}
	}
	if open < 0 {
		t.Fatal("no tab streams the count")
	}
	return open
}
