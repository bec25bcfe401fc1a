package main

import (
	"fmt"
	"math"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"blog/internal/browsertest"
	"blog/internal/dbtest"
)

// TestBrowserReadingTypography checks what a reader sees of the type, in both themes and at phone and desktop
// widths: article code (inline and blocks) at 0.875 of the body's size, the post's date line in the same sans
// as on the home page, the error page's title in the same serif as every other page title, and a post without
// comments not linking "No comments yet" from the home page.
func TestBrowserReadingTypography(t *testing.T) {
	t.Parallel()
	base, _ := startServer(t, map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t)})
	b := browsertest.New(t)
	for _, theme := range []string{"light", "dark"} {
		for _, width := range []int64{390, 1280} {
			t.Run(fmt.Sprintf("%s/%d", theme, width), func(t *testing.T) {
				tab := b.Tab(t)
				if _, err := chromedp.Call(tab, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
					Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: theme}}}); err != nil {
					t.Fatal(err)
				}
				open := func(path string) {
					t.Helper()
					browsertest.Do(t, tab, chromedp.EmulateViewport(width, 900), chromedp.Navigate(base+path))
				}
				size := func(sel string) float64 {
					t.Helper()
					return browsertest.Eval[float64](t, tab, `parseFloat(getComputedStyle(document.querySelector(`+jsString(sel)+`)).fontSize)`)
				}
				family := func(sel string) string {
					t.Helper()
					return browsertest.Eval[string](t, tab, `getComputedStyle(document.querySelector(`+jsString(sel)+`)).fontFamily`)
				}

				open("/posts/writing-posts")
				body := size(".article .e-content > p")
				if mb := browsertest.Eval[string](t, tab, `getComputedStyle(document.querySelector('.article .e-content > :last-child')).marginBottom`); mb != "0px" {
					t.Errorf("the article's last block has a bottom margin of %s, want none (as the last child of the text)", mb)
				}
				for _, sel := range []string{".article p code", ".article pre", ".article pre code"} {
					if got := size(sel); math.Abs(got-0.875*body) > 0.1 {
						t.Errorf("%s is %.2f px in %.2f px text, want %.2f (0.875em)", sel, got, body, 0.875*body)
					}
				}
				postMeta := family(`[data-testid=PostPage] header time`)

				open("/")
				if homeMeta := family(`[data-testid=PostSummary] time`); homeMeta != postMeta {
					t.Errorf("the date line is %q on a post, %q on the home page", postMeta, homeMeta)
				}
				t.Logf("meta %s", postMeta)
				serif := family(`[data-testid=PostSummary] h2`)
				if n := browsertest.Eval[int](t, tab, `Array.from(document.querySelectorAll('[data-testid=PostSummary] a[data-testid=CommentCount]')).filter(a => a.textContent.includes('No comments')).length`); n != 0 {
					t.Errorf("%d summaries link \"No comments yet\"", n)
				}
				if n := browsertest.Eval[int](t, tab, `Array.from(document.querySelectorAll('[data-testid=PostSummary] [data-testid=CommentCount]')).filter(e => e.textContent.includes('No comments')).length`); n == 0 {
					t.Error("summaries no longer say \"No comments yet\"")
				}

				open("/posts/nope")
				if got := family(`[data-testid=ErrorPage] h1`); got != serif {
					t.Errorf("the error page's title is set in %q, other titles in %q", got, serif)
				}
			})
		}
	}
}

// TestBrowserJumpToTheCommentForm: on a post with a long conversation, a link at the top of the comments
// leads to the form (the next Tab lands in its first field) and one after the form leads back, with the
// keyboard, with and without JavaScript.
func TestBrowserJumpToTheCommentForm(t *testing.T) {
	t.Parallel()
	base, _ := startServer(t, map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t), "RATE_LIMIT": "off"})
	v := newVisitor(t)
	for i := range 30 {
		if resp := v.comment(t, base, "hello-world", fmt.Sprint("Reader ", i), fmt.Sprintf("r%d@example.com", i),
			"A comment long enough to take some room on the page.\n\nWith a second paragraph, too."); resp.StatusCode != 303 {
			t.Fatalf("seed comment %d: %d", i, resp.StatusCode)
		}
	}
	b := browsertest.New(t)
	for _, script := range []bool{true, false} {
		t.Run(fmt.Sprintf("javascript=%v", script), func(t *testing.T) {
			tab := b.Tab(t)
			if !script {
				if _, err := chromedp.Call(tab, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
					t.Fatal(err)
				}
			}
			browsertest.Do(t, tab, chromedp.EmulateViewport(390, 844), chromedp.Navigate(base+"/posts/hello-world"))
			if script {
				waitLive(t, tab)
			}
			inView := func(sel string) bool {
				return browsertest.Eval[bool](t, tab, `(() => { const r = document.querySelector(`+jsString(sel)+`).getBoundingClientRect();
					return r.top < innerHeight && r.bottom > 0 })()`)
			}
			if h := browsertest.Eval[float64](t, tab, `document.querySelector('#comment-list').getBoundingClientRect().height`); h < 3000 {
				t.Fatalf("the conversation is only %.0f px tall: nothing to jump over", h)
			}
			// The link is near the top of the comments, before the list.
			if !browsertest.Eval[bool](t, tab, `(() => { const a = document.querySelector('#comments [data-testid=JumpToForm] a[href="#comment-form"]');
				return !!a && !!(a.compareDocumentPosition(document.querySelector('#comment-list')) & Node.DOCUMENT_POSITION_FOLLOWING) })()`) {
				t.Fatal("no link to the form before the comments")
			}
			browsertest.Eval[bool](t, tab, `document.querySelector('[data-testid=JumpToForm] a').focus(), true`)
			browsertest.Do(t, tab, chromedp.KeyEvent("\r"))
			browsertest.Wait(t, tab, "the form in view", `(() => { const r = document.querySelector('#comment-form').getBoundingClientRect();
				return r.top < innerHeight && r.bottom > 0 })()`)
			if inView("#comments-heading") {
				t.Fatal("the jump did not move the page")
			}
			browsertest.Do(t, tab, chromedp.KeyEvent("\t"))
			if got := browsertest.Eval[string](t, tab, `document.activeElement.id`); got != "comment-username" {
				t.Fatalf("Tab after the jump focuses %q, want the form's first field", got)
			}
			browsertest.Eval[bool](t, tab, `document.querySelector('[data-testid=BackToComments] a[href="#comments"]').focus(), true`)
			browsertest.Do(t, tab, chromedp.KeyEvent("\r"))
			browsertest.Wait(t, tab, "the start of the comments in view", `(() => { const r = document.querySelector('#comments-heading').getBoundingClientRect();
				return r.top >= 0 && r.top < innerHeight })()`)
			browsertest.Do(t, tab, chromedp.KeyEvent("\t"))
			if got := browsertest.Eval[string](t, tab, `document.activeElement.closest('[data-testid=JumpToForm]') ? 'jump' : document.activeElement.outerHTML.slice(0, 80)`); got != "jump" {
				t.Fatalf("Tab after going back focuses %s, want the jump link again", got)
			}
		})
	}
}
