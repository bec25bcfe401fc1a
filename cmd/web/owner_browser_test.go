package main

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"blog/internal/browsertest"
	"blog/internal/dbtest"
	"blog/owner"
	"blog/repo/accounts"
)

// localhost turns the test server's address into one on "localhost": passkeys need a host name (an IP address
// cannot be a WebAuthn relying party), and browsers treat localhost as a secure context.
func localhost(base string) string { return strings.Replace(base, "127.0.0.1", "localhost", 1) }

// setupLink makes a fresh one-time setup link in the server's database, as a restart would.
func setupLink(t *testing.T, dbURL string) string {
	t.Helper()
	link, err := owner.NewSetupLink(context.Background(), accounts.NewOwner(dbtest.Open(t, dbURL, false)))
	if err != nil || link == "" {
		t.Fatalf("setup link: %q, %v", link, err)
	}
	return link
}

// setPassword sets the owner's password with the command line, as an operator would.
func setPassword(t *testing.T, env map[string]string, pw string) {
	t.Helper()
	var out strings.Builder
	if err := run(context.Background(), []string{"owner", "password"}, envFunc(env), strings.NewReader(pw+"\n"), &out, &out); err != nil {
		t.Fatalf("web owner password: %v\n%s", err, out.String())
	}
}

// signInWithPassword signs in through the sign-in page, typing the password.
func signInWithPassword(t *testing.T, tab context.Context, base, pw string) {
	t.Helper()
	browsertest.Do(t, tab, chromedp.Navigate(base+"/admin"))
	browsertest.Wait(t, tab, "the sign-in page", `location.pathname === '/admin/login'`)
	browsertest.Do(t, tab, chromedp.SendKeys(chromedp.CSS("#password"), pw), chromedp.Submit(chromedp.CSS("#password")))
	browsertest.Wait(t, tab, "the console", `location.pathname === '/admin' && document.querySelector('[data-testid=ConsolePage]') !== null`)
}

// TestBrowserOwnerPasskeyAndLiveModeration claims the blog with a passkey (Chromium's virtual authenticator),
// signs out and in again with it, then moderates while readers watch: a held comment is shown to its author
// only, appears for everyone without a reload once approved, and vanishes from every open page when deleted.
func TestBrowserOwnerPasskeyAndLiveModeration(t *testing.T) {
	t.Parallel()
	dbURL := dbtest.SQLiteURL(t)
	base, _ := startServer(t, map[string]string{"DATABASE_URL": dbURL, "MODERATION": "all"})
	link := setupLink(t, dbURL)
	b := browsertest.New(t)

	own := b.Tab(t)
	browsertest.Passkeys(t, own)
	browsertest.Do(t, own, chromedp.Navigate(localhost(base)+link))
	browsertest.Wait(t, own, "the passkey button", `!document.querySelector('[data-testid=PasskeySetup]').disabled`)
	browsertest.Do(t, own, chromedp.Click(chromedp.CSS("[data-testid=PasskeySetup]")))
	browsertest.Wait(t, own, "the account page", `location.pathname === '/admin/account' && document.querySelectorAll('[data-testid=Credential]').length === 1`)
	// Out, and in again with the same passkey. The header settles first: the pending count appears in it once
	// its request is answered and moves the navigation, and a click aimed before that lands beside the button.
	browsertest.Wait(t, own, "the pending count in the header", `!document.querySelector('[data-testid=OwnerPending]').hidden`)
	browsertest.Do(t, own, chromedp.Click(chromedp.CSS(`nav form button[type=submit]`)))
	browsertest.Wait(t, own, "the sign-in page", `location.pathname === '/admin/login'`)
	browsertest.Wait(t, own, "the passkey button", `!document.querySelector('[data-testid=PasskeyLogin]').disabled`)
	browsertest.Do(t, own, chromedp.Click(chromedp.CSS("[data-testid=PasskeyLogin]")))
	browsertest.Wait(t, own, "the console", `location.pathname === '/admin' && document.querySelector('[data-testid=ConsolePage]') !== null`)

	// Two readers in browsers of their own: the author of a held comment, and someone else.
	author, reader := b.PrivateTab(t), b.PrivateTab(t)
	for _, tab := range tabs(author, reader) {
		browsertest.Do(t, tab, chromedp.Navigate(base+"/posts/hello-world"))
		waitLive(t, tab)
		browsertest.Eval[bool](t, tab, `window.__noReload = true`)
	}
	browsertest.Do(t, author,
		chromedp.SendKeys(chromedp.CSS("#comment-username"), "Ada"),
		chromedp.SendKeys(chromedp.CSS("#comment-email"), "ada@example.com"),
		chromedp.SendKeys(chromedp.CSS("#comment-body"), "Held until the owner approves"),
		chromedp.Click(chromedp.CSS("#comment-form button[type=submit]")))
	browsertest.Wait(t, author, "the held comment, marked", `document.querySelector('#comment-list [data-held] [data-testid=HeldNotice]') !== null`)
	// The author still sees it after a reload; the other reader never does.
	browsertest.Do(t, author, chromedp.Navigate(base+"/posts/hello-world"))
	waitLive(t, author)
	browsertest.Wait(t, author, "the held comment after a reload", countJS("Held until the owner approves")+` === 1`)
	browsertest.Eval[bool](t, author, `window.__noReload = true`)
	if n := browsertest.Eval[int](t, reader, countJS("Held until the owner approves")); n != 0 {
		t.Fatal("another reader sees a held comment")
	}

	// The owner approves it: it appears for the reader without a reload, and loses its mark for the author.
	browsertest.Do(t, own, chromedp.Navigate(localhost(base)+"/admin?state=pending"))
	browsertest.Do(t, own, chromedp.Click(chromedp.CSS(`[data-testid=ConsoleComment] button[name=one][value^="approve:"]`)))
	browsertest.Wait(t, own, "the notice", `document.activeElement && document.activeElement.id === 'notice'`)
	browsertest.Wait(t, reader, "the approved comment", countJS("Held until the owner approves")+` === 1`)
	browsertest.Wait(t, reader, "the count", `document.querySelector('#comment-count').textContent.trim() === '1 comment'`)
	browsertest.Wait(t, author, "the mark gone", `document.querySelector('#comment-list [data-held]') === null && `+countJS("Held until the owner approves")+` === 1`)

	// The owner deletes it: it vanishes from both open pages.
	browsertest.Do(t, own, chromedp.Navigate(localhost(base)+"/admin"))
	browsertest.Do(t, own, chromedp.Click(chromedp.CSS(`[data-testid=ConsoleComment] button[name=one][value^="delete:"]`)))
	for _, tab := range tabs(author, reader) {
		browsertest.Wait(t, tab, "the comment gone", countJS("Held until the owner approves")+` === 0`)
		browsertest.Wait(t, tab, "the count", `document.querySelector('#comment-count').textContent.trim() === 'No comments yet'`)
		if !browsertest.Eval[bool](t, tab, `window.__noReload === true`) {
			t.Fatal("the page reloaded")
		}
	}
	if third := b.ThirdParty(base); len(third) > 0 {
		for _, u := range third {
			if !strings.HasPrefix(u, localhost(base)) {
				t.Fatalf("a page loaded something from elsewhere: %v", third)
			}
		}
	}
}

