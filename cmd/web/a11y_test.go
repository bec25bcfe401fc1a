package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"blog/cmd/web/config"
	"blog/internal/browsertest"
	"blog/internal/dbtest"
	"blog/internal/mailtest"
	"blog/notify"
	"blog/repo/federation"
)

// axeSource is axe-core from node_modules (npm ci installs it).
func axeSource(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("axe-core missing in CI (npm ci): %v", err)
		}
		t.Skip("axe-core not installed; run npm ci")
	}
	return string(b)
}

type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []string `json:"target"`
		HTML   string   `json:"html"`
	} `json:"nodes"`
}

// TestAccessibility runs axe-core (WCAG 2.1 A/AA and best practices) on the home page, a post with comments, a
// post with an image, About, the 404 page and the form showing validation errors, in light and dark themes, at phone and desktop widths, and fails on any
// violation. With SCREENSHOTS=1 it also saves screenshots into screenshots/ (not committed). Each theme has a blog and a browser of
// its own and the two run side by side: most of the time goes to waiting on the browser. It runs beside the
// package's other browser tests (it was the longest test run alone before them: 118 s of a 491 s run).
func TestAccessibility(t *testing.T) {
	t.Parallel()
	axe := axeSource(t)
	for _, theme := range []string{"light", "dark"} {
		t.Run(theme, func(t *testing.T) {
			t.Parallel()
			base, confirmPath, unsubPath := a11yBlog(t)
			b := browsertest.New(t) // after the server, so the browser's sockets close before the server stops
			signInWithPassword(t, b.Tab(t), base, "correct horse battery staple")
			accessibilityPages(t, b, base, confirmPath, unsubPath, axe, theme)
		})
	}
}

// a11yBlog starts a blog with something on every page (comments, a held and a spam one, a ban, an audit trail,
// the owner's password); it returns the blog's address and the addresses in a notification mail.
func a11yBlog(t *testing.T) (base, confirmPath, unsubPath string) {
	t.Helper()
	dbURL := dbtest.SQLiteURL(t)
	// Mail configured, so that the comment form offers reply notifications.
	env := map[string]string{"DATABASE_URL": dbURL, "SMTP_URL": mailtest.Start(t).URL(), "MAIL_FROM": "Field Notes <blog@example.com>",
		"ACTIVITYPUB": "on", "ACTIVITYPUB_ALLOW_PRIVATE": "true"}
	base, _ = startServer(t, env)
	v := newVisitor(t)
	for i, c := range []struct{ name, body string }{
		{"Ada", "Lovely post. The part about live comments is exactly what I was looking for."},
		{"Grace", "Line one\nLine two, with <b>markup</b> shown as text."},
		{"Linus", "Is there an RSS feed?"},
	} {
		if resp := v.comment(t, base, "hello-world", c.name, fmt.Sprintf("reader%d@example.com", i), c.body); resp.StatusCode != 303 {
			t.Fatalf("seed comment: %d", resp.StatusCode)
		}
	}
	// The owner's pages need something to show: a held comment, a spam one, a ban, an audit trail.
	setPassword(t, env, "correct horse battery staple")
	for _, args := range [][]string{{"comments", "spam", "2"}, {"ban", "add", "domain", "spam.example"}, {"comments", "delete", "3"}} {
		if err := run(context.Background(), args, envFunc(env), strings.NewReader(""), io.Discard, io.Discard); err != nil {
			t.Fatalf("web %s: %v", strings.Join(args, " "), err)
		}
	}
	// The pages behind the links in notification mail.
	cfg, err := config.Load(envFunc(env))
	if err != nil {
		t.Fatal(err)
	}
	db := dbtest.Open(t, dbURL, false)
	// A follower on the fediverse, for the Followers page.
	if err := federation.New(db).Follow(context.Background(), federation.Follower{ActorURI: "https://social.example/users/ada",
		Inbox: "https://social.example/users/ada/inbox", Domain: "social.example", Handle: "@ada@social.example"}); err != nil {
		t.Fatal(err)
	}
	keys, err := siteKeys(context.Background(), cfg, db)
	if err != nil {
		t.Fatal(err)
	}
	tk := notify.Tokens{Key: keys.Notify}
	confirmPath = "/notify/confirm?t=" + url.QueryEscape(tk.Make(notify.PurposeConfirm, "reader0@example.com", time.Now().Add(time.Hour)))
	unsubPath = "/notify/unsubscribe?t=" + url.QueryEscape(tk.Make(notify.PurposeUnsubscribe, "reader0@example.com", time.Time{}))
	return base, confirmPath, unsubPath
}

