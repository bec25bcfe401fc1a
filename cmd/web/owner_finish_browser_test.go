package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"blog/internal/browsertest"
	"blog/internal/dbtest"
)

// The owner's side finished, in Chromium: passkeys set up from the printed link (and explained at a numeric
// address), the pending count live in the header of every page, the console opening on it, select-all, the
// filters folded on a phone, a reply from the console reaching a reader's open page, and axe on every owner
// page type in both themes at phone and desktop widths.

// axeCheck runs axe-core (WCAG 2.1 A/AA, 2.2 AA and best practices) on the tab and fails the test on any
// violation.
func axeCheck(t *testing.T, tab context.Context, axe string) {
	t.Helper()
	// axe-core is 650 KB: sending and starting it costs about 0.15 s, as much as a run on most pages. A page
	// checked again in another state (after an htmx swap, in the same document) already has it.
	if !browsertest.Eval[bool](t, tab, `typeof axe !== 'undefined'`) {
		browsertest.Eval[bool](t, tab, axe+";true")
	}
	raw, err := chromedp.Run(tab, chromedp.Evaluate[string](`axe.run(document, {runOnly: {type: 'tag',
		values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}})
		.then(r => JSON.stringify(r.violations))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	var violations []axeViolation
	if err := json.Unmarshal([]byte(raw), &violations); err != nil {
		t.Fatal(err)
	}
	for _, v := range violations {
		var where []string
		for _, n := range v.Nodes {
			where = append(where, strings.Join(n.Target, " ")+" "+n.HTML)
		}
		t.Errorf("axe %s (%s): %s\n  %s", v.ID, v.Impact, v.Help, strings.Join(where, "\n  "))
	}
}

// themed sets the tab's colour scheme and width.
func themed(t *testing.T, tab context.Context, theme string, w, h int64) {
	t.Helper()
	if _, err := chromedp.Call(tab, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: theme}}}); err != nil {
		t.Fatal(err)
	}
	browsertest.Do(t, tab, chromedp.EmulateViewport(w, h))
}

// TestBrowserPasskeySetupAtANumericAddress opens the setup link at 127.0.0.1: the page says in words, before
// and after a try, that passkeys need the blog's name and where to open it; at localhost the passkey is made,
// and the welcome names it.
func TestBrowserPasskeySetupAtANumericAddress(t *testing.T) {
	t.Parallel()
	dbURL := dbtest.SQLiteURL(t)
	base, _ := startServer(t, map[string]string{"DATABASE_URL": dbURL})
	link := setupLink(t, dbURL)
	b := browsertest.New(t)
	tab := b.Tab(t)
	browsertest.Passkeys(t, tab)
	browsertest.Do(t, tab, chromedp.Navigate(base+link))
	local := localhost(base) + link
	errorText := `document.querySelector('[data-passkey-setup] [data-passkey-error]').textContent`
	anchor := `document.querySelector('[data-passkey-setup] [data-passkey-error] a')`
	browsertest.Wait(t, tab, "the explanation before a try", errorText+`.includes('Open this page at localhost instead') && `+
		anchor+`.href === `+jsString(local))
	browsertest.Wait(t, tab, "the passkey button", `!document.querySelector('[data-testid=PasskeySetup]').disabled`)
	// A try empties the message, then explains the server's refusal in the same words (never the browser's).
	browsertest.Eval[bool](t, tab, `window.__cleared = false; new MutationObserver(() => { if (`+errorText+` === '') window.__cleared = true })
		.observe(document.querySelector('[data-passkey-setup] [data-passkey-error]'), {childList: true, characterData: true, subtree: true}); true`)
	browsertest.Do(t, tab, chromedp.Click(chromedp.CSS("[data-testid=PasskeySetup]")))
	browsertest.Wait(t, tab, "the explanation after a try", `window.__cleared && `+errorText+`.includes('Open this page at localhost instead')`)
	msg := browsertest.Eval[string](t, tab, errorText)
	if !strings.HasPrefix(msg, "Passkeys work only when the blog is opened by its name") || strings.Contains(msg, "Error") ||
		strings.Contains(strings.ToLower(msg), "invalid domain") {
		t.Fatalf("the failed ceremony reads %q", msg)
	}
	// The link leads to the same page at localhost.
	browsertest.Do(t, tab, chromedp.Click(chromedp.CSS(`[data-passkey-setup] [data-passkey-error] a`)))
	browsertest.Wait(t, tab, "the page at localhost", `location.href === `+jsString(local))

	// At localhost, the same link works, and the welcome names the passkey rather than asking for one.
	browsertest.Wait(t, tab, "the passkey button", `!document.querySelector('[data-testid=PasskeySetup]').disabled`)
	if got := browsertest.Eval[string](t, tab, errorText); got != "" {
		t.Fatalf("at localhost the page still warns: %q", got)
	}
	browsertest.Do(t, tab, chromedp.Click(chromedp.CSS("[data-testid=PasskeySetup]")))
	browsertest.Wait(t, tab, "the account page", `location.pathname === '/admin/account' && document.querySelectorAll('[data-testid=Credential]').length === 1`)
	welcome := browsertest.Eval[string](t, tab, `document.getElementById('notice').textContent`)
	if !strings.Contains(welcome, "your passkey is how you sign in") || strings.Contains(welcome, "Add a passkey or a password") {
		t.Fatalf("welcome after a passkey: %q", welcome)
	}
}

// TestBrowserOwnerCountSelectAllAndReply: the owner's header count appears only in the owner's browser and
// follows held comments live; the console opens on them; select-all ticks and reports; the filters fold on a
// phone; and a reply from the console (approving the comment) reaches a reader's open page, marked "author",
// without a reload, with focus on the notice.
func TestBrowserOwnerCountSelectAllAndReply(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t), "MODERATION": "all"}
	base, _ := startServer(t, env)
	setPassword(t, env, "correct horse battery staple")
	b := browsertest.New(t)
	own := b.Tab(t)
	signInWithPassword(t, own, base, "correct horse battery staple")
	// The home page loads no htmx (nothing on it is live for readers); the owner's count is live there all the same.
	browsertest.Do(t, own, chromedp.Navigate(base+"/"))
	slot := `document.querySelector('[data-owner-pending]')`
	browsertest.Wait(t, own, "the owner's count", `!`+slot+`.hidden && `+slot+`.querySelector('a').textContent === 'No comments pending'`)

	reader := b.PrivateTab(t)
	browsertest.Do(t, reader, chromedp.Navigate(base+"/posts/hello-world"))
	waitLive(t, reader)
	browsertest.Eval[bool](t, reader, `window.__noReload = true`)
	for _, body := range []string{"First question, held", "Second question, held"} {
		browsertest.Do(t, reader,
			chromedp.SetValue(chromedp.CSS("#comment-username"), "Ada"),
			chromedp.SetValue(chromedp.CSS("#comment-email"), "ada@example.com"),
			chromedp.SendKeys(chromedp.CSS("#comment-body"), body),
			chromedp.Click(chromedp.CSS("#comment-form button[type=submit]")))
		browsertest.Wait(t, reader, "the held comment", countJS(body)+` === 1`)
	}
	// Live in the owner's header, announced politely; never in the reader's.
	browsertest.Wait(t, own, "the count, live", slot+`.querySelector('a').textContent === '2 comments pending' && `+
		slot+`.querySelector('a').hasAttribute('data-waiting')`)
	browsertest.Wait(t, own, "the announcement", slot+`.querySelector('[role=status]').textContent.includes('2 comments pending')`)
	if browsertest.Eval[bool](t, reader, `!document.querySelector('[data-owner-pending]').hidden || document.cookie.includes('owner=')`) {
		t.Fatal("the reader's page shows the owner's count")
	}

	// The count leads to the console's Pending view.
	browsertest.Do(t, own, chromedp.Click(chromedp.CSS(`[data-owner-pending] a`)))
	browsertest.Wait(t, own, "the Pending view", `location.search === '?state=pending' && document.querySelectorAll('[data-testid=ConsoleComment]').length === 2`)
	browsertest.Wait(t, own, "htmx", `typeof htmx !== 'undefined' && !document.querySelector('[data-select-all]').hidden`)
	// Select-all ticks every comment shown and says so; one unticked leaves it half-ticked.
	browsertest.Do(t, own, chromedp.Click(chromedp.CSS("#select-all")))
	browsertest.Wait(t, own, "all ticked", `Array.from(document.querySelectorAll('input[name=id]')).every(i => i.checked) && `+
		`document.querySelector('[data-selected-count]').textContent === '2 comments selected.'`)
	browsertest.Do(t, own, chromedp.Click(chromedp.CSS(`input[name=id]`)))
	if !browsertest.Eval[bool](t, own, `document.getElementById('select-all').indeterminate`) {
		t.Fatal("select-all is not half-ticked with one of two selected")
	}
	// The filters: open on a desktop, folded on a phone.
	if !browsertest.Eval[bool](t, own, `document.querySelector('details[data-filters]').open`) {
		t.Fatal("the filters are folded on a desktop")
	}
	phone := b.Tab(t)
	themed(t, phone, "light", 390, 844)
	browsertest.Do(t, phone, chromedp.Navigate(base+"/admin"))
	browsertest.Wait(t, phone, "the filters folded on a phone", `document.querySelector('details[data-filters]') && !document.querySelector('details[data-filters]').open`)

	// Reply to the first question from the console: approved and answered, live on the reader's page.
	first := `[data-testid=ConsoleComment]:last-of-type`
	browsertest.Do(t, own, chromedp.Click(chromedp.CSS(first+` [data-testid=ConsoleReply] summary`)))
	browsertest.Do(t, own, chromedp.SendKeys(chromedp.CSS(first+` textarea`), "Thanks, Ada: answered from the console."),
		chromedp.Click(chromedp.CSS(first+` [data-testid=ReplySubmit]`)))
	browsertest.Wait(t, own, "focus on the notice", `document.activeElement && document.activeElement.id === 'notice' && `+
		`document.activeElement.textContent.includes('Your reply is published')`)
	browsertest.Wait(t, reader, "the question approved and the reply, live", countJS("First question, held")+` === 1 && `+
		`Array.from(document.querySelectorAll('#comment-list [data-testid=CommentItem]')).some(e => e.textContent.includes('answered from the console') && e.querySelector('[data-testid=AuthorBadge]'))`)
	browsertest.Wait(t, reader, "the question no longer held", `!document.querySelector('#comment-list [data-held] [data-testid=HeldNotice]') || `+
		`!Array.from(document.querySelectorAll('#comment-list [data-held]')).some(e => e.textContent.includes('First question'))`)
	if !browsertest.Eval[bool](t, reader, `window.__noReload === true`) {
		t.Fatal("the reader's page reloaded")
	}
	// The owner's own header count, on the console, follows.
	browsertest.Wait(t, own, "the count on the console", slot+`.querySelector('a').textContent === '1 comment pending'`)
	// The reply link leads to it on the post, marked.
	browsertest.Do(t, own, chromedp.Click(chromedp.CSS(`[data-testid=RepliedLink]`)))
	browsertest.Wait(t, own, "the reply on the post", `location.hash.startsWith('#comment-') && document.querySelector(location.hash + ' [data-testid=AuthorBadge]') !== null`)
}

// TestOwnerPagesAccessibility runs axe on every owner page type (the console in its new states, bans, audit,
// account with the welcome, setup, sign-in) and on a post as the signed-in owner sees it (the header count and
// an owner's comment), in both themes at phone and desktop widths, and keeps the pictures of the owner's pages for
// docs/ (keepPicture).
func TestOwnerPagesAccessibility(t *testing.T) {
	t.Parallel()
	axe := axeSource(t)
	dbURL := dbtest.SQLiteURL(t)
	env := map[string]string{"DATABASE_URL": dbURL, "MODERATION": "all", "SITE_AUTHOR": "Sam Writer"}
	base, _ := startServer(t, env)
	v := newVisitor(t)
	for i, c := range []struct{ name, body string }{
		{"Ada", "Does the live update work when I have two tabs open?"},
		{"Grace", "Lovely post. Could you write more about the change feed?"},
	} {
		if resp := v.comment(t, base, "hello-world", c.name, fmt.Sprintf("reader%d@example.com", i), c.body); resp.StatusCode != 303 {
			t.Fatalf("seed comment: %d", resp.StatusCode)
		}
	}
	setPassword(t, env, "correct horse battery staple")
	b := browsertest.New(t)
	own := b.Tab(t)
	signInWithPassword(t, own, localhost(base), "correct horse battery staple")
	// The owner answers Ada from the console (approving her comment), so the post shows a marked reply.
	browsertest.Wait(t, own, "htmx", `typeof htmx !== 'undefined'`)
	ada := `[data-testid=ConsoleComment]:last-of-type`
	browsertest.Do(t, own, chromedp.Click(chromedp.CSS(ada+` [data-testid=ConsoleReply] summary`)),
		chromedp.SendKeys(chromedp.CSS(ada+` textarea`), "It does: every open tab gets each change once."),
		chromedp.Click(chromedp.CSS(ada+` [data-testid=ReplySubmit]`)))
	browsertest.Wait(t, own, "the notice", `document.activeElement && document.activeElement.id === 'notice'`)
	replied := browsertest.Eval[string](t, own, `document.querySelector('[data-testid=RepliedLink]').getAttribute('href').split('#comment-')[1]`)
	// The setup page of a blog nobody has claimed yet, at its name and at a numeric address.
	newDB := dbtest.SQLiteURL(t)
	unclaimed, _ := startServer(t, map[string]string{"DATABASE_URL": newDB})
	setupPath := setupLink(t, newDB)

	pages := []struct {
		name, path string
		prepare    func(t *testing.T, ctx context.Context)
		signedOut  bool
		// keep saves the screenshots into docs/ (with DOCS_SCREENSHOTS=1).
		keep bool
	}{
		{"owner-console-pending", "/admin", func(t *testing.T, ctx context.Context) {
			browsertest.Wait(t, ctx, "the count", `!document.querySelector('[data-owner-pending]').hidden`)
			browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=ConsoleComment] [data-testid=ConsoleReply] summary`)))
		}, false, true},
		{"owner-console-replied", "/admin?state=all&done=reply:" + replied, func(t *testing.T, ctx context.Context) {
			browsertest.Wait(t, ctx, "select-all", `!document.querySelector('[data-select-all]').hidden`)
			browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS(`#select-all`)))
			browsertest.Wait(t, ctx, "the selection", `document.querySelector('[data-selected-count]').textContent !== ''`)
		}, false, true},
		{"owner-bans", "/admin/bans?comment=1", nil, false, false},
		{"owner-audit", "/admin/audit", nil, false, false},
		{"owner-account-welcome", "/admin/account?welcome=1", nil, false, true},
		{"owner-setup", localhost(unclaimed) + setupPath, nil, true, false},
		{"owner-setup-numeric", unclaimed + setupPath, func(t *testing.T, ctx context.Context) {
			browsertest.Wait(t, ctx, "the explanation", `document.querySelector('[data-passkey-error]').textContent.includes('localhost')`)
		}, true, true},
		{"owner-sign-in", "/admin/login", nil, true, false},
		{"post-as-owner", "/posts/hello-world", func(t *testing.T, ctx context.Context) {
			browsertest.Wait(t, ctx, "the count", `!document.querySelector('[data-owner-pending]').hidden`)
		}, false, true},
	}
	// The pages only look (a click opens a reply box or ticks boxes in the page), so the four themes and widths
	// run side by side, each through the pages in two tabs of its own: one with the owner's session, one
	// without. A tab kept open spares a renderer's start for each page.
	for _, look := range looks() {
		theme, width := look.theme, look.width
		t.Run(theme+"/"+width.name, func(t *testing.T) {
			t.Parallel()
			owner, stranger := b.Tab(t), b.PrivateTab(t)
			themed(t, owner, theme, width.w, width.h)
			themed(t, stranger, theme, width.w, width.h)
			for _, p := range pages {
				t.Run(p.name, func(t *testing.T) {
					tab := owner
					if p.signedOut {
						tab = stranger
					}
					u := p.path
					if strings.HasPrefix(u, "/") {
						u = localhost(base) + u // where the owner signed in, and where passkeys work
					}
					browsertest.Do(t, tab, chromedp.Navigate(u))
					if p.prepare != nil {
						p.prepare(t, tab)
					}
					axeCheck(t, tab, axe)
					if !p.keep {
						return
					}
					keepPicture(t, fmt.Sprintf("%s-%s-%s", p.name, width.name, theme), func() ([]byte, error) { return chromedp.Run(tab, chromedp.FullScreenshot(100)) })
				})
			}
		})
	}
}

