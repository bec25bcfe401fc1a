package handlers_test

import (
	"context"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/PuerkitoBio/goquery"

	"blog/database"
	"blog/handlers"
	"blog/i18n"
	"blog/internal/dbtest"
	"blog/notify"
	"blog/publish"
	"blog/repo/posts"
)

// withLang sets SITE_LANG.
func withLang(lang string) appOption {
	return func(c *handlers.Config) { c.Chrome.Lang = lang }
}

// englishLeft are the English sentences and words of the catalogue a page in lang must not show: every
// plain English text of eight characters or more (shorter ones, "Feed", "Tags", can be the same word in
// another language) that the language translates differently. Comment text and the sample posts are
// English and are left out of the check (englishFree removes them).
func englishLeft(lang string) []string {
	c := i18n.Shipped()
	en, l := c.For("en"), c.For(lang)
	var out []string
	for id, m := range c.Messages("en") {
		if m.One != "" || strings.HasPrefix(id, "date.") {
			continue
		}
		text := m.Other
		if i := strings.Index(text, "{{"); i >= 0 {
			text = text[:i] // the part before the first placeholder
		}
		text = strings.TrimSpace(text)
		if len(text) < 8 || l.T(id) == en.T(id) {
			continue
		}
		out = append(out, text)
	}
	return out
}

// shownText is what the page says around the content: the document's text without the posts' own words,
// the comments' text and names, and tags (all English in the sample).
func shownText(d *goquery.Document) string {
	d.Find(`article .prose, .article > :not(header), [data-testid="CommentBody"], [data-testid="CommentAuthor"], [data-testid="Tag"], .tag, [data-testid="PostSummary"] p.font-serif, [data-testid="PostSummary"] h2, [data-testid="SearchPost"] h2, [data-testid="SearchExcerpt"], [data-testid="SearchComment"], h1 a, .neighbour span.font-serif, [data-testid="StaticPage"], script, [data-testid="ReplyTo"], strong[data-reply-name], [data-testid="ReactionBar"] span[aria-hidden]`).Remove()
	return d.Text()
}

var idPattern = regexp.MustCompile(`\b(layout|home|post|tag|archive|error|comments|reactions|search|newsletter|notify|people|script|feeds|says|date)\.[a-z_]+\b`)

