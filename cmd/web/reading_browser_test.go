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
				body := size(".article > p")
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
