package main

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"blog/internal/browsertest"
	"blog/internal/dbtest"
)

// TestBrowserPinningReachesAnOpenPage pins a comment from the console in one tab while a reader has the post open
// in another: the comment moves first, marked "Pinned", without a reload, and the reader hears it; unpinning puts
// it back in its place. axe checks the reader's page and the console with a pinned comment, in both themes at
// phone and desktop widths, and their pictures are kept for docs/. Then the owner pins from the comment itself on
// the post page, with the Pin control the owner's script adds there (readers never get it).
func TestBrowserPinningReachesAnOpenPage(t *testing.T) {
	t.Parallel()
	axe := axeSource(t)
	env := map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t)}
	base, _ := startServer(t, env)
	for _, c := range [][2]string{{"Grace", "How do I keep a post's comments short?"}, {"Ada", "Close them after a while, I think."},
		{"Lin", "The answer is in the post: pinned comments come first."}} {
		newVisitor(t).comment(t, base, "hello-world", c[0], c[0]+"@example.com", c[1])
	}
	setPassword(t, env, "correct horse battery staple")
	b := browsertest.New(t)
	own := b.Tab(t)
	signInWithPassword(t, own, base, "correct horse battery staple")

	reader := b.PrivateTab(t)
	browsertest.Do(t, reader, chromedp.Navigate(base+"/posts/hello-world"))
	waitLive(t, reader)
	browsertest.Eval[bool](t, reader, `window.__noReload = true`)
	first := `document.querySelector('#comment-list > [data-testid=CommentItem]')`

	pin := `[...document.querySelectorAll('[data-testid=ConsoleComment]')].find(li => li.textContent.includes('pinned comments come first')).querySelector('button[value^="pin:"]')`
	browsertest.Wait(t, own, "the Pin button", pin+` !== undefined && `+pin+` !== null`)
	browsertest.Eval[bool](t, own, pin+`.click(); true`)
	browsertest.Wait(t, own, "the notice", `document.getElementById('notice')?.textContent.includes('Pinned')`)
	browsertest.Wait(t, reader, "the pinned comment first, live", first+`.hasAttribute('data-pinned') && `+first+
		`.textContent.includes('pinned comments come first') && `+first+`.querySelector('[data-testid=PinnedBadge]') !== null`)
	browsertest.Wait(t, reader, "the announcement", `document.getElementById('live-announcer').textContent === 'A comment was pinned to the top.'`)
	if n := browsertest.Eval[int](t, reader, `document.querySelectorAll('#comment-list > [data-testid=CommentItem]').length`); n != 3 {
		t.Fatalf("%d conversations on the page after pinning, want 3 (moved, not copied)", n)
	}

	for _, look := range looks() {
		theme, width := look.theme, look.width
		themed(t, reader, theme, width.w, width.h)
		browsertest.Wait(t, reader, "the arrival highlights over", `document.getAnimations().length === 0`)
		axeCheck(t, reader, axe)
		keepPicture(t, fmt.Sprintf("comments-pinned-%s-%s", width.name, theme), func() ([]byte, error) {
			return chromedp.Run(reader, chromedp.Screenshot(chromedp.CSS("#comment-list")))
		})
		themed(t, own, theme, width.w, width.h)
		axeCheck(t, own, axe)
		browsertest.Wait(t, own, "the console's pinned mark", `document.querySelector('[data-testid=ConsoleComment]:has([data-testid=ConsolePinned])') !== null`)
		keepPicture(t, fmt.Sprintf("owner-console-pinned-%s-%s", width.name, theme), func() ([]byte, error) {
			return chromedp.Run(own, chromedp.Screenshot(chromedp.CSS(`[data-testid=ConsoleComment]:has([data-testid=ConsolePinned])`)))
		})
	}

	unpin := `[...document.querySelectorAll('[data-testid=ConsoleComment]')].find(li => li.textContent.includes('pinned comments come first')).querySelector('button[value^="unpin:"]')`
	browsertest.Eval[bool](t, own, unpin+`.click(); true`)
	last := `[...document.querySelectorAll('#comment-list > [data-testid=CommentItem]')].at(-1)`
	browsertest.Wait(t, reader, "back in its place, live", `!document.querySelector('#comment-list [data-pinned]') && `+last+
		`.textContent.includes('pinned comments come first')`)
	browsertest.Wait(t, reader, "the announcement", `document.getElementById('live-announcer').textContent === 'A comment was unpinned.'`)

	// From the comment itself: on the post page, the signed-in owner's script adds Pin beside Reply.
	browsertest.Do(t, own, chromedp.Navigate(base+"/posts/hello-world"))
	waitLive(t, own)
	grace := `[...document.querySelectorAll('#comment-list > [data-testid=CommentItem]')].find(li => li.textContent.includes('keep a post'))`
	browsertest.Wait(t, own, "the Pin control", grace+`?.querySelector('[data-testid=PinButton]')?.textContent.startsWith('Pin')`)
	if browsertest.Eval[bool](t, reader, `document.querySelector('[data-testid=PinButton]') !== null`) {
		t.Fatal("a reader's page shows the owner's Pin control")
	}
	browsertest.Eval[bool](t, own, grace+`.querySelector('[data-testid=PinButton]').click(); true`)
	for _, tab := range []context.Context{reader, own} {
		browsertest.Wait(t, tab, "pinned from the comment, live", first+`.hasAttribute('data-pinned') && `+first+`.textContent.includes('keep a post')`)
	}
	browsertest.Wait(t, own, "Unpin in its place", first+`.querySelector('[data-testid=PinButton]')?.textContent.startsWith('Unpin')`)
	for _, look := range looks() {
		theme, width := look.theme, look.width
		themed(t, own, theme, width.w, width.h)
		browsertest.Wait(t, own, "the arrival highlights over", `document.getAnimations().length === 0`)
		axeCheck(t, own, axe)
		keepPicture(t, fmt.Sprintf("post-owner-pin-%s-%s", width.name, theme), func() ([]byte, error) { return chromedp.Run(own, chromedp.Screenshot(chromedp.CSS("#comment-list"))) })
	}
	if !browsertest.Eval[bool](t, reader, `window.__noReload`) {
		t.Fatal("the reader's page reloaded")
	}
}