// TestBrowserConsoleWithoutJavaScript replies and selects all from the console with scripts off: the reply
// box's field and button belong to its form outside the bulk form, so the plain post works; "Select all" is a
// link that ticks every comment shown.
func TestBrowserConsoleWithoutJavaScript(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t)}
	base, _ := startServer(t, env)
	newVisitor(t).comment(t, base, "hello-world", "Ada", "ada@example.com", "Answer me without scripts")
	newVisitor(t).comment(t, base, "hello-world", "Bob", "bob@example.com", "Me too")
	setPassword(t, env, "correct horse battery staple")
	b := browsertest.New(t)
	tab := b.Tab(t)
	if _, err := chromedp.Call(tab, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	signInWithPassword(t, tab, base, "correct horse battery staple")
	if !browsertest.Eval[bool](t, tab, `document.querySelector('[data-select-all]').hidden`) {
		t.Fatal("the select-all checkbox shows without a script to run it")
	}
	browsertest.Do(t, tab, chromedp.Click(chromedp.CSS(`[data-testid=ConsoleForm] a[href*="select=all"]`), chromedp.NodeVisible))
	browsertest.Wait(t, tab, "every comment ticked", `location.search.includes('select=all') && `+
		`Array.from(document.querySelectorAll('input[name=id]')).every(i => i.checked)`)
	ada := `[data-testid=ConsoleComment]:last-of-type`
	browsertest.Do(t, tab, chromedp.Click(chromedp.CSS(ada+` [data-testid=ConsoleReply] summary`)),
		chromedp.SendKeys(chromedp.CSS(ada+` textarea`), "Answered with scripts off."),
		chromedp.Click(chromedp.CSS(ada+` [data-testid=ReplySubmit]`)))
	browsertest.Wait(t, tab, "the notice after the redirect", `location.search.includes('done=reply:') && `+
		`document.querySelector('[data-testid=RepliedLink]') !== null`)
	if status, page := get(t, base+"/posts/hello-world"); status != 200 || !strings.Contains(page, "Answered with scripts off.") ||
		!strings.Contains(page, `data-testid="AuthorBadge"`) {
		t.Fatal("the reply is not on the post, marked")
	}
}
