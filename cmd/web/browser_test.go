package main

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"blog/internal/browsertest"
	"blog/internal/dbtest"
)

func tabs(ctxs ...context.Context) []context.Context { return ctxs }

// waitLive waits until the page's live stream is open (the page script marks the comments section).
func waitLive(t *testing.T, tab context.Context) {
	t.Helper()
	browsertest.Wait(t, tab, "the live stream", `document.querySelector('#comments')?.dataset.live === 'open'`)
}

// openPost opens a post in a new tab and waits until its live stream is open.
func openPost(t *testing.T, b *browsertest.Browser, base, slug string) context.Context {
	t.Helper()
	tab := b.Tab(t)
	browsertest.Do(t, tab, chromedp.Navigate(base+"/posts/"+slug))
	waitLive(t, tab)
	return tab
}

// countJS counts the comments on the page whose text contains s.
func countJS(s string) string {
	return `Array.from(document.querySelectorAll('#comment-list [data-testid=CommentItem]')).filter(e => e.textContent.includes(` +
		jsString(s) + `)).length`
}

func jsString(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }

// TestBrowserLiveComments opens the same post in two tabs, comments in the first, and checks that the comment
// appears in both exactly once, without a reload; then a comment from elsewhere reaches both.
func TestBrowserLiveComments(t *testing.T) {
	t.Parallel()
	base, _ := startServer(t, map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t)})
	b := browsertest.New(t) // after the server, so the browser's sockets close before the server stops
	post := base + "/posts/hello-world"
	first, second := b.Tab(t), b.Tab(t)
	browsertest.Do(t, first, chromedp.Navigate(post))
	browsertest.Do(t, second, chromedp.Navigate(post))
	// Wait until each page's stream is open; mark the pages to prove they never reload.
	for _, ctx := range tabs(first, second) {
		waitLive(t, ctx)
		browsertest.Eval[bool](t, ctx, `window.__noReload = true`)
	}

	browsertest.Do(t, first,
		chromedp.SendKeys(chromedp.CSS("#comment-username"), "Ada"),
		chromedp.SendKeys(chromedp.CSS("#comment-email"), "ada@example.com"),
		chromedp.SendKeys(chromedp.CSS("#comment-body"), "Typed in the first tab"),
		chromedp.Click(chromedp.CSS("#comment-form button[type=submit]")),
	)
	for i, ctx := range tabs(first, second) {
		browsertest.Wait(t, ctx, "the comment in tab "+string(rune('1'+i)), countJS("Typed in the first tab")+` === 1`)
	}
	browsertest.Wait(t, first, "confirmation", `document.querySelector('[data-testid=FormNotice]')?.textContent.includes('posted')`)
	if v := browsertest.Eval[string](t, first, `document.querySelector('#comment-body').value`); v != "" {
		t.Errorf("comment field not cleared: %q", v)
	}

	// A comment posted elsewhere arrives in both tabs.
	if resp := newVisitor(t).comment(t, base, "hello-world", "Grace", "grace@example.com", "Posted from elsewhere"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("comment from elsewhere: status %d", resp.StatusCode)
	}
	for i, ctx := range tabs(first, second) {
		browsertest.Wait(t, ctx, "the other comment in tab "+string(rune('1'+i)), countJS("Posted from elsewhere")+` === 1`)
		browsertest.Wait(t, ctx, "the count", `document.querySelector('#comment-count').textContent.trim() === '2 comments'`)
	}
	// A later comment: once it is shown, a duplicate of the earlier ones would have been (changes arrive in order).
	if resp := newVisitor(t).comment(t, base, "hello-world", "Linus", "linus@example.com", "The marker"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the marker comment: status %d", resp.StatusCode)
	}
	for i, ctx := range tabs(first, second) {
		browsertest.Wait(t, ctx, "the marker in tab "+string(rune('1'+i)), countJS("The marker")+` === 1`)
	}
	for i, ctx := range tabs(first, second) {
		for _, text := range []string{"Typed in the first tab", "Posted from elsewhere"} {
			if n := browsertest.Eval[int](t, ctx, countJS(text)); n != 1 {
				t.Errorf("tab %d shows %q %d times, want once", i+1, text, n)
			}
		}
		if !browsertest.Eval[bool](t, ctx, `window.__noReload === true`) {
			t.Errorf("tab %d reloaded", i+1)
		}
		if n := browsertest.Eval[int](t, ctx, `document.querySelectorAll('#comment-list [data-testid=CommentItem]').length`); n != 3 {
			t.Errorf("tab %d has %d comments, want 3", i+1, n)
		}
	}
	if third := b.ThirdParty(base); len(third) > 0 {
		t.Errorf("pages requested third-party URLs: %v", third)
	}
}

