package main

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"blog/internal/browsertest"
	"blog/internal/dbtest"
)

// reactionJS reads a bar's button of one kind: "pressed count" (count as shown, aria-pressed).
func reactionJS(bar, kind string) string {
	return `(() => { const b = document.querySelector('#` + bar + ` button[data-reaction=` + kind + `]');
		return b ? b.getAttribute('aria-pressed') + ' ' + b.querySelector('[data-count]').textContent.trim() : 'none' })()`
}

// TestBrowserLiveReactions opens a post in two tabs of one browser: a reaction pressed in one is marked there
// and its count reaches the other without a reload (marked there too: the tabs share the browser's record); a
// reaction to the post from another browser reaches both, marked in neither; taking it back in the second tab
// reaches both; focus stays on the button pressed while the live change replaces the comment.
func TestBrowserLiveReactions(t *testing.T) {
	t.Parallel()
	base, _ := startServer(t, map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t)})
	if resp := newVisitor(t).comment(t, base, "hello-world", "Grace", "grace@example.com", "React to me"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("comment: status %d", resp.StatusCode)
	}
	b := browsertest.New(t)
	first, second := openPost(t, b, base, "hello-world"), openPost(t, b, base, "hello-world")
	for _, tab := range tabs(first, second) {
		browsertest.Eval[bool](t, tab, `window.__noReload = true`)
	}
	bar := browsertest.Eval[string](t, first, `document.querySelector('#comment-list [data-testid=ReactionBar]').id`)

	browsertest.Do(t, first, chromedp.Click(chromedp.CSS(`#`+bar+` button[data-reaction=like]`)))
	browsertest.WaitFor(t, first, "the press marked", reactionJS(bar, "like"), "true 1")
	browsertest.WaitFor(t, second, "the count in the other tab", reactionJS(bar, "like"), "true 1")
	browsertest.Wait(t, first, "focus kept on the button", `document.activeElement?.dataset.reaction === 'like'`)

	// From another browser, to the post itself: both tabs count it, neither marks it as theirs.
	v := newVisitor(t)
	if resp := v.post(t, base+"/posts/hello-world/reactions", map[string]string{"kind": "hooray"}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("another browser's reaction: status %d", resp.StatusCode)
	}
	for i, tab := range tabs(first, second) {
		browsertest.Wait(t, tab, fmt.Sprintf("the post's reaction in tab %d", i+1), reactionJS("post-reactions", "hooray")+` === 'false 1'`)
	}
	// Taken back in the second tab: both show it gone.
	browsertest.Do(t, second, chromedp.Click(chromedp.CSS(`#`+bar+` button[data-reaction=like]`)))
	for i, tab := range tabs(first, second) {
		browsertest.Wait(t, tab, fmt.Sprintf("taken back in tab %d", i+1), reactionJS(bar, "like")+` === 'false 0'`)
	}
	browsertest.Wait(t, second, "said", `document.getElementById('live-announcer').textContent.includes('taken back')`)
	for i, tab := range tabs(first, second) {
		if !browsertest.Eval[bool](t, tab, `window.__noReload === true`) {
			t.Errorf("tab %d reloaded", i+1)
		}
		if n := browsertest.Eval[int](t, tab, countJS("React to me")); n != 1 {
			t.Errorf("tab %d shows the comment %d times", i+1, n)
		}
	}
}

// TestReactionPictures runs axe on a post with reactions (one of them the reader's own) in both themes at phone
// and desktop widths, and keeps pictures of the comment's and the post's bars for docs/.
func TestReactionPictures(t *testing.T) {
	t.Parallel()
	axe := axeSource(t)
	b := browsertest.New(t)
	for _, look := range looks() {
		theme, width := look.theme, look.width
		t.Run(theme+"/"+width.name, func(t *testing.T) {
			base, _ := startServer(t, map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t)})
			newVisitor(t).comment(t, base, "hello-world", "Grace", "grace@example.com", "Reactions are a nice way to say thanks without a comment.")
			for _, kind := range []string{"like", "like", "love", "hooray"} {
				newVisitor(t).post(t, base+"/posts/hello-world/reactions", map[string]string{"kind": kind, "comment": "1"})
			}
			newVisitor(t).post(t, base+"/posts/hello-world/reactions", map[string]string{"kind": "love"})
			tab := b.PrivateTab(t)
			themed(t, tab, theme, width.w, width.h)
			browsertest.Do(t, tab, chromedp.Navigate(base+"/posts/hello-world"))
			waitLive(t, tab)
			browsertest.Do(t, tab, chromedp.Click(chromedp.CSS(`#reactions-1 button[data-reaction=thinking]`)))
			browsertest.WaitFor(t, tab, "my reaction marked", reactionJS("reactions-1", "thinking"), "true 1")
			browsertest.Do(t, tab, chromedp.Click(chromedp.CSS(`#post-reactions button[data-reaction=like]`)))
			browsertest.WaitFor(t, tab, "my reaction to the post", reactionJS("post-reactions", "like"), "true 1")
			browsertest.Wait(t, tab, "the arrival highlights over", `document.getAnimations().length === 0`)
			axeCheck(t, tab, axe)
			for _, part := range []struct{ name, sel string }{{"reactions-comment", "#comment-1 > [data-part=comment]"},
				{"reactions-post", "[data-testid=PostReactions]"}, {"comment-order", "[data-testid=CommentOrder]"}} {
				keepPicture(t, fmt.Sprintf("%s-%s-%s", part.name, width.name, theme), func() ([]byte, error) { return chromedp.Run(tab, chromedp.Screenshot(chromedp.CSS(part.sel))) })
			}
		})
	}
}

