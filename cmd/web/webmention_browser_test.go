package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"testing"

	"github.com/chromedp/chromedp"

	"blog/fetch"
	"blog/internal/browsertest"
	"blog/internal/dbtest"
	"blog/webmention"
)

// TestWebmentionPictures sends a reply from another site while the post is open in Chromium: it arrives live,
// in the conversation, with the site it came from, a link to the original and its author's photo (the blog's
// copy, loaded from the blog); axe checks the page, and the comment's picture is kept for docs/ (make
// screenshots). A like sent next shows under the post without a reload.
func TestWebmentionPictures(t *testing.T) {
	t.Parallel()
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
			other.set("/2026/12/reply", replyPageWithPhoto(target, "I tried this on my own blog: the comments arrive while you read, <em>and</em> replies from other sites do too.", "/me.jpg"))
			other.set("/me.jpg", string(portrait()))
			tab := b.PrivateTab(t)
			themed(t, tab, v.theme, v.w, v.h)
			browsertest.Do(t, tab, chromedp.Navigate(target))
			waitLive(t, tab)
			if _, err := webmention.Send(context.Background(), fetch.New(fetch.Config{AllowPrivate: true}), other.srv.URL+"/2026/12/reply", target); err != nil {
				t.Fatal(err)
			}
			browsertest.Wait(t, tab, "the reply arriving live", `!!document.querySelector('[data-testid=ElsewhereOrigin]')`)
			browsertest.Wait(t, tab, "the author's picture, from the blog", `(() => { const i = document.querySelector('li:has([data-testid=ElsewhereOrigin]) img[data-picture]'); return !!i && i.complete && i.naturalWidth === 128 && new URL(i.src).origin === location.origin })()`)
			browsertest.Wait(t, tab, "the arrival highlights over", `document.getAnimations().length === 0`)
			axeCheck(t, tab, axe)
			keepPicture(t, fmt.Sprintf("webmention-reply-%s-%s", v.name, v.theme), func() ([]byte, error) {
				return chromedp.Run(tab, chromedp.Screenshot(chromedp.CSS(`li:has([data-testid=ElsewhereOrigin]) > [data-part=comment]`)))
			})
			// A like from another site arrives live too: the page script puts the new counts in place.
			other.set("/like", `<div class="h-entry"><a class="u-like-of" href="`+target+`">liked</a><a class="p-author h-card" href="/">Bob</a></div>`)
			if _, err := webmention.Send(context.Background(), fetch.New(fetch.Config{AllowPrivate: true}), other.srv.URL+"/like", target); err != nil {
				t.Fatal(err)
			}
			browsertest.Wait(t, tab, "the like arriving live", `(document.querySelector('#elsewhere-counts [data-testid=ElsewhereLikes]') || {}).textContent?.includes('1 like from other sites')`)
		})
	}
}

// portrait is a 256×256 JPEG that looks like someone's profile picture: a head and shoulders on a plain ground.
func portrait() []byte {
	const n = 256
	m := image.NewRGBA(image.Rect(0, 0, n, n))
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			c := color.RGBA{94, 160, 160, 255}
			dx, dy := float64(x-n/2), float64(y-100)
			sx, sy := float64(x-n/2)/100, float64(y-260)/90
			switch {
			case dx*dx+dy*dy < 52*52:
				c = color.RGBA{236, 196, 164, 255}
			case sx*sx+sy*sy < 1:
				c = color.RGBA{60, 70, 120, 255}
			}
			m.SetRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	jpeg.Encode(&b, m, &jpeg.Options{Quality: 90})
	return b.Bytes()
}
