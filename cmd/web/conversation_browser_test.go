package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"blog/internal/browsertest"
	"blog/internal/dbtest"
	"blog/repo"
)

// typeComment fills the comment form (wherever it is on the page) and posts it.
func typeComment(t *testing.T, tab context.Context, name, email, body string) {
	t.Helper()
	browsertest.Do(t, tab,
		chromedp.SetValue(chromedp.CSS("#comment-username"), name),
		chromedp.SetValue(chromedp.CSS("#comment-email"), email),
		chromedp.SendKeys(chromedp.CSS("#comment-body"), body),
		chromedp.Click(chromedp.CSS("#comment-form button[type=submit]:not([data-testid=PreviewButton])")))
}

// TestBrowserConversations: a reply from tab A appears under its parent in tab B without a reload; the poster
// sees their comment where it landed, announced, with focus back in the form; an edit appears in tab B; a
// validation error takes focus to its field; an arrival out of view shows the "new comment" cue.
func TestBrowserConversations(t *testing.T) {
	t.Parallel()
	base, _ := startServer(t, map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t)})
	newVisitor(t).comment(t, base, "hello-world", "Grace", "grace@example.com", "The first comment")
	b := browsertest.New(t)
	a, other := b.PrivateTab(t), b.PrivateTab(t)
	for _, tab := range tabs(a, other) {
		browsertest.Do(t, tab, chromedp.Navigate(base+"/posts/hello-world"))
		waitLive(t, tab)
		browsertest.Eval[bool](t, tab, `window.__noReload = true`)
	}

	// Reply in tab A: the form moves under the comment, says whom it answers, and keeps what was typed.
	browsertest.Do(t, a, chromedp.SendKeys(chromedp.CSS("#comment-body"), "Kept while I decide"))
	browsertest.Do(t, a, chromedp.Click(chromedp.CSS(`#comment-list a[data-reply]`)))
	browsertest.Wait(t, a, "the form under the comment", `document.querySelector('#comment-list #comment-form') !== null &&
		!document.getElementById('reply-to').classList.contains('hidden') && document.activeElement.id === 'comment-body'`)
	if v := browsertest.Eval[string](t, a, `document.querySelector('#comment-body').value`); v != "Kept while I decide" {
		t.Fatalf("the text typed so far was lost: %q", v)
	}
	browsertest.Eval[bool](t, a, `document.querySelector('#comment-body').value = '', true`)
	typeComment(t, a, "Ada", "ada@example.com", "A reply from tab A")
	// Where it lands, in view, announced; focus back in the (emptied) form, which is back in its place.
	browsertest.Wait(t, a, "the reply in its conversation", `(() => { const r = [...document.querySelectorAll('[data-replies] [data-testid=CommentItem]')]
		.find(e => e.textContent.includes('A reply from tab A')); if (!r) return false; const b = r.getBoundingClientRect();
		return b.top < innerHeight && b.bottom > 0 })()`)
	browsertest.Wait(t, a, "the announcement", `document.getElementById('live-announcer').textContent.includes('Your comment is posted')`)
	browsertest.Wait(t, a, "focus in the form", `document.activeElement.id === 'comment-body' && document.activeElement.value === '' &&
		document.querySelector('#comment-list #comment-form') === null`)
	// Tab B gets it live, under its parent.
	browsertest.Wait(t, other, "the reply under its parent in tab B", `[...document.querySelectorAll('[data-replies] [data-testid=CommentItem]')]
		.filter(e => e.textContent.includes('A reply from tab A')).length === 1`)

	// Edit within the window: in place in tab A, live in tab B.
	browsertest.Do(t, a, chromedp.Click(chromedp.CSS(`[data-testid=EditLink]`)))
	browsertest.Wait(t, a, "the edit form", `document.activeElement && document.activeElement.closest('[data-testid=EditForm]') !== null`)
	browsertest.Eval[bool](t, a, `document.activeElement.value = 'A reply from tab A, **edited**', true`)
	browsertest.Do(t, a, chromedp.Click(chromedp.CSS(`[data-testid=EditForm] button[type=submit]`)))
	browsertest.Wait(t, a, "the edit saved", `document.getElementById('live-announcer').textContent.includes('saved')`)
	browsertest.Wait(t, other, "the edit in tab B", `[...document.querySelectorAll('[data-testid=CommentItem]')]
		.some(e => e.innerHTML.includes('<strong>edited</strong>') && e.querySelector('[data-testid=Edited]'))`)

	// A validation error: focus goes to the field in error.
	browsertest.Do(t, a, chromedp.SetValue(chromedp.CSS("#comment-email"), "not an email"),
		chromedp.SendKeys(chromedp.CSS("#comment-body"), "x"), chromedp.Click(chromedp.CSS("#comment-form button[type=submit]:not([data-testid=PreviewButton])")))
	browsertest.Wait(t, a, "focus on the field in error", `document.activeElement.id === 'comment-email' && document.activeElement.getAttribute('aria-invalid') === 'true'`)

	// An arrival out of view: tab B has seen what is there, then is scrolled to the top of a tall page; a cue
	// appears and brings the newcomer into view.
	n := browsertest.Eval[int](t, other, `document.querySelectorAll('[data-testid=CommentItem]').length`)
	for i := range n {
		// Scrolled into view, each is seen once the page's intersection observer hears of it; an observer of the
		// test's own hears in the same round, after it (observers are told in the order they were made).
		browsertest.Eval[bool](t, other, fmt.Sprintf(`(() => {
			const el = document.querySelectorAll('[data-testid=CommentItem]')[%d];
			window.__inView = false;
			const o = new IntersectionObserver(es => { if (es.some(e => e.isIntersecting)) { window.__inView = true; o.disconnect(); } });
			o.observe(el);
			el.scrollIntoView();
			return true;
		})()`, i))
		browsertest.Wait(t, other, "the comment in view", `window.__inView === true`)
	}
	browsertest.Wait(t, other, "everything seen", `document.getElementById('new-comments').classList.contains('hidden')`)
	browsertest.Eval[bool](t, other, `document.body.style.paddingBottom = '3000px'; window.scrollTo(0, 0); true`)
	newVisitor(t).comment(t, base, "hello-world", "Linus", "linus@example.com", "Arrives out of view")
	browsertest.Wait(t, other, "the cue", `!document.getElementById('new-comments').classList.contains('hidden') &&
		document.getElementById('new-comments').textContent === '1 new comment' && scrollY === 0`)
	browsertest.Do(t, other, chromedp.Click(chromedp.CSS("#new-comments")))
	browsertest.Wait(t, other, "the arrival in view and focused", `document.activeElement && document.activeElement.textContent.includes('Arrives out of view')`)
	for _, tab := range tabs(a, other) {
		if !browsertest.Eval[bool](t, tab, `window.__noReload === true`) {
			t.Fatal("a page reloaded")
		}
	}
}