// post sends a plain form as this visitor (with its cookies) and returns the answer.
func (v *visitor) post(t *testing.T, u string, fields map[string]string) *http.Response {
	t.Helper()
	f := url.Values{}
	for k, val := range fields {
		f.Set(k, val)
	}
	resp, err := v.client.PostForm(u, f)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// TestReactionsOnTheCommandLine: `web reactions` reads what readers gave through a running server.
func TestReactionsOnTheCommandLine(t *testing.T) {
	env := map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t)}
	p := startProc(t, env)
	newVisitor(t).comment(t, p.base, "hello-world", "Grace", "grace@example.com", "React to me")
	for _, f := range []map[string]string{{"kind": "like", "comment": "1"}, {"kind": "love", "comment": "1"}, {"kind": "like"}} {
		if resp := newVisitor(t).post(t, p.base+"/posts/hello-world/reactions", f); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("react %v: %d", f, resp.StatusCode)
		}
	}
	out, err := webCmd(t, env, "", "reactions", "--post", "hello-world")
	if err != nil || !regexp.MustCompile(`(?m)^post hello-world\s+like 1\s+on its comments: 2$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^comment 1\s+like 1, love 1\s+Grace\s+React to me$`).MatchString(out) {
		t.Fatalf("web reactions: %v\n%s", err, out)
	}
	if out, err := webCmd(t, env, "", "reactions", "--post", "no-such"); err == nil || !strings.Contains(out, "no such post") {
		t.Fatalf("unknown post: %v\n%s", err, out)
	}
}

// TestBrowserCommentOrders: a new comment arriving live lands first in a tab sorted newest first and after the
// reacted ones in a tab sorted by reactions; the choice is a link, and the browser remembers it.
func TestBrowserCommentOrders(t *testing.T) {
	t.Parallel()
	base, _ := startServer(t, map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t)})
	for _, body := range []string{"First comment", "Second comment"} {
		newVisitor(t).comment(t, base, "hello-world", "Grace", "grace@example.com", body)
	}
	newVisitor(t).post(t, base+"/posts/hello-world/reactions", map[string]string{"kind": "like", "comment": "1"})
	b := browsertest.New(t)
	newest, top := b.Tab(t), b.PrivateTab(t)
	browsertest.Do(t, newest, chromedp.Navigate(base+"/posts/hello-world?order=newest#comments"))
	browsertest.Do(t, top, chromedp.Navigate(base+"/posts/hello-world?order=top#comments"))
	for _, tab := range tabs(newest, top) {
		waitLive(t, tab)
	}
	first := `document.querySelector('#comment-list > [data-testid=CommentItem] [data-testid=CommentBody]').textContent.trim()`
	last := `[...document.querySelectorAll('#comment-list > [data-testid=CommentItem] > [data-part=comment] [data-testid=CommentBody]')].map(e => e.textContent.trim()).join('|')`
	if got := browsertest.Eval[string](t, newest, first); got != "Second comment" {
		t.Fatalf("newest first opens with %q", got)
	}
	newVisitor(t).comment(t, base, "hello-world", "Ada", "ada@example.com", "Arrived live")
	browsertest.Wait(t, newest, "the arrival first", first+` === 'Arrived live'`)
	browsertest.Wait(t, top, "the arrival after the reacted ones", last+` === 'First comment|Second comment|Arrived live'`)
	// The choice is remembered: the plain address opens in the order chosen last in this browser.
	browsertest.Do(t, newest, chromedp.Navigate(base+"/posts/hello-world"))
	waitLive(t, newest)
	if got := browsertest.Eval[string](t, newest, `document.getElementById('comment-list').dataset.order + ' ' +
		document.querySelector('[data-testid=CommentOrder] [aria-current=true]').dataset.order`); got != "newest newest" {
		t.Fatalf("remembered order: %q", got)
	}
	browsertest.Do(t, newest, chromedp.Click(chromedp.CSS(`[data-testid=CommentOrder] a[data-order=oldest]`)))
	browsertest.Wait(t, newest, "oldest first after the link", `document.getElementById('comment-list')?.dataset.order === 'oldest'`)
	browsertest.Wait(t, newest, "at the comments", `location.hash === '#comments'`)
}