// TestEveryPageInEveryLanguage renders every kind of reader's page through the real router in every shipped
// language: the page says its language (and direction), no message id shows (a missing word), no
// placeholder is left, and none of the English words the language translates is left.
func TestEveryPageInEveryLanguage(t *testing.T) {
	for _, lang := range i18n.Shipped().Languages() {
		t.Run(lang, func(t *testing.T) {
			t.Parallel()
			db := dbtest.SQLite(t)
			a := newTestAppOn(t, db, withLang(lang), withPeople(db), withNewsletter(db))
			top := a.mustPost(t, "First words in any language.")
			if resp, _ := a.postComment(t, a.slug, withParent(form("Second Reader", "second@example.com", "An answer."), top), false); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("reply: status %d", resp.StatusCode)
			}
			dir := i18n.Shipped().For(lang).Dir()
			pages := []struct {
				path   string
				status int
			}{
				{"/", 200}, {"/archive", 200}, {"/tags", 200}, {"/tags/howto", 200}, {"/posts/" + a.slug, 200},
				{"/posts/" + a.slug + "?reply_to=" + strconv.FormatInt(top, 10), 200}, {"/about", 200},
				{"/search?q=comments", 200}, {"/search?q=zzzzqqq", 200}, {"/search?q=" + strings.Repeat("long", 80), 200},
				{"/search?q=%21%3F%21", 200}, {"/search?q=%ff%fe", 200}, {"/search?q=+", 200},
				{"/no-such-page", 404},
				{"/newsletter", 200}, {"/your-data", 200}, {"/notify/confirm?t=forged", 400},
				{"/posts/" + a.slug + "/comments?before=" + strconv.FormatInt(top+1, 10), 200},
				{"a reply to no comment", 422}, {"a reply to another post's comment", 422},
			}
			// The commenter's data page (a mailed link), with their comments' states.
			data := notify.Tokens{Key: notifyKey}.Make(notify.PurposeData, "second@example.com", time.Now().Add(time.Hour))
			pages = append(pages, struct {
				path   string
				status int
			}{"/your-data/manage?t=" + url.QueryEscape(data), 200})
			// Answers to a form: a reply to a comment that does not exist, and one on another post's comment.
			answers := map[string]func() (*http.Response, string){
				"a reply to no comment": func() (*http.Response, string) {
					return a.postComment(t, a.slug, withParent(form("Reader", "reader@example.com", "Hm."), top+1000), false)
				},
				"a reply to another post's comment": func() (*http.Response, string) {
					return a.postComment(t, "writing-posts", withParent(form("Reader", "reader@example.com", "Hm."), top), false)
				},
			}
			english := englishLeft(lang)
			for _, p := range pages {
				get := answers[p.path]
				if get == nil {
					get = func() (*http.Response, string) { return a.get(t, p.path) }
				}
				resp, body := get()
				if resp.StatusCode != p.status {
					t.Errorf("%s: status %d, want %d", p.path, resp.StatusCode, p.status)
					continue
				}
				d := doc(t, body)
				if got, _ := d.Find("html").Attr("lang"); got != lang {
					t.Errorf("%s: <html lang=%q>, want %q", p.path, got, lang)
				}
				if got, _ := d.Find("html").Attr("dir"); got != dir {
					t.Errorf("%s: <html dir=%q>, want %q", p.path, got, dir)
				}
				// The page script's words keep their placeholders (the script fills them); nothing else may.
				d.Find(`meta[name="page-words"]`).Remove()
				if h, _ := d.Html(); strings.Contains(h, "{{") {
					t.Errorf("%s: a placeholder is left: %s", p.path, h[strings.Index(h, "{{"):][:60])
				}
				text := shownText(d)
				if m := idPattern.FindString(text); m != "" {
					t.Errorf("%s: the id %s shows instead of its words", p.path, m)
				}
				if lang == "en" {
					continue
				}
				for _, e := range english {
					if strings.Contains(text, e) {
						t.Errorf("%s: English left: %q", p.path, e)
					}
				}
			}
			// What a reaction's press says to a screen reader (a fragment, not a page).
			l := i18n.Shipped().For(lang)
			record := ""
			for _, said := range []string{"Reaction added.", "Reaction taken back."} {
				resp, body, rec := a.react(t, a.slug, top, "like", record, true)
				record = rec
				if resp.StatusCode != http.StatusOK || !strings.HasPrefix(body, l.Say(said)) || (lang != "en" && strings.Contains(body, said)) {
					t.Errorf("a reaction: %d, want %q: %.80s", resp.StatusCode, l.Say(said), body)
				}
			}
		})
	}
}

