package main

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"blog/internal/browsertest"
	"blog/internal/dbtest"
)

// languageBlog starts the real program with SITE_LANG=lang over a content folder holding one post (slug
// "post") written in that language, and posts a conversation on it: a comment, a reply to it, and a comment
// in English (whose direction the page must keep when it is not the page's).
func languageBlog(t *testing.T, lang, title, text string, comments [3]string) (base string) {
	t.Helper()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "posts"), 0o755)
	os.WriteFile(filepath.Join(dir, "posts", "2026-11-20-post.md"), []byte("---\ntitle: "+title+"\ndate: 2026-11-20\ntags: [blog]\n---\n"+text), 0o644)
	base, _ = startServer(t, map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t), "CONTENT_DIR": dir, "SITE_LANG": lang,
		"RATE_LIMIT": "off", "SITE_TITLE": title})
	v := newVisitor(t)
	resp := v.comment(t, base, "post", "Layla", "layla@example.com", comments[0])
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("comment: %d", resp.StatusCode)
	}
	loc := resp.Header.Get("Location")
	top := loc[strings.LastIndex(loc, "-")+1:]
	v.get(t, base+"/posts/post")
	r, err := v.client.PostForm(base+"/posts/post/comments", url.Values{"username": {"Omar"}, "email": {"omar@example.com"},
		"body": {comments[1]}, "parent": {top}, "_csrf": {v.token}, "_t": {v.stamp}})
	if err != nil || r.StatusCode != http.StatusSeeOther {
		t.Fatalf("reply: %v %v", r, err)
	}
	r.Body.Close()
	if resp := newVisitor(t).comment(t, base, "post", "Grace", "grace@example.com", comments[2]); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("third comment: %d", resp.StatusCode)
	}
	return base
}

