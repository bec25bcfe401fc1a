package main

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"blog/internal/browsertest"
	"blog/internal/dbtest"
)

// TestBrowserClosingReachesAnOpenPage closes a post from the console in one tab while a reader has it open in
// another, typing: the reader's form gives way to "Comments are closed" without a reload, the Reply controls go,
// focus moves from the vanished form to the notice and the change is announced; opening it again brings the form
// back with the reader's text kept. axe checks both pages in the closed state, in both themes at phone and desktop
// widths, and their pictures are kept for docs/.
func TestBrowserClosingReachesAnOpenPage(t *testing.T) {
	t.Parallel()
	axe := axeSource(t)
	env := map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t)}
	base, _ := startServer(t, env)
	newVisitor(t).comment(t, base, "hello-world", "Grace", "grace@example.com", "Will this stay when comments close?")
	setPassword(t, env, "correct horse battery staple")
	b := browsertest.New(t)
	own := b.Tab(t)
	signInWithPassword(t, own, base, "correct horse battery staple")
	browsertest.Do(t, own, chromedp.Navigate(base+"/admin/posts"))
	row := `[data-testid=PostRow][data-slug=hello-world]`
	browsertest.Wait(t, own, "the posts page", `document.querySelector('`+row+` [data-testid=CloseComments]') !== null`)

	reader := b.PrivateTab(t)
	browsertest.Do(t, reader, chromedp.Navigate(base+"/posts/hello-world"))
	waitLive(t, reader)
	browsertest.Eval[bool](t, reader, `window.__noReload = true`)
	browsertest.Do(t, reader, chromedp.SendKeys(chromedp.CSS("#comment-body"), "Half a thought"))
	visible := func(sel string) string {
		return `(() => { const e = document.querySelector('` + sel + `'); return !!e && e.getClientRects().length > 0 })()`
	}

	browsertest.Do(t, own, chromedp.Click(chromedp.CSS(row+` [data-testid=CloseComments]`)))
	browsertest.Wait(t, own, "the notice", `document.getElementById('notice')?.textContent.includes('are closed')`)
	browsertest.Wait(t, reader, "the closed notice, live", visible(`[data-testid=CommentsClosed]`)+` && !`+visible(`#comment-form`)+
		` && !`+visible(`a[data-reply]`)+` && !`+visible(`[data-testid=JumpToForm]`))
	browsertest.Wait(t, reader, "focus on the notice", `document.activeElement?.dataset.testid === 'CommentsClosed'`)
	browsertest.Wait(t, reader, "the announcement", `document.getElementById('live-announcer').textContent === 'Comments are now closed.'`)
	if !browsertest.Eval[bool](t, reader, `window.__noReload && document.body.textContent.includes('Will this stay when comments close?')`) {
		t.Fatal("the reader's page reloaded, or lost its comments")
	}

	for _, look := range looks() {
		theme, width := look.theme, look.width
		themed(t, reader, theme, width.w, width.h)
		axeCheck(t, reader, axe)
		keepPicture(t, fmt.Sprintf("comments-closed-%s-%s", width.name, theme), func() ([]byte, error) { return chromedp.Run(reader, chromedp.Screenshot(chromedp.CSS("#comments"))) })
		themed(t, own, theme, width.w, width.h)
		axeCheck(t, own, axe)
		keepPicture(t, fmt.Sprintf("owner-posts-%s-%s", width.name, theme), func() ([]byte, error) { return chromedp.Run(own, chromedp.Screenshot(chromedp.CSS("main"))) })
	}

	browsertest.Do(t, own, chromedp.Click(chromedp.CSS(row+` [data-testid=OpenComments]`)))
	browsertest.Wait(t, reader, "the form back, live", visible(`#comment-form`)+` && !`+visible(`[data-testid=CommentsClosed]`)+
		` && `+visible(`a[data-reply]`))
	browsertest.Wait(t, reader, "the announcement", `document.getElementById('live-announcer').textContent === 'Comments are open again.'`)
	if got := browsertest.Eval[string](t, reader, `document.getElementById('comment-body').value`); got != "Half a thought" {
		t.Fatalf("the reader's text after reopening = %q, want it kept", got)
	}
	if !browsertest.Eval[bool](t, reader, `window.__noReload`) {
		t.Fatal("the reader's page reloaded")
	}
}