// TestBrowserValidationKeepsInput submits an invalid comment through htmx: the errors appear beside the fields,
// the typed text stays, nothing is stored.
func TestBrowserValidationKeepsInput(t *testing.T) {
	t.Parallel()
	base, _ := startServer(t, map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t)})
	b := browsertest.New(t) // after the server, so the browser's sockets close before the server stops
	tab := b.Tab(t)
	browsertest.Do(t, tab, chromedp.Navigate(base+"/posts/hello-world"))
	browsertest.Wait(t, tab, "htmx", `typeof htmx !== 'undefined'`)
	browsertest.Do(t, tab,
		chromedp.SendKeys(chromedp.CSS("#comment-email"), "not-an-email"),
		chromedp.SendKeys(chromedp.CSS("#comment-body"), "Keep this text"),
		chromedp.Click(chromedp.CSS("#comment-form button[type=submit]")),
	)
	browsertest.Wait(t, tab, "field errors", `document.querySelector('#comment-email-error') !== null`)
	if v := browsertest.Eval[string](t, tab, `document.querySelector('#comment-body').value`); v != "Keep this text" {
		t.Errorf("comment text lost: %q", v)
	}
	if v := browsertest.Eval[string](t, tab, `document.querySelector('#comment-username-error').textContent`); !strings.Contains(v, "name") {
		t.Errorf("name error = %q", v)
	}
	if n := browsertest.Eval[int](t, tab, `document.querySelectorAll('#comment-list [data-testid=CommentItem]').length`); n != 0 {
		t.Errorf("%d comments shown after invalid input", n)
	}
}

