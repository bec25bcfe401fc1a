package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"blog/internal/browsertest"
	"blog/internal/dbtest"
	"blog/internal/mailtest"
)

// TestNewsletterInTheBrowser walks a reader's way in Chromium, in both themes at phone and desktop widths: the
// box under a post, a mistyped address (its message beside the field, focused), the answer, the mail (a real SMTP
// server), the page its link opens, the button, and the unsubscribe page of the mail. axe checks every page
// on the way, and the owner's Subscribers page; the pictures of the box, the answer, the confirmation and the
// owner's page are kept for docs/.
func TestNewsletterInTheBrowser(t *testing.T) {
	t.Parallel()
	axe := axeSource(t)
	b := browsertest.New(t)
	for _, look := range looks() {
		theme, width := look.theme, look.width
		t.Run(theme+"/"+width.name, func(t *testing.T) {
			relay := mailtest.Start(t)
			env := map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t), "SMTP_URL": relay.URL(),
				"MAIL_FROM": "Field Notes <blog@example.com>", "NOTIFY_RETRY": "50ms"}
			base, _ := startServer(t, env)
			tab := b.PrivateTab(t)
			themed(t, tab, theme, width.w, width.h)
			browsertest.Do(t, tab, chromedp.Navigate(base+"/posts/hello-world"))
			browsertest.Wait(t, tab, "the box under the post", `document.querySelector('[data-testid=SubscribeBox] #subscribe-email') !== null`)
			axeCheck(t, tab, axe)
			browsertest.Do(t, tab, chromedp.ScrollIntoView(chromedp.CSS(`[data-testid=SubscribeBox]`)))
			keepPicture(t, fmt.Sprintf("newsletter-box-%s-%s", width.name, theme), func() ([]byte, error) {
				return chromedp.Run(tab, chromedp.Screenshot(chromedp.CSS(`[data-testid=SubscribeBox]`)))
			})
			// The browser asks for an address first (required, type=email); the server says so too.
			browsertest.Do(t, tab, chromedp.SendKeys(chromedp.CSS(`#subscribe-email`), "ada at example"),
				chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid=SubscribeBox] form').noValidate = true`),
				chromedp.Submit(chromedp.CSS(`#subscribe-email`)))
			browsertest.Wait(t, tab, "the message, the field focused", `document.getElementById('newsletter-email-error') !== null &&
				document.activeElement.id === 'newsletter-email' && document.activeElement.value === 'ada at example'`)
			axeCheck(t, tab, axe)
			browsertest.Do(t, tab, chromedp.SetValue(chromedp.CSS(`#newsletter-email`), "ada@example.com"),
				chromedp.Submit(chromedp.CSS(`#newsletter-email`)))
			browsertest.Wait(t, tab, "the answer, focused", `document.activeElement && document.activeElement.id === 'newsletter-asked'`)
			axeCheck(t, tab, axe)
			keepPicture(t, fmt.Sprintf("newsletter-asked-%s-%s", width.name, theme), func() ([]byte, error) { return chromedp.Run(tab, chromedp.Screenshot(chromedp.CSS("main"))) })

			confirm := waitLetter(t, relay, "ada@example.com", "Confirm", 1)[0]
			link := letterConfirmLink.FindString(confirm.Text)
			browsertest.Do(t, tab, chromedp.Navigate(link))
			browsertest.Wait(t, tab, "the confirmation page", `document.querySelector('[data-testid=NewsletterButton]') !== null`)
			axeCheck(t, tab, axe)
			browsertest.Do(t, tab, chromedp.Click(chromedp.CSS(`[data-testid=NewsletterButton]`)))
			browsertest.Wait(t, tab, "confirmed", `document.querySelector('[data-testid=NewsletterDone]') !== null`)
			axeCheck(t, tab, axe)
			keepPicture(t, fmt.Sprintf("newsletter-confirmed-%s-%s", width.name, theme), func() ([]byte, error) { return chromedp.Run(tab, chromedp.Screenshot(chromedp.CSS("main"))) })

			unsub := strings.Trim(confirm.Header.Get("List-Unsubscribe"), "<>")
			browsertest.Do(t, tab, chromedp.Navigate(unsub))
			browsertest.Wait(t, tab, "the unsubscribe page", `document.querySelector('[data-testid=NewsletterButton]') !== null`)
			axeCheck(t, tab, axe)
			browsertest.Do(t, tab, chromedp.Click(chromedp.CSS(`[data-testid=NewsletterButton]`)))
			browsertest.Wait(t, tab, "unsubscribed", `document.querySelector('[data-testid=NewsletterDone]') !== null &&
				document.body.textContent.includes('gets no more posts by email')`)
			axeCheck(t, tab, axe)

			// The owner's page: the counts, the export and the import.
			setPassword(t, env, "correct horse battery staple")
			own := b.PrivateTab(t)
			themed(t, own, theme, width.w, width.h)
			signInWithPassword(t, own, localhost(base), "correct horse battery staple")
			browsertest.Do(t, own, chromedp.Navigate(localhost(base)+"/admin/subscribers"))
			browsertest.Wait(t, own, "the owner's page", `document.querySelector('[data-testid=AdminSubscribersPage] [data-testid=SubscriberCounts]') !== null`)
			axeCheck(t, own, axe)
			keepPicture(t, fmt.Sprintf("owner-subscribers-%s-%s", width.name, theme), func() ([]byte, error) { return chromedp.Run(own, chromedp.Screenshot(chromedp.CSS("main"))) })
		})
	}
}