// TestBrowserEditAfterTheWindow: once the edit window is over, an edit is refused with a sentence beside the
// comment, and nothing changes.
func TestBrowserEditAfterTheWindow(t *testing.T) {
	t.Parallel()
	dbURL := dbtest.SQLiteURL(t)
	base, _ := startServer(t, map[string]string{"DATABASE_URL": dbURL, "EDIT_WINDOW": "1m"})
	b := browsertest.New(t)
	tab := openPost(t, b, base, "hello-world")
	typeComment(t, tab, "Ada", "ada@example.com", "Soon too old to edit")
	browsertest.Wait(t, tab, "the comment", countJS("Soon too old to edit")+` === 1`)
	browsertest.Do(t, tab, chromedp.Click(chromedp.CSS(`[data-testid=EditLink]`)))
	browsertest.Wait(t, tab, "the edit form", `document.querySelector('[data-testid=EditForm]') !== null`)
	// The window closes while the form is open.
	db := dbtest.Open(t, dbURL, false)
	if _, _, err := db.Repo().Exec(context.Background(), "UPDATE comments SET created_at = ?", time.Now().UTC().Add(-2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	browsertest.Eval[bool](t, tab, `document.querySelector('[data-testid=EditForm] textarea').value = 'too late', true`)
	browsertest.Do(t, tab, chromedp.Click(chromedp.CSS(`[data-testid=EditForm] button[type=submit]`)))
	browsertest.Wait(t, tab, "the refusal", `(document.querySelector('[role=alert].field-error:not(:empty)') || {}).textContent?.includes('is over')`)
	var c repo.Comment
	db.Repo().Find(context.Background(), &c)
	if c.Body != "Soon too old to edit" {
		t.Fatalf("the refused edit changed the comment: %q", c.Body)
	}
}

// TestBrowserConversationByKeyboard: reply, preview, post and edit with the keyboard alone.
func TestBrowserConversationByKeyboard(t *testing.T) {
	t.Parallel()
	base, _ := startServer(t, map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t)})
	newVisitor(t).comment(t, base, "hello-world", "Grace", "grace@example.com", "Answer me by keyboard")
	b := browsertest.New(t)
	tab := openPost(t, b, base, "hello-world")
	focused := func() string {
		return browsertest.Eval[string](t, tab, `(document.activeElement.getAttribute('data-testid') || '') + '|' + (document.activeElement.id || '') + '|' + document.activeElement.textContent.trim().slice(0, 40)`)
	}
	reach := func(want string) {
		t.Helper()
		for range 80 {
			browsertest.Do(t, tab, chromedp.KeyEvent("\t"))
			if strings.Contains(focused(), want) {
				return
			}
		}
		t.Fatalf("Tab never reached %q (last %q)", want, focused())
	}
	reach("Reply")
	browsertest.Do(t, tab, chromedp.KeyEvent("\r"))
	browsertest.Wait(t, tab, "the reply form focused", `document.activeElement.id === 'comment-body' && document.querySelector('#comment-list #comment-form') !== null`)
	browsertest.Do(t, tab, chromedp.KeyEvent("A *keyboard* reply"))
	// Name and email come before the text in the form: shift-tab back to them.
	browsertest.Eval[bool](t, tab, `document.getElementById('comment-username').focus(), true`)
	browsertest.Do(t, tab, chromedp.KeyEvent("Keys"), chromedp.KeyEvent("\t"), chromedp.KeyEvent("keys@example.com"))
	reach("PreviewButton")
	browsertest.Do(t, tab, chromedp.KeyEvent("\r"))
	browsertest.Wait(t, tab, "the preview", `document.querySelector('[data-testid=PreviewText] em')?.textContent === 'keyboard'`)
	browsertest.Eval[bool](t, tab, `document.getElementById('comment-body').focus(), true`)
	reach("Post comment")
	browsertest.Do(t, tab, chromedp.KeyEvent("\r"))
	browsertest.Wait(t, tab, "the reply posted", `[...document.querySelectorAll('[data-replies] [data-testid=CommentItem]')].some(e => e.textContent.includes('keyboard reply'))`)
	reach("EditLink")
	browsertest.Do(t, tab, chromedp.KeyEvent("\r"))
	browsertest.Wait(t, tab, "the edit form focused", `document.activeElement.closest('[data-testid=EditForm]') !== null`)
	browsertest.Do(t, tab, chromedp.KeyEvent(" (changed)"))
	browsertest.Do(t, tab, chromedp.KeyEvent("\t"), chromedp.KeyEvent("\r"))
	browsertest.Wait(t, tab, "the edit saved", `[...document.querySelectorAll('[data-testid=CommentItem]')].some(e => e.textContent.includes('(changed)') && e.querySelector('[data-testid=Edited]'))`)
}
