package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"blog/internal/browsertest"
	"blog/internal/dbtest"
	"blog/repo"
	"blog/repo/discussion"
	"blog/repo/posts"
)

// TestBrowserCommentFinish checks the comment area's details as a reader meets them: the controls of one's own
// comment on one line; Edit and Delete gone as soon as somebody replies (live) and when the time to change ends;
// a paste past the limit kept whole and counted against it; "slow down" gone once the wait is over; and focus
// somewhere sensible (and an announcement) after a refused post, after deleting one's own comment and after
// "Show older comments".
func TestBrowserCommentFinish(t *testing.T) {
	t.Parallel()
	// Three comments in any 3 s from one client (every tab here is one client: 127.0.0.1).
	base, _ := startServer(t, map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t), "RATE_LIMIT": "3/1s",
		"EDIT_WINDOW": "1h"})
	b := browsertest.New(t)
	mine, other := b.PrivateTab(t), b.PrivateTab(t)
	for _, tab := range tabs(mine, other) {
		browsertest.Do(t, tab, chromedp.Navigate(base+"/posts/hello-world"))
		waitLive(t, tab)
	}
	typeComment(t, mine, "Ada", "ada@example.com", "Mine, with controls")
	browsertest.Wait(t, mine, "my comment with its controls", `document.querySelector('[data-own-controls]') !== null`)

	// Reply, Edit and Delete on one line, in one size.
	if ok := browsertest.Eval[bool](t, mine, `(() => { const c = document.querySelector('[data-own-controls]');
		const tops = [...c.querySelectorAll('a, button')].map(e => Math.round(e.getBoundingClientRect().top));
		const sizes = [...c.querySelectorAll('a, button')].map(e => getComputedStyle(e).fontSize);
		return tops.length === 3 && new Set(tops).size === 1 && new Set(sizes).size === 1 })()`); !ok {
		t.Fatal("Reply, Edit and Delete are not on one line in one size")
	}

	// A paste past the limit is kept whole, and the count says so.
	long := strings.Repeat("a", 5999) + "b"
	browsertest.Eval[bool](t, mine, `(() => { const a = document.getElementById('comment-body'); a.value = '`+long+`';
		a.dispatchEvent(new Event('input', {bubbles: true})); return true })()`)
	if v := browsertest.Eval[int](t, mine, `document.getElementById('comment-body').value.length`); v != 6000 {
		t.Fatalf("the pasted text is %d characters, want all 6000", v)
	}
	browsertest.Wait(t, mine, "the count against the limit", `document.querySelector('[data-char-count-for=comment-body]').textContent === '6,000 / 5,000' &&
		document.querySelector('[data-char-alert-for=comment-body]').textContent.includes('1,000 characters over')`)
	browsertest.Do(t, mine, chromedp.Click(chromedp.CSS("#comment-form button[type=submit]:not([data-testid=PreviewButton])")))
	browsertest.Wait(t, mine, "the server's refusal, text kept, focus on it", `document.activeElement.id === 'comment-body' &&
		document.activeElement.value.length === 6000 && document.getElementById('comment-body-error') !== null`)

	// Over the rate limit (three comments from this client just now): "slow down" beside the button, focus back in
	// the kept text; gone once the wait is over.
	for i := range 3 {
		newVisitor(t).comment(t, base, "writing-posts", "Filler", "filler@example.com", "Filler "+strings.Repeat("x", i))
	}
	browsertest.Eval[bool](t, mine, `(() => { const a = document.getElementById('comment-body'); a.value = 'Too soon';
		a.dispatchEvent(new Event('input', {bubbles: true})); return true })()`)
	browsertest.Do(t, mine, chromedp.Click(chromedp.CSS("#comment-form button[type=submit]:not([data-testid=PreviewButton])")))
	browsertest.Wait(t, mine, "slow down, focus in the kept text", `document.getElementById('form-notice').textContent.includes('too quickly') &&
		document.activeElement.id === 'comment-body' && document.activeElement.value === 'Too soon'`)
	browsertest.Wait(t, mine, "the notice gone after the wait", `document.getElementById('form-notice').textContent === ''`)

	// Somebody replies: Edit and Delete leave my comment at once, live; Reply stays.
	browsertest.Do(t, other, chromedp.Click(chromedp.CSS(`#comment-list a[data-reply]`)))
	typeComment(t, other, "Bob", "bob@example.com", "An answer")
	browsertest.Wait(t, mine, "my controls gone after the reply", `document.querySelector('[data-testid=EditLink]') === null &&
		document.querySelector('[data-testid=DeleteOwn]') === null && document.querySelector('#comment-list a[data-reply]') !== null`)

	// The time to change ends: Edit and Delete go (an edit window of a moment, set on the page as the server would).
	browsertest.Do(t, mine, chromedp.Navigate(base+"/posts/writing-posts"))
	waitLive(t, mine)
	typeComment(t, mine, "Ada", "ada@example.com", "Short-lived controls")
	browsertest.Wait(t, mine, "controls on the new comment", `document.querySelector('[data-testid=EditLink]') !== null`)
	browsertest.Eval[bool](t, mine, `(() => { const c = document.querySelector('[data-own-controls]');
		c.setAttribute('data-editable-until', new Date(Date.now() + 300).toISOString());
		htmx.trigger(document.body, 'htmx:load'); document.dispatchEvent(new CustomEvent('htmx:load', {bubbles: true})); return true })()`)
	browsertest.Wait(t, mine, "controls gone when the time is over", `document.querySelector('[data-testid=EditLink]') === null`)

	// Delete my own comment: it leaves, focus lands on what follows (here the comments heading), announced.
	typeComment(t, mine, "Ada", "ada@example.com", "To be deleted")
	browsertest.Wait(t, mine, "the comment to delete", `[...document.querySelectorAll('[data-testid=DeleteOwn]')].length > 0`)
	browsertest.Eval[bool](t, mine, `(window.confirm = () => true, true)`)
	browsertest.Do(t, mine, chromedp.Click(chromedp.CSS(`[data-testid=DeleteOwn]`)))
	browsertest.Wait(t, mine, "deleted, focus somewhere sensible, announced", `!document.body.textContent.includes('To be deleted') &&
		document.activeElement !== document.body && document.getElementById('live-announcer').textContent.includes('deleted')`)
}

