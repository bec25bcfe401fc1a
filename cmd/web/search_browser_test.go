package main

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"blog/internal/browsertest"
	"blog/internal/dbtest"
)

// TestSearchPictures searches from the header's box with the keyboard alone (the form is a plain GET: it works
// without the page's scripts), checks the results page with axe in both themes at phone and desktop widths, and
// keeps its pictures for docs/ (make screenshots). Nothing is loaded from another host.
func TestSearchPictures(t *testing.T) {
	t.Parallel()
	axe := axeSource(t)
	b := browsertest.New(t)
	base, _ := startServer(t, map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t)})
	for _, c := range []struct{ slug, name, body string }{
		{"hello-world", "Grace", "Live comments are the reason I read this blog; the comments arrive while I read."},
		{"live-comments", "Ada", "How many open streams can one server hold before comments arrive late?"},
		{"live-comments", "Linus", "We moved from polling to a stream and our comments felt instant."},
	} {
		newVisitor(t).comment(t, base, c.slug, c.name, c.name+"@example.com", c.body)
	}
	for _, look := range looks() {
		theme, width := look.theme, look.width
		t.Run(theme+"/"+width.name, func(t *testing.T) {
			tab := b.PrivateTab(t)
			themed(t, tab, theme, width.w, width.h)
			browsertest.Do(t, tab, chromedp.Navigate(base+"/"))
			browsertest.Do(t, tab, chromedp.Focus(chromedp.CSS("#header-search")),
				chromedp.SendKeys(chromedp.CSS("#header-search"), "comments\r"))
			browsertest.Wait(t, tab, "the results page", `location.pathname === '/search' &&
				new URLSearchParams(location.search).get('q') === 'comments' &&
				document.querySelectorAll('[data-testid=SearchComment]').length === 3 &&
				document.querySelector('[data-testid=SearchPost] mark') !== null`)
			axeCheck(t, tab, axe)
			keepPicture(t, fmt.Sprintf("search-%s-%s", width.name, theme), func() ([]byte, error) { return chromedp.Run(tab, chromedp.FullScreenshot(100)) })

			browsertest.Do(t, tab, chromedp.Navigate(base+"/search?q=%22%22+***"))
			browsertest.Wait(t, tab, "the plain answer", `document.querySelector('[data-testid=SearchProblem]') !== null`)
			axeCheck(t, tab, axe)
		})
	}
	if third := b.ThirdParty(base); len(third) > 0 {
		t.Fatalf("requests to other hosts: %v", third)
	}
}