// TestAPostInItsOwnLanguage: a post whose front matter says lang speaks it on its page, its comments, its
// live fragments and its feed, while the rest of the blog keeps SITE_LANG.
func TestAPostInItsOwnLanguage(t *testing.T) {
	db := dbtest.SQLite(t)
	a := newTestAppOn(t, db, withLang("de"), withPostFiles(t, db, map[string]string{
		"2026-11-01-ein-beitrag.md": "---\ntitle: Ein Beitrag\ndate: 2026-11-01\ntranslation: first\n---\nHallo.\n",
		"2026-11-02-a-post.md":      "---\ntitle: A post\ndate: 2026-11-02\nlang: en\ntranslation: first\n---\nHello.\n",
		"2026-11-03-arabic.md":      "---\ntitle: تدوينة\ndate: 2026-11-03\nlang: ar\n---\nمرحبا.\n",
		"2026-11-04-second.md":      "---\ntitle: Second\ndate: 2026-11-04\nlang: en\ntranslation: second\n---\nHello.\n",
		"2026-11-05-deuxieme.md":    "---\ntitle: Deuxième\ndate: 2026-11-05\nlang: fr\ntranslation: second\n---\nBonjour.\n",
	}))
	en := doc(t, a.page(t, "/posts/a-post"))
	if l, _ := en.Find("html").Attr("lang"); l != "en" {
		t.Fatalf("the English post's page says lang=%q", l)
	}
	if !strings.Contains(en.Find("#form-heading").Text(), "Leave a comment") {
		t.Errorf("the English post's form heading: %q", en.Find("#form-heading").Text())
	}
	// Both versions name each other (and themselves) to search engines.
	var alternates []string
	en.Find(`link[rel="alternate"][hreflang]`).Each(func(_ int, s *goquery.Selection) {
		l, _ := s.Attr("hreflang")
		h, _ := s.Attr("href")
		alternates = append(alternates, l+" "+h)
	})
	// The x-default is the version in the blog's language (SITE_LANG=de).
	if strings.Join(alternates, ", ") != "en http://blog.test/posts/a-post, de http://blog.test/posts/ein-beitrag, x-default http://blog.test/posts/ein-beitrag" {
		t.Errorf("hreflang: %v", alternates)
	}
	de := doc(t, a.page(t, "/posts/ein-beitrag"))
	if l, _ := de.Find("html").Attr("lang"); l != "de" || de.Find(`link[hreflang]`).Length() != 3 {
		t.Errorf("the German version: lang %q, %d hreflang links", l, de.Find(`link[hreflang]`).Length())
	}
	ar := doc(t, a.page(t, "/posts/arabic"))
	if l, _ := ar.Find("html").Attr("lang"); l != "ar" || ar.Find(`html[dir="rtl"]`).Length() != 1 || ar.Find(`link[hreflang]`).Length() != 0 {
		t.Errorf("the Arabic post: lang %q, rtl %d, hreflang %d (a post in one language has none)", l,
			ar.Find(`html[dir="rtl"]`).Length(), ar.Find(`link[hreflang]`).Length())
	}
	// A text with no version in the blog's language: the x-default is the one written first.
	if got := doc(t, a.page(t, "/posts/deuxieme")).Find(`link[hreflang="x-default"]`).AttrOr("href", ""); got != "http://blog.test/posts/second" {
		t.Errorf("x-default of a text with no German version: %q, want the first written", got)
	}
	// The sitemap names the same versions for each translated post, and none for a post in one language.
	var sitemap struct {
		URLs []struct {
			Loc   string `xml:"loc"`
			Links []struct {
				Rel      string `xml:"rel,attr"`
				HrefLang string `xml:"hreflang,attr"`
				Href     string `xml:"href,attr"`
			} `xml:"http://www.w3.org/1999/xhtml link"`
		} `xml:"url"`
	}
	if err := xml.Unmarshal([]byte(a.page(t, "/sitemap.xml")), &sitemap); err != nil {
		t.Fatal(err)
	}
	links := map[string]string{}
	for _, u := range sitemap.URLs {
		var ls []string
		for _, l := range u.Links {
			ls = append(ls, l.Rel+" "+l.HrefLang+" "+l.Href)
		}
		links[strings.TrimPrefix(u.Loc, "http://blog.test")] = strings.Join(ls, ", ")
	}
	for path, want := range map[string]string{
		"/posts/a-post":      "alternate en http://blog.test/posts/a-post, alternate de http://blog.test/posts/ein-beitrag, alternate x-default http://blog.test/posts/ein-beitrag",
		"/posts/ein-beitrag": "alternate de http://blog.test/posts/ein-beitrag, alternate en http://blog.test/posts/a-post, alternate x-default http://blog.test/posts/ein-beitrag",
		"/posts/deuxieme":    "alternate fr http://blog.test/posts/deuxieme, alternate en http://blog.test/posts/second, alternate x-default http://blog.test/posts/second",
		"/posts/arabic":      "",
	} {
		if got, ok := links[path]; !ok || got != want {
			t.Errorf("sitemap links of %s: %q, want %q", path, got, want)
		}
	}
	// A comment on the English post: its list (rendered once for everyone) and its answer speak English.
	resp, body := a.postComment(t, "a-post", form("Reader", "reader@example.com", "Nice."), true)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Thanks! Your comment is posted.") {
		t.Fatalf("the htmx answer on the English post: %d %s", resp.StatusCode, body)
	}
	if got := doc(t, a.page(t, "/posts/a-post")).Find("#comment-count").Text(); got != "1 comment" {
		t.Errorf("the English post's count: %q", got)
	}
	if got := doc(t, a.page(t, "/")).Find("html").AttrOr("lang", ""); got != "de" {
		t.Errorf("the home page: lang %q, want the blog's", got)
	}
	feed := a.page(t, "/posts/a-post/comments.xml")
	if !strings.Contains(feed, `xml:lang="en"`) || !strings.Contains(feed, "Comment by Reader") {
		t.Errorf("the English post's comments feed: %s", feed)
	}
	if posts := a.page(t, "/feed.xml"); !strings.Contains(posts, `<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="de">`) || !strings.Contains(posts, `<entry xml:lang="en">`) {
		t.Errorf("the posts feed does not name its languages: %s", posts[:400])
	}
}