// TestBrowserOlderCommentsTakeFocus checks that "Show older comments" moves focus to the first conversation it
// brings, and says how many came.
func TestBrowserOlderCommentsTakeFocus(t *testing.T) {
	t.Parallel()
	dbURL := dbtest.SQLiteURL(t)
	base, _ := startServer(t, map[string]string{"DATABASE_URL": dbURL})
	db := dbtest.Open(t, dbURL, false)
	ctx := context.Background()
	ids, err := posts.NewPosts(db).SyncPosts(ctx, []posts.PostRef{{Slug: "hello-world", Title: "Hello, world"}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 205 {
		if _, _, err := discussion.NewComments(db).CreateComment(ctx, repo.NewComment{PostID: ids["hello-world"],
			Input: repo.CommentInput{Username: "Reader", Email: "reader@example.com", Body: fmt.Sprintf("Conversation %d", i)}}); err != nil {
			t.Fatal(err)
		}
	}
	b := browsertest.New(t)
	tab := openPost(t, b, base, "hello-world")
	browsertest.Do(t, tab, chromedp.Click(chromedp.CSS(`#older-comments a`)))
	browsertest.Wait(t, tab, "focus on the first older conversation, announced", `document.activeElement.closest('li[data-comment-id]') !== null &&
		document.activeElement.textContent.includes('Conversation 0') &&
		document.getElementById('live-announcer').textContent.includes('5 older conversations shown')`)
}
