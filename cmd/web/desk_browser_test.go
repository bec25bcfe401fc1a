package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"blog/internal/browsertest"
	"blog/internal/dbtest"
)

// TestBrowserDeskEditor writes a post in the desk's editor in Chromium: typing updates the preview as readers
// will get it (highlighted code) and saves on its own, focus staying in the text; a reload shows what was typed;
// words typed just before leaving the page are saved by the beacon the page sends as it goes; words typed with the
// connection lost come back, and are saved, when the post is opened again; Publish serves the post. axe checks the list, the editor and the versions in both themes at phone and desktop widths, and their pictures are
// kept for docs/.
func TestBrowserDeskEditor(t *testing.T) {
	t.Parallel()
	axe := axeSource(t)
	env := map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t)}
	base, _ := startServer(t, env)
	setPassword(t, env, "correct horse battery staple")
	b := browsertest.New(t)
	own := b.Tab(t)
	signInWithPassword(t, own, base, "correct horse battery staple")
	browsertest.Do(t, own, chromedp.Navigate(base+"/admin/posts"))
	browsertest.Wait(t, own, "the desk", `document.querySelector('[data-testid=NewPost]') !== null`)
	browsertest.Do(t, own, chromedp.Click(chromedp.CSS(`[data-testid=NewPost]`)))
	browsertest.Wait(t, own, "the editor", `/\/admin\/posts\/\d+\/edit$/.test(location.pathname) && !!window.htmx && document.querySelector('#desk-body') !== null`)
	edit := browsertest.Eval[string](t, own, `location.pathname`)

	browsertest.Do(t, own, chromedp.SendKeys(chromedp.CSS("#desk-title"), "Typed in the browser"))
	browsertest.Do(t, own, chromedp.SendKeys(chromedp.CSS("#desk-body"), "Hello from the *desk*.\n\n```go\nfunc main() {}\n```\n"))
	browsertest.Wait(t, own, "the live preview", `(() => { const p = document.querySelector('[data-testid=DeskPreviewBody]');
		return !!p && p.querySelector('em')?.textContent === 'desk' && p.querySelector('pre.chroma') !== null })()`)
	browsertest.Wait(t, own, "the autosave", `document.getElementById('desk-saved').textContent.includes('Saved') &&
		document.getElementById('desk-slug-hint').textContent.includes('/posts/typed-in-the-browser')`)
	if got := browsertest.Eval[string](t, own, `document.activeElement.id`); got != "desk-body" {
		t.Fatalf("focus after the autosave is on %q, want the text", got)
	}

	for _, look := range looks() {
		theme, width := look.theme, look.width
		themed(t, own, theme, width.w, width.h)
		axeCheck(t, own, axe)
		keepPicture(t, fmt.Sprintf("desk-editor-%s-%s", width.name, theme), func() ([]byte, error) { return chromedp.Run(own, chromedp.Screenshot(chromedp.CSS("main"))) })
	}

	browsertest.Do(t, own, chromedp.Reload())
	browsertest.Wait(t, own, "the text after a reload", `document.getElementById('desk-body')?.value.includes('Hello from the *desk*.')`)

	// Typed, then the page left at once: the beacon saves it.
	browsertest.Do(t, own, chromedp.Focus(chromedp.CSS("#desk-body")), chromedp.KeyEvent("Last words."))
	browsertest.Do(t, own, chromedp.Navigate(base+"/admin/posts"))
	browsertest.Wait(t, own, "the desk", `document.querySelector('[data-testid=NewPost]') !== null`)
	browsertest.Do(t, own, chromedp.Navigate(base+edit))
	browsertest.Wait(t, own, "the words typed before leaving", `document.getElementById('desk-body')?.value.includes('Last words.') || (location.reload(), false)`)

	// The connection lost: saves fail and the beacon never arrives. What was typed is kept in the browser and
	// comes back, and is saved, when the post is opened again.
	browsertest.Wait(t, own, "the editor settled", `document.getElementById('desk-saved').textContent.includes('Saved')`)
	browsertest.Eval[bool](t, own, `XMLHttpRequest.prototype.send = function () { this.dispatchEvent(new ProgressEvent('error')) };
		navigator.sendBeacon = () => false; true`)
	browsertest.Do(t, own, chromedp.Focus(chromedp.CSS("#desk-body")), chromedp.KeyEvent(" Offline words."))
	browsertest.Wait(t, own, "the words kept in the browser", `Object.keys(localStorage).some(k => k.startsWith('desk:') && localStorage.getItem(k).includes('Offline words.'))`)
	browsertest.Do(t, own, chromedp.Navigate(base+"/admin/posts"))
	browsertest.Wait(t, own, "the desk", `document.querySelector('[data-testid=NewPost]') !== null`)
	browsertest.Do(t, own, chromedp.Navigate(base+edit))
	browsertest.Wait(t, own, "the words typed offline, back", `document.getElementById('desk-body')?.value.includes('Offline words.')`)
	browsertest.Wait(t, own, "them saved", `document.getElementById('desk-saved').textContent.includes('Saved') &&
		!Object.keys(localStorage).some(k => k.startsWith('desk:'))`)
	browsertest.Do(t, own, chromedp.Reload())
	browsertest.Wait(t, own, "the words from the server", `document.getElementById('desk-body')?.value.includes('Offline words.')`)

	browsertest.Do(t, own, chromedp.Click(chromedp.CSS(`[data-testid=PublishPost]`)))
	browsertest.Wait(t, own, "published", `location.search === '?done=published' && document.getElementById('notice')?.textContent === 'Published.'`)
	resp, err := http.Get(base + "/posts/typed-in-the-browser")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "Last words.") || !strings.Contains(string(page), "Offline words.") {
		t.Fatalf("the published post: %d", resp.StatusCode)
	}

	browsertest.Do(t, own, chromedp.Navigate(base+edit[:len(edit)-len("edit")]+"versions"))
	browsertest.Wait(t, own, "the versions", `document.querySelectorAll('[data-testid=DeskVersion]').length >= 2`)
	for _, theme := range []string{"light", "dark"} {
		themed(t, own, theme, 390, 844)
		axeCheck(t, own, axe)
	}

	browsertest.Do(t, own, chromedp.Navigate(base+"/admin/posts"))
	browsertest.Wait(t, own, "the list", `document.querySelector('[data-testid=PostRow][data-slug=typed-in-the-browser]') !== null`)
	for _, look := range looks() {
		theme, width := look.theme, look.width
		themed(t, own, theme, width.w, width.h)
		axeCheck(t, own, axe)
		keepPicture(t, fmt.Sprintf("desk-list-%s-%s", width.name, theme), func() ([]byte, error) { return chromedp.Run(own, chromedp.Screenshot(chromedp.CSS("main"))) })
	}
}