// TestBrowserOwnerPasswordSignIn sets the password from the command line and signs in by typing it.
func TestBrowserOwnerPasswordSignIn(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t)}
	base, _ := startServer(t, env)
	setPassword(t, env, "correct horse battery staple")
	b := browsertest.New(t)
	tab := b.Tab(t)
	browsertest.Do(t, tab, chromedp.Navigate(base+"/admin/login"))
	browsertest.Do(t, tab, chromedp.SendKeys(chromedp.CSS("#password"), "wrong password"), chromedp.Submit(chromedp.CSS("#password")))
	browsertest.Wait(t, tab, "the refusal", `(document.querySelector('[data-testid=Notice]')?.textContent || '').includes('not right')`)
	signInWithPassword(t, tab, base, "correct horse battery staple")
}

// TestBrowserConsoleByKeyboard selects a comment and deletes it with the keyboard alone: Tab reaches the
// checkbox, Space selects it, Shift+Tab goes back to the bulk actions, Enter acts, and focus lands on the
// message that says what happened.
func TestBrowserConsoleByKeyboard(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t)}
	base, _ := startServer(t, env)
	newVisitor(t).comment(t, base, "hello-world", "Ada", "ada@example.com", "Delete me by keyboard")
	setPassword(t, env, "correct horse battery staple")
	b := browsertest.New(t)
	tab := b.Tab(t)
	signInWithPassword(t, tab, base, "correct horse battery staple")
	browsertest.Wait(t, tab, "htmx", `typeof htmx !== 'undefined'`)
	focused := func() string {
		return browsertest.Eval[string](t, tab, `(document.activeElement.id || '') + '|' + (document.activeElement.name || '') + '|' + (document.activeElement.value || '')`)
	}
	reach := func(key, want string, opts ...chromedp.KeyOption) {
		t.Helper()
		for range 60 {
			browsertest.Do(t, tab, chromedp.KeyEvent(key, opts...))
			if strings.Contains(focused(), want) {
				return
			}
		}
		t.Fatalf("the keyboard never reached %q (last focus %q)", want, focused())
	}
	reach("\t", "select-1")
	browsertest.Do(t, tab, chromedp.KeyEvent(" "))
	if !browsertest.Eval[bool](t, tab, `document.getElementById('select-1').checked`) {
		t.Fatal("Space did not select the comment")
	}
	if !browsertest.Eval[bool](t, tab, `getComputedStyle(document.activeElement).outlineStyle !== 'none'`) {
		t.Error("the focused checkbox shows no focus indicator")
	}
	reach("\t", "|action|delete", chromedp.KeyModifiers(chromedp.ModifierShift))
	browsertest.Do(t, tab, chromedp.KeyEvent("\r"))
	browsertest.Wait(t, tab, "focus on the notice", `document.activeElement && document.activeElement.id === 'notice' && document.activeElement.textContent.includes('1 comment changed')`)
	if status, page := get(t, base+"/posts/hello-world"); status != 200 || strings.Contains(page, "Delete me by keyboard") {
		t.Fatal("the comment is still on the post page")
	}
}
