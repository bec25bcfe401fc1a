package main

import (
	"testing"

	"github.com/chromedp/chromedp"

	"blog/internal/browsertest"
	"blog/internal/dbtest"
)

// TestBrowserNewPostReachesAnOpenPage: a reader has a post open and is typing a comment; the owner publishes a
// new post in the desk. The reader's page shows "New post" with a link at the foot of the window, in a polite
// live region, without reloading and without taking the focus from the text being typed; Dismiss takes it away
// and gives the focus back.
// Then the owner publishes a change to the post the reader has open: the page says it was updated. The notice
// passes axe in both themes.
func TestBrowserNewPostReachesAnOpenPage(t *testing.T) {
	t.Parallel()
	axe := axeSource(t)
	env := map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t)}
	base, _ := startServer(t, env)
	setPassword(t, env, "correct horse battery staple")
	b := browsertest.New(t)
	own := b.Tab(t)
	signInWithPassword(t, own, base, "correct horse battery staple")
	publish := func(title, body string) {
		t.Helper()
		browsertest.Do(t, own, chromedp.Navigate(base+"/admin/posts"))
		browsertest.Do(t, own, chromedp.Click(chromedp.CSS(`[data-testid=NewPost]`)))
		browsertest.Wait(t, own, "the editor", `document.getElementById('desk-title') !== null`)
		browsertest.Do(t, own, chromedp.SetValue(chromedp.CSS("#desk-title"), title), chromedp.SetValue(chromedp.CSS("#desk-body"), body))
		browsertest.Do(t, own, chromedp.Click(chromedp.CSS(`[data-testid=PublishPost]`)))
		browsertest.Wait(t, own, "published", `!!document.querySelector('[data-testid=UnpublishPost]')`)
	}
	publish("Open in a tab", "The page a reader keeps open.")

	reader := b.PrivateTab(t)
	browsertest.Do(t, reader, chromedp.Navigate(base+"/posts/open-in-a-tab"))
	waitLive(t, reader)
	browsertest.Eval[bool](t, reader, `window.__noReload = true`)
	browsertest.Do(t, reader, chromedp.SendKeys(chromedp.CSS("#comment-body"), "Half a thought"))

	publish("Fresh from the desk", "Words.")
	browsertest.Wait(t, reader, "the new post's notice", `(() => { const a = document.querySelector('#post-notice [data-testid=PostNotice] a[href="/posts/fresh-from-the-desk"]');
		return !!a && a.textContent === 'Fresh from the desk' && a.getClientRects().length > 0 })()`)
	if !browsertest.Eval[bool](t, reader, `window.__noReload && document.activeElement?.id === 'comment-body' &&
		document.getElementById('comment-body').value === 'Half a thought' && document.getElementById('post-notice').getAttribute('role') === 'status'`) {
		t.Fatal("the notice reloaded the page, took the focus or the text, or is not in a polite live region")
	}
	for _, theme := range []string{"light", "dark"} {
		themed(t, reader, theme, 390, 844)
		axeCheck(t, reader, axe)
	}
	browsertest.Do(t, reader, chromedp.Click(chromedp.CSS(`#post-notice [data-dismiss-notice]`)))
	browsertest.Wait(t, reader, "the notice dismissed", `document.getElementById('post-notice').children.length === 0`)
	if !browsertest.Eval[bool](t, reader, `document.activeElement?.id === 'comment-body'`) {
		t.Fatal("after Dismiss the focus did not go back to the text being typed")
	}

	browsertest.Do(t, own, chromedp.Navigate(base+"/admin/posts"))
	browsertest.Do(t, own, chromedp.Click(chromedp.CSS(`[data-testid=PostRow][data-slug=open-in-a-tab] [data-testid=EditPost]`)))
	browsertest.Wait(t, own, "the editor", `document.getElementById('desk-body') !== null`)
	browsertest.Do(t, own, chromedp.SetValue(chromedp.CSS("#desk-body"), "A second version."))
	browsertest.Do(t, own, chromedp.Click(chromedp.CSS(`[data-testid=PublishPost]`)))
	browsertest.Wait(t, reader, "the updated notice", `document.getElementById('post-notice').textContent.includes('This post was updated.')`)
	if !browsertest.Eval[bool](t, reader, `window.__noReload && document.activeElement?.id === 'comment-body'`) {
		t.Fatal("the updated notice reloaded the page or took the focus")
	}
}