// TestBrowserWithoutJavaScript posts the form with scripts disabled: a plain POST, a redirect, the comment shown.
func TestBrowserWithoutJavaScript(t *testing.T) {
	t.Parallel()
	base, _ := startServer(t, map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t)})
	b := browsertest.New(t) // after the server, so the browser's sockets close before the server stops
	tab := b.Tab(t)
	if _, err := chromedp.Call(tab, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	browsertest.Do(t, tab,
		chromedp.Navigate(base+"/posts/hello-world"),
		chromedp.SendKeys(chromedp.CSS("#comment-username"), "Plain"),
		chromedp.SendKeys(chromedp.CSS("#comment-email"), "plain@example.com"),
		chromedp.SendKeys(chromedp.CSS("#comment-body"), "No scripts here"),
	)
	resp, err := chromedp.RunResponse(tab, chromedp.Click(chromedp.CSS("#comment-form button[type=submit]")))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 200 || !strings.Contains(resp.URL, "/posts/hello-world") {
		t.Fatalf("after submit: status %d at %s", resp.Status, resp.URL)
	}
	text, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS("#comment-list")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "No scripts here") {
		t.Fatalf("comment not shown after the redirect: %q", text)
	}
	// Invalid input without scripts: the whole page comes back with the message and the text kept.
	browsertest.Do(t, tab, chromedp.SendKeys(chromedp.CSS("#comment-body"), "Only text"))
	resp, err = chromedp.RunResponse(tab, chromedp.Click(chromedp.CSS("#comment-form button[type=submit]")))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 422 {
		t.Fatalf("invalid plain post: status %d, want 422", resp.Status)
	}
	text, err = chromedp.Run(tab, chromedp.Text(chromedp.CSS("#comment-username-error")))
	if err != nil || !strings.Contains(text, "name") {
		t.Fatalf("name error = %q (%v)", text, err)
	}
	// It opens at the form, with its errors in view, not at the top of the article.
	if !browsertest.Eval[bool](t, tab, `location.hash === '#comment-form' && (() => { const r = document.getElementById('comment-form').getBoundingClientRect();
		return r.top < innerHeight && r.bottom > 0 && scrollY > 0 })()`) {
		t.Fatalf("the refused post does not open at the form: %s", browsertest.Eval[string](t, tab, `location.href + ' ' + scrollY`))
	}
	// A reload of that address is not an error: it leads back to the post's comments.
	resp, err = chromedp.RunResponse(tab, chromedp.Navigate(base+"/posts/hello-world/comments"))
	if err != nil || resp.Status != 200 || !strings.HasSuffix(resp.URL, "/posts/hello-world") {
		t.Fatalf("reload of the post's address: %v %d %s", err, resp.Status, resp.URL)
	}
	// Reply and preview work without scripts too.
	browsertest.Do(t, tab, chromedp.Navigate(base+"/posts/hello-world"), chromedp.Click(chromedp.CSS("a[data-reply]")))
	browsertest.Wait(t, tab, "the reply form", `location.search.startsWith('?reply_to=') && !document.getElementById('reply-to').classList.contains('hidden')`)
	browsertest.Do(t, tab,
		chromedp.SendKeys(chromedp.CSS("#comment-username"), "Plain"),
		chromedp.SendKeys(chromedp.CSS("#comment-email"), "plain@example.com"),
		chromedp.SendKeys(chromedp.CSS("#comment-body"), "A *plain* reply"))
	if _, err := chromedp.RunResponse(tab, chromedp.Click(chromedp.CSS("[data-testid=PreviewButton]"))); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the preview page", `document.querySelector('[data-testid=PreviewText] em')?.textContent === 'plain' &&
		document.querySelector('#comment-form input[name=parent]').value !== ''`)
	if _, err := chromedp.RunResponse(tab, chromedp.Click(chromedp.CSS("#comment-form button[type=submit]:not([data-testid=PreviewButton])"))); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the reply in its conversation", `[...document.querySelectorAll('[data-replies] [data-testid=CommentItem]')].some(e => e.textContent.includes('A plain reply'))`)
}

// TestBrowserLiveArrivalKeepsFocus: a comment arriving while someone types neither moves their focus nor touches
// their text, is highlighted, and is announced in the polite live region.
func TestBrowserLiveArrivalKeepsFocus(t *testing.T) {
	t.Parallel()
	base, _ := startServer(t, map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t)})
	b := browsertest.New(t)
	tab := openPost(t, b, base, "hello-world")
	browsertest.Do(t, tab, chromedp.Click(chromedp.CSS("#comment-body")), chromedp.SendKeys(chromedp.CSS("#comment-body"), "Half-written thought"))
	if resp := newVisitor(t).comment(t, base, "hello-world", "Grace", "grace@example.com", "Arrived while you typed"); resp.StatusCode != 303 {
		t.Fatalf("comment: %d", resp.StatusCode)
	}
	browsertest.Wait(t, tab, "the live comment", countJS("Arrived while you typed")+` === 1`)
	if id := browsertest.Eval[string](t, tab, `document.activeElement.id`); id != "comment-body" {
		t.Errorf("focus moved to %q", id)
	}
	if v := browsertest.Eval[string](t, tab, `document.querySelector('#comment-body').value`); v != "Half-written thought" {
		t.Errorf("typed text changed to %q", v)
	}
	if !browsertest.Eval[bool](t, tab, `document.querySelector('#comment-list li').classList.contains('comment-arrived')`) {
		t.Error("the live comment is not highlighted")
	}
	browsertest.Wait(t, tab, "the announcement", `document.querySelector('#live-announcer').textContent.includes('Grace')`)
	if live := browsertest.Eval[string](t, tab, `document.querySelector('#live-announcer').getAttribute('aria-live')`); live != "polite" {
		t.Errorf("live region aria-live = %q", live)
	}
	if !browsertest.Eval[bool](t, tab, `document.querySelector('#comment-form').getAttribute('hx-disabled-elt') === 'find button'`) {
		t.Error("the submit button is not disabled while posting")
	}
}
