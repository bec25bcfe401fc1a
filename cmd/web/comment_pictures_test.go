package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"blog/internal/browsertest"
	"blog/internal/dbtest"
)

// keepPicture writes a screenshot into docs/ when DOCS_SCREENSHOTS is set (make screenshots), so the pictures
// the README links can be redrawn after a change to a page, and an ordinary test run leaves the tree as it was. It
// captures only then: an ordinary run has no use for the pictures, and drawing them (over a hundred, some full
// pages) was the browser's work for nothing.
func keepPicture(t *testing.T, name string, capture func() ([]byte, error)) {
	t.Helper()
	if os.Getenv("DOCS_SCREENSHOTS") == "" {
		return
	}
	png, err := capture()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("..", "..", "docs", name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// size is a browser window's width and height, by name.
type size struct {
	name string
	w, h int64
}

// look is one way a reader sees a page: a colour scheme at a window size.
type look struct {
	theme string
	width size
}

// looks returns the colour schemes and sizes a browser test shows its pages in. make screenshots
// (DOCS_SCREENSHOTS) and CI take all four; an ordinary run takes two that between them cover each scheme and
// each size once (light on a phone, dark on a desktop), which halves the browser's work in the developer's loop.
// TestAccessibility still checks every page in all four on every run.
func looks() []look {
	phone, desktop := size{"phone", 390, 844}, size{"desktop", 1280, 900}
	if os.Getenv("DOCS_SCREENSHOTS") != "" || os.Getenv("CI") == "true" {
		return []look{{"light", phone}, {"light", desktop}, {"dark", phone}, {"dark", desktop}}
	}
	return []look{{"light", phone}, {"dark", desktop}}
}

// TestCommentAreaPictures runs axe on the comment area in the states a reader meets (their own comment with
// Reply, Edit and Delete, a reply to someone else's, a text over the limit with its count and message) and on
// highlighted code, in both themes at phone and desktop widths, and keeps their pictures for docs/.
func TestCommentAreaPictures(t *testing.T) {
	t.Parallel()
	axe := axeSource(t)
	b := browsertest.New(t)
	for _, look := range looks() {
		theme, width := look.theme, look.width
		t.Run(theme+"/"+width.name, func(t *testing.T) {
			// A blog of its own each time, so each picture shows one reader's visit.
			base, _ := startServer(t, map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t), "EDIT_WINDOW": "1h"})
			newVisitor(t).comment(t, base, "writing-posts", "Grace", "grace@example.com",
				"Does the highlighter know `templ`? I write mine in it:\n\n```go\nfunc main() { fmt.Println(\"hi\") }\n```")
			tab := b.PrivateTab(t)
			themed(t, tab, theme, width.w, width.h)
			browsertest.Do(t, tab, chromedp.Navigate(base+"/posts/writing-posts"))
			waitLive(t, tab)
			// My comment (with its controls), then a reply to Grace's.
			typeComment(t, tab, "Ada", "ada@example.com", "Thanks, this is what I needed. **Bold** and `code` work too.")
			browsertest.Wait(t, tab, "my comment with its controls", `document.querySelector('[data-own-controls] [data-testid=EditLink]') !== null`)
			browsertest.Do(t, tab, chromedp.Click(chromedp.CSS(`#comment-list > li:first-child a[data-reply]`)))
			browsertest.Wait(t, tab, "the reply form", `document.activeElement && document.activeElement.id === 'comment-body'`)
			browsertest.Do(t, tab, chromedp.SendKeys(chromedp.CSS(`#comment-body`), "It does, since this week."),
				chromedp.Click(chromedp.CSS("#comment-form button[type=submit]:not([data-testid=PreviewButton])")))
			browsertest.Wait(t, tab, "the reply under Grace's", `[...document.querySelectorAll('#comment-list li li')].some(li => li.textContent.includes('since this week'))`)
			browsertest.Wait(t, tab, "the form back, empty", `!document.querySelector('#comment-form').classList.contains('htmx-request') &&
				document.getElementById('comment-body').value === ''`)
			// A text past the limit: kept whole, counted, said.
			browsertest.Eval[bool](t, tab, `(() => { const a = document.getElementById('comment-body'); a.value = '`+strings.Repeat("word ", 1040)+`';
				a.dispatchEvent(new Event('input', {bubbles: true})); return true })()`)
			browsertest.Wait(t, tab, "the count over the limit", `document.querySelector('[data-char-alert-for=comment-body]').textContent.includes('over')`)
			browsertest.Wait(t, tab, "the arrival highlights over", `document.getAnimations().length === 0`)
			axeCheck(t, tab, axe)
			if n := browsertest.Eval[int](t, tab, `[...document.querySelectorAll('[data-testid=Avatar] path')].filter(p => !p.getAttribute('d')).length`); n != 0 {
				t.Fatalf("%d avatars drawn without a picture", n)
			}
			for _, part := range []struct{ name, sel string }{{"comments", "#comments"}, {"code", ".article .chroma"}} {
				keepPicture(t, fmt.Sprintf("%s-%s-%s", part.name, width.name, theme), func() ([]byte, error) { return chromedp.Run(tab, chromedp.Screenshot(chromedp.CSS(part.sel))) })
			}
		})
	}
}
