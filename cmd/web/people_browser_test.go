package main

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"blog/internal/browsertest"
	"blog/internal/dbtest"
	"blog/internal/mailtest"
)

// TestYourDataInTheBrowser walks a commenter's way in Chromium, in both themes at phone and desktop widths: from
// the link under the comment form to the request form, the mail (a real SMTP server), the page its link opens,
// the download, and the erasure, which a reader's open page shows at once ("Comment removed" where the
// answered comment was) without a reload. axe checks every page on the way, and the owner's People page; their
// pictures are kept for docs/.
func TestYourDataInTheBrowser(t *testing.T) {
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
			resp := newVisitor(t).comment(t, base, "hello-world", "Ada", "ada@example.com", "Ada's first thoughts, soon erased.")
			m := commentID.FindStringSubmatch(resp.Header.Get("Location"))
			newVisitor(t).postForm(t, base, "hello-world", map[string][]string{"username": {"Bob"}, "email": {"bob@example.com"},
				"body": {"Bob answers, and his answer stays."}, "parent": {m[1]}})
			newVisitor(t).comment(t, base, "writing-posts", "Bob", "bob@example.com", "Bob on another post.")
			reader := openPost(t, b, base, "hello-world")

			tab := b.PrivateTab(t)
			themed(t, tab, theme, width.w, width.h)
			browsertest.Do(t, tab, chromedp.Navigate(base+"/posts/hello-world"))
			waitLive(t, tab)
			browsertest.Do(t, tab, chromedp.Click(chromedp.CSS(`[data-testid=YourDataLink] a`)))
			browsertest.Wait(t, tab, "the request form", `document.querySelector('[data-testid=YourDataForm]') !== null`)
			axeCheck(t, tab, axe)
			// A mistyped address comes back with its message beside the field, focused.
			browsertest.Do(t, tab, chromedp.SendKeys(chromedp.CSS(`#your-data-email`), "ada at example"),
				chromedp.Submit(chromedp.CSS(`#your-data-email`)))
			browsertest.Wait(t, tab, "the message, the field focused", `document.getElementById('your-data-email-error') !== null &&
				document.activeElement.id === 'your-data-email' && document.activeElement.value === 'ada at example'`)
			axeCheck(t, tab, axe)
			browsertest.Do(t, tab, chromedp.SetValue(chromedp.CSS(`#your-data-email`), "ada@example.com"),
				chromedp.Submit(chromedp.CSS(`#your-data-email`)))
			browsertest.Wait(t, tab, "the answer, focused", `document.activeElement && document.activeElement.id === 'your-data-sent'`)
			axeCheck(t, tab, axe)

			link := dataLink.FindString(waitMail(t, relay, "ada@example.com").Text)
			if link == "" {
				t.Fatal("no link in the mail")
			}
			browsertest.Do(t, tab, chromedp.Navigate(link))
			browsertest.Wait(t, tab, "the page the link opens", `document.querySelector('[data-testid=YourDataManagePage] [data-testid=EraseForm]') !== null`)
			axeCheck(t, tab, axe)
			keepPicture(t, fmt.Sprintf("your-data-%s-%s", width.name, theme), func() ([]byte, error) { return chromedp.Run(tab, chromedp.Screenshot(chromedp.CSS("main"))) })
			// The download is the JSON of what is held.
			text, err := chromedp.Run(tab, chromedp.Evaluate[string](`(async () => { const r = await fetch(document.querySelector('[data-testid=ExportLink]').href);
				const j = await r.json(); return r.headers.get('Content-Disposition') + '|' + j.comments.map(c => c.text).join(',') })()`, chromedp.EvalAwaitPromise))
			if err != nil {
				t.Fatal(err)
			}
			if text != `attachment; filename="comments-data.json"|Ada's first thoughts, soon erased.` {
				t.Fatalf("download: %q", text)
			}
			// The box must be checked (the browser says so), then the button erases.
			browsertest.Do(t, tab, chromedp.Click(chromedp.CSS(`[data-testid=EraseButton]`)))
			browsertest.Wait(t, tab, "the box asked for", `document.querySelector('#erase-confirm:invalid') !== null && document.querySelector('[data-testid=ErasedNotice]') === null`)
			browsertest.Do(t, tab, chromedp.Click(chromedp.CSS(`#erase-confirm`)), chromedp.Click(chromedp.CSS(`[data-testid=EraseButton]`)))
			browsertest.Wait(t, tab, "the erasure said, focused", `document.activeElement && document.activeElement.id === 'erased-notice'`)
			axeCheck(t, tab, axe)
			browsertest.Wait(t, reader, "the reader's page shows it without a reload", `document.querySelector('#comment-list [data-testid=RemovedComment]') !== null &&
				!document.getElementById('comment-list').textContent.includes('soon erased') &&
				document.getElementById('comment-list').textContent.includes('his answer stays')`)

			// The owner's page for an address, with what is held, its download and its erasure.
			setPassword(t, env, "correct horse battery staple")
			own := b.PrivateTab(t)
			themed(t, own, theme, width.w, width.h)
			signInWithPassword(t, own, localhost(base), "correct horse battery staple")
			browsertest.Do(t, own, chromedp.Navigate(localhost(base)+"/admin/people?email=bob@example.com"))
			browsertest.Wait(t, own, "the owner's page", `document.querySelectorAll('[data-testid=AdminPeoplePage] [data-testid=HeldComments] li').length === 2`)
			axeCheck(t, own, axe)
			keepPicture(t, fmt.Sprintf("owner-people-%s-%s", width.name, theme), func() ([]byte, error) { return chromedp.Run(own, chromedp.Screenshot(chromedp.CSS("main"))) })
		})
	}
}