// withPostFiles serves these posts (file name to document) as the content folder.
func withPostFiles(t *testing.T, db *database.DB, files map[string]string) appOption {
	fsys := fstest.MapFS{"pages/about.md": {Data: []byte("---\ntitle: About\n---\nAbout.")}}
	for name, doc := range files {
		fsys["posts/"+name] = &fstest.MapFile{Data: []byte(doc)}
	}
	site, err := publish.Open(context.Background(), fsys, posts.NewPosts(db), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return func(c *handlers.Config) { c.Content = site }
}

// withParent makes a comment form a reply to parent.
func withParent(f url.Values, parent int64) url.Values {
	f.Set("parent", strconv.FormatInt(parent, 10))
	return f
}

// TestADeskPostInItsOwnLanguage: the desk's Language field is the post's lang: published, its page and its
// comments speak it; a tag that is not one is refused beside its field, and nothing is published.
func TestADeskPostInItsOwnLanguage(t *testing.T) {
	a := newTestApp(t, withLang("de"))
	o := a.owner(t)
	p := newDeskPost(t, o)
	if r, body := o.post(t, p+"/publish", deskForm("Klingonisch", "Nein.", "lang", "klingon please"), false); r.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "BCP 47") {
		t.Fatalf("a bad language: %d", r.StatusCode)
	}
	if r, _ := o.post(t, p+"/publish", deskForm("Bonjour", "Un billet en français.", "lang", "fr"), false); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("publish: %d", r.StatusCode)
	}
	page := doc(t, a.page(t, "/posts/bonjour"))
	if l := page.Find("html").AttrOr("lang", ""); l != "fr" || !strings.Contains(page.Find("#form-heading").Text(), "Laisser un commentaire") {
		t.Fatalf("the desk post: lang %q, form heading %q", l, page.Find("#form-heading").Text())
	}
	if l := doc(t, a.page(t, "/")).Find("html").AttrOr("lang", ""); l != "de" {
		t.Fatalf("the home page: lang %q", l)
	}
}

// TestAPostThatChangesItsLanguage: a post whose lang changes is served in the new one at once, its comment
// list (kept rendered for every reader) rendered again in it, though no comment changed.
func TestAPostThatChangesItsLanguage(t *testing.T) {
	db := dbtest.SQLite(t)
	fsys := fstest.MapFS{"posts/2026-11-01-post.md": {Data: []byte("---\ntitle: A post\ndate: 2026-11-01\nlang: en\n---\nHello.\n")}}
	site, err := publish.Open(context.Background(), fsys, posts.NewPosts(db), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	a := newTestAppOn(t, db, withLang("de"), func(c *handlers.Config) { c.Content = site })
	if resp, _ := a.postComment(t, "post", form("Reader", "reader@example.com", "Nice."), false); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("comment: %d", resp.StatusCode)
	}
	if got := doc(t, a.page(t, "/posts/post")).Find(`[data-testid="CommentItem"] [data-testid="ReactionBar"] [role=group]`).AttrOr("aria-label", ""); got != "Reactions to this comment" {
		t.Fatalf("in English: %q", got)
	}
	fsys["posts/2026-11-01-post.md"] = &fstest.MapFile{Data: []byte("---\ntitle: Ein Beitrag\ndate: 2026-11-01\n---\nHallo.\n")}
	site.ReloadForChange(context.Background())
	d := doc(t, a.page(t, "/posts/post"))
	if got := d.Find(`[data-testid="CommentItem"] [data-testid="ReactionBar"] [role=group]`).AttrOr("aria-label", ""); got != "Reaktionen auf diesen Kommentar" || d.Find("html").AttrOr("lang", "") != "de" {
		t.Fatalf("after the change to the blog's language: %q, lang %q", got, d.Find("html").AttrOr("lang", ""))
	}
	if got := d.Find("#comment-count").Text(); got != "1 Kommentar" {
		t.Fatalf("count: %q", got)
	}
}

// TestEditWindowInTheReadersLanguage: the refusal of an edit after a one-minute window says the minute in
// the form the language gives a count of one, through the real router.
func TestEditWindowInTheReadersLanguage(t *testing.T) {
	for _, tc := range []struct{ lang, want string }{
		{"en", "(1 minute) is over."},
		{"ru", "(1 минута) истекло."},
		{"ar", "(دقيقة واحدة)"},
		{"de", "(1 Minute), ist vorbei."},
	} {
		a := newTestApp(t, withLang(tc.lang), func(c *handlers.Config) { c.EditWindow = time.Minute })
		author := a.newClient()
		author.comment(t, "Ada", "ada@example.com", "Old news")
		cm := a.commentByBody(t, "Old news")
		a.db.Repo().Exec(context.Background(), "UPDATE comments SET created_at = ? WHERE id = ?", time.Now().UTC().Add(-2*time.Minute), cm.ID)
		resp, body := author.get(t, "/posts/"+a.slug+"/comments/"+itoa(cm.ID)+"/edit")
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d, want 403 saying %q", tc.lang, resp.StatusCode, tc.want)
		}
	}
}