// accessibilityPages runs axe on every page in one theme, at phone and desktop widths.
func accessibilityPages(t *testing.T, b *browsertest.Browser, base, confirmPath, unsubPath, axe, theme string) {
	// The pictures are for a person to look at, with SCREENSHOTS=1: 84 full-page captures cost the run time
	// and left 6 MB behind in the checkout.
	shots := ""
	if os.Getenv("SCREENSHOTS") != "" {
		shots = filepath.Join("..", "..", "screenshots")
		os.MkdirAll(shots, 0o755)
	}

	pages := []struct {
		name, path string
		prepare    func(t *testing.T, ctx context.Context)
		// signedOut opens the page in a browser of its own, without the owner's session.
		signedOut bool
	}{
		{"home", "/", nil, false},
		{"post", "/posts/hello-world", nil, false},
		{"about", "/about", nil, false},
		{"tag", "/tags/howto", nil, false},
		{"tags", "/tags", nil, false},
		{"archive", "/archive", nil, false},
		{"search", "/search?q=comments", nil, false},
		{"search-empty", "/search", nil, false},
		{"draft-preview", "/posts/upcoming", nil, false},
		{"post-with-image", "/posts/live-comments", nil, false},
		{"not-found", "/posts/nope", nil, false},
		{"form-errors", "/posts/hello-world", func(t *testing.T, ctx context.Context) {
			browsertest.Wait(t, ctx, "htmx", `typeof htmx !== 'undefined'`)
			browsertest.Do(t, ctx,
				chromedp.SendKeys(chromedp.CSS("#comment-email"), "not-an-email"),
				chromedp.Click(chromedp.CSS("#comment-form button[type=submit]")))
			browsertest.Wait(t, ctx, "errors", `document.querySelector('#comment-email-error') !== null`)
		}, false},
		{"notify-confirm", confirmPath, nil, true},
		{"notify-confirmed", confirmPath, func(t *testing.T, ctx context.Context) {
			browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=NotifyButton]`)))
			browsertest.Wait(t, ctx, "done", `document.body.innerText.includes('Done:')`)
		}, true},
		{"notify-unsubscribe", unsubPath, nil, true},
		{"owner-console-one", "/admin?id=1", nil, false},
		{"owner-sign-in", "/admin/login", nil, true},
		{"owner-setup-invalid", "/admin/setup?token=x", nil, true},
		{"owner-console", "/admin", nil, false},
		{"owner-console-acted", "/admin", func(t *testing.T, ctx context.Context) {
			browsertest.Wait(t, ctx, "htmx", `typeof htmx !== 'undefined'`)
			browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=ConsoleComment] button[name=one]`)))
			browsertest.Wait(t, ctx, "the notice", `document.activeElement && document.activeElement.id === 'notice'`)
		}, false},
		{"owner-bans", "/admin/bans?comment=1", nil, false},
		{"owner-audit", "/admin/audit", nil, false},
		{"owner-followers", "/admin/followers", nil, false},
		{"owner-following", "/admin/following", nil, false},
		{"owner-account", "/admin/account", nil, false},
	}
	// Two tabs for all the pages, one with the owner's session and one without (a browser context of its own):
	// a new tab costs a renderer of its own, and its first page is slower than a page in a tab already open
	// (about 0.3 s of 0.75 s per page, measured). Each page is still loaded afresh.
	owner, stranger := b.Tab(t), b.PrivateTab(t)
	for _, tab := range []context.Context{owner, stranger} {
		if _, err := chromedp.Call(tab, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: theme}}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, width := range []struct {
		name string
		w, h int64
	}{{"phone", 390, 844}, {"desktop", 1280, 900}} {
		for _, p := range pages {
			t.Run(p.name+"/"+width.name, func(t *testing.T) {
				tab := owner
				if p.signedOut {
					tab = stranger
				}
				browsertest.Do(t, tab, chromedp.EmulateViewport(width.w, width.h), chromedp.Navigate(base+p.path))
				if p.prepare != nil {
					p.prepare(t, tab)
				}
				axeCheck(t, tab, axe)
				if shots == "" {
					return
				}
				png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
				if err == nil {
					os.WriteFile(filepath.Join(shots, fmt.Sprintf("%s-%s-%s.png", p.name, width.name, theme)), png, 0o644)
				}
			})
		}
	}
}

// TestKeyboardOnly fills and sends the comment form with the keyboard alone, starting from the skip link.
func TestKeyboardOnly(t *testing.T) {
	t.Parallel()
	base, _ := startServer(t, map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t)})
	b := browsertest.New(t)
	tab := openPost(t, b, base, "hello-world")
	browsertest.Do(t, tab, chromedp.KeyEvent("\t"))
	if got := browsertest.Eval[string](t, tab, `document.activeElement.textContent.trim()`); got != "Skip to content" {
		t.Fatalf("first Tab focuses %q, want the skip link", got)
	}
	if !browsertest.Eval[bool](t, tab, `getComputedStyle(document.activeElement).outlineStyle !== 'none' || getComputedStyle(document.activeElement).boxShadow !== 'none'`) {
		t.Error("focused skip link shows no focus indicator")
	}
	browsertest.Eval[bool](t, tab, `document.querySelector('#comment-username').focus(), true`)
	browsertest.Do(t, tab,
		chromedp.KeyEvent("Keyboard"), chromedp.KeyEvent("\t"),
		chromedp.KeyEvent("keys@example.com"), chromedp.KeyEvent("\t"),
		chromedp.KeyEvent("Typed without a mouse"), chromedp.KeyEvent("\t"))
	if got := browsertest.Eval[string](t, tab, `document.activeElement.getAttribute('type') || document.activeElement.name`); got != "submit" {
		t.Fatalf("Tab after the comment lands on %q, want the submit button (the honeypot must be skipped)", got)
	}
	browsertest.Do(t, tab, chromedp.KeyEvent("\r"))
	browsertest.Wait(t, tab, "the comment", countJS("Typed without a mouse")+` === 1`)
}
