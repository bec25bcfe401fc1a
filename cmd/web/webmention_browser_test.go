package main

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"blog/fetch"
	"blog/internal/browsertest"
	"blog/internal/dbtest"
	"blog/webmention"
)

// TestWebmentionPictures sends a reply from another site while the post is open in Chromium: it arrives live,
// in the conversation, with the site it came from and a link to the original; axe checks the page, and the
// comment's picture is kept for docs/ (make screenshots).
func TestWebmentionPictures(t *testing.T) {
	axe := axeSource(t)
	b := browsertest.New(t)
	for _, v := range []struct {
		theme, name string
		w, h        int64
	}{{"light", "desktop", 1280, 900}, {"dark", "phone", 390, 844}} {
		t.Run(v.theme+"/"+v.name, func(t *testing.T) {
			base, _ := startServer(t, map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t), "WEBMENTION_ALLOW_PRIVATE": "true"})
			target := base + "/posts/hello-world"
			other := newOtherSite(t)
			other.set("/2026/12/reply", replyPage(target, "I tried this on my own blog: the comments arrive while you read, <em>and</em> replies from other sites do too."))
			tab := b.PrivateTab(t)
			themed(t, tab, v.theme, v.w, v.h)
			browsertest.Do(t, tab, chromedp.Navigate(target))
			waitLive(t, tab)
			if _, err := webmention.Send(context.Background(), fetch.New(fetch.Config{AllowPrivate: true}), other.srv.URL+"/2026/12/reply", target); err != nil {
				t.Fatal(err)
			}
			browsertest.Wait(t, tab, "the reply arriving live", `!!document.querySelector('[data-testid=ElsewhereOrigin]')`)
			browsertest.Wait(t, tab, "the arrival highlights over", `document.getAnimations().length === 0`)
			axeCheck(t, tab, axe)
			shot, err := chromedp.Run(tab, chromedp.Screenshot(chromedp.CSS(`li:has([data-testid=ElsewhereOrigin]) > [data-part=comment]`)))
			if err != nil {
				t.Fatal(err)
			}
			keepPicture(t, fmt.Sprintf("webmention-reply-%s-%s", v.name, v.theme), shot)
		})
	}
}