// TestRightToLeftPostInTheBrowser opens an Arabic blog's post with a conversation in Chromium, at phone and
// desktop widths: the page is laid out right to left, a reply is indented from the right with its rule on the
// right, nothing makes the page scroll sideways, an English comment keeps its own direction, the relative
// times and the form's counter speak Arabic, and axe finds nothing. It keeps docs/i18n-ar-post-*.png.
func TestRightToLeftPostInTheBrowser(t *testing.T) {
	t.Parallel()
	axe := axeSource(t)
	base := languageBlog(t, "ar", "رسائل من الصحراء", "كتبت هذه التدوينة لأختبر المدونة باللغة العربية.\n\n> الكتابة من اليمين إلى اليسار.\n",
		[3]string{"تدوينة جميلة، شكرًا لك على المشاركة.", "أتفق معك تمامًا، والتعليقات تظهر فورًا.", "Lovely to see the page mirrored, and my English kept as it is."})
	b := browsertest.New(t)
	for _, width := range []struct {
		name string
		w, h int64
	}{{"phone", 390, 844}, {"desktop", 1280, 900}} {
		t.Run(width.name, func(t *testing.T) {
			tab := b.PrivateTab(t)
			themed(t, tab, "light", width.w, width.h)
			browsertest.Do(t, tab, chromedp.Navigate(base+"/posts/post#comments"))
			browsertest.Wait(t, tab, "the conversation", `document.querySelectorAll('#comment-list [data-comment-id]').length === 3 && document.fonts.status === 'loaded'`)
			if dir := browsertest.Eval[string](t, tab, `document.documentElement.dir + ' ' + getComputedStyle(document.body).direction`); dir != "rtl rtl" {
				t.Fatalf("direction: %q", dir)
			}
			// The reply sits inside its conversation, indented from the right: its right edge left of the
			// comment's, its left edge where the comment's is, the rule on its right.
			geometry := browsertest.Eval[string](t, tab, `(() => {
				const top = document.querySelector('#comment-list > li.thread [data-part=comment]').getBoundingClientRect();
				const replies = document.querySelector('#comment-list > li.thread ol.replies');
				const r = replies.getBoundingClientRect();
				const cs = getComputedStyle(replies);
				return [Math.round(top.right - r.right), Math.round(r.left - top.left), cs.borderRightWidth, cs.borderLeftWidth].join(' ');
			})()`)
			var inset, leftGap int
			var right, left string
			fmt.Sscanf(geometry, "%d %d %s %s", &inset, &leftGap, &right, &left)
			if inset < 20 || leftGap > 10 || leftGap < -10 || right != "2px" || left != "0px" {
				t.Fatalf("the reply is not indented from the right: inset %d, left gap %d, rules right %s left %s", inset, leftGap, right, left)
			}
			if sideways := browsertest.Eval[bool](t, tab, `document.documentElement.scrollWidth > document.documentElement.clientWidth`); sideways {
				t.Fatal("the page scrolls sideways")
			}
			english := browsertest.Eval[string](t, tab, `(() => {
				const b = [...document.querySelectorAll('[data-testid=CommentBody]')].find(e => e.textContent.includes('Lovely'));
				return b.getAttribute('dir') + ' ' + getComputedStyle(b.querySelector('p') || b).direction;
			})()`)
			if english != "auto ltr" {
				t.Fatalf("the English comment's direction: %q", english)
			}
			// The page script's words: a relative time and the form's counter, in Arabic.
			ago := browsertest.Eval[string](t, tab, `document.querySelector('time[data-ago]').textContent`)
			if !strings.ContainsAny(ago, "منذالآن") {
				t.Fatalf("relative time: %q", ago)
			}
			browsertest.Do(t, tab, chromedp.SendKeys("#comment-body", "مرحبا"))
			if counter := browsertest.Eval[string](t, tab, `document.querySelector('[data-char-count-for=comment-body]').textContent`); counter != "٥ / ٥٬٠٠٠" {
				t.Fatalf("counter: %q", counter)
			}
			browsertest.Eval[bool](t, tab, `(() => { const a = document.querySelector('#comment-body'); a.value = ''; a.dispatchEvent(new Event('input', {bubbles: true})); return true; })()`)
			axeCheck(t, tab, axe)
			browsertest.Do(t, tab, chromedp.Navigate(base+"/posts/post#comments"))
			browsertest.Wait(t, tab, "the conversation", `document.querySelectorAll('#comment-list [data-comment-id]').length === 3 && document.fonts.status === 'loaded'`)
			keepPicture(t, "i18n-ar-post-"+width.name, func() ([]byte, error) { return chromedp.Run(tab, chromedp.CaptureScreenshot()) })
		})
	}
}

// TestJapanesePostPictures keeps docs/i18n-ja-post-*.png: a Japanese blog's post with its conversation. Only
// with DOCS_SCREENSHOTS (make screenshots); the pages in every language are checked by handlers'
// TestEveryPageInEveryLanguage on every run.
func TestJapanesePostPictures(t *testing.T) {
	if os.Getenv("DOCS_SCREENSHOTS") == "" {
		t.Skip("draws docs/i18n-ja-*.png: run with DOCS_SCREENSHOTS=1 (make screenshots)")
	}
	axe := axeSource(t)
	base := languageBlog(t, "ja", "京都の秋", "紅葉の季節に京都を歩きました。\n\n朝の光がとてもきれいでした。\n",
		[3]string{"素敵な写真と文章ですね。来年行ってみたいです。", "ありがとうございます。ぜひ朝早く行ってみてください。", "Beautiful write-up, even through a translator."})
	b := browsertest.New(t)
	for _, width := range []struct {
		name string
		w, h int64
	}{{"phone", 390, 844}, {"desktop", 1280, 900}} {
		tab := b.PrivateTab(t)
		themed(t, tab, "light", width.w, width.h)
		browsertest.Do(t, tab, chromedp.Navigate(base+"/posts/post#comments"))
		browsertest.Wait(t, tab, "the conversation", `document.querySelectorAll('#comment-list [data-comment-id]').length === 3 && document.fonts.status === 'loaded'`)
		axeCheck(t, tab, axe)
		keepPicture(t, "i18n-ja-post-"+width.name, func() ([]byte, error) { return chromedp.Run(tab, chromedp.CaptureScreenshot()) })
	}
}
