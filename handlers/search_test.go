package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"blog/database"
	"blog/handlers"
	"blog/internal/dbtest"
	"blog/moderation"
	"blog/repo"
	"blog/spam"
)

// searchPage fetches /search with q (and page when not 0) through the real router; it must answer 200.
func searchPage(t *testing.T, a *testApp, q string, page string) *goquery.Document {
	t.Helper()
	v := url.Values{"q": {q}}
	if page != "" {
		v.Set("page", page)
	}
	resp, body := a.get(t, "/search?"+v.Encode())
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("search %q page %q: status %d, want 200: %s", q, page, resp.StatusCode, body)
	}
	if resp.Header.Get("X-Robots-Tag") != "noindex" {
		t.Fatalf("search %q: X-Robots-Tag %q, want noindex", q, resp.Header.Get("X-Robots-Tag"))
	}
	d := doc(t, body)
	if d.Find(`meta[name="robots"][content="noindex"]`).Length() != 1 {
		t.Fatalf("search %q: no robots noindex meta", q)
	}
	for _, c := range resp.Cookies() {
		t.Fatalf("search %q set a cookie %s: the page must not be personal", q, c.Name)
	}
	if d.Find(`meta[name="csrf-token"], input[name="_csrf"]`).Length() > 0 {
		t.Fatalf("search %q: the page carries a per-visitor token", q)
	}
	return d
}

// foundComments returns the ids of the comments a results page shows.
func foundComments(d *goquery.Document) []string {
	var ids []string
	d.Find(`[data-testid="SearchComment"]`).Each(func(_ int, s *goquery.Selection) {
		id, _ := s.Attr("data-comment-id")
		ids = append(ids, id)
	})
	return ids
}

// TestSearchFindsOnlyWhatReadersSee checks, on SQLite and PostgreSQL through the real router, that a search
// finds posts by title, summary, text and tag (stemmed), finds published comments under their post, and never
// a comment that is held, marked as spam, deleted by the owner or its author, or erased; and that an edited
// comment is found by its new words only.
func TestSearchFindsOnlyWhatReadersSee(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		a := newTestAppOn(t, db, func(c *handlers.Config) { c.EditWindow = time.Hour },
			withRules(moderation.ModeOff, spam.Rules{Words: []string{"heldword"}}))
		ctx := context.Background()
		ada, bob, erin := a.newClient(), a.newClient(), a.newClient()
		ada.comment(t, "Ada", "ada@example.com", "Zebras gallop across the savanna at dawn")
		bob.comment(t, "Bob", "bob@example.com", "A platypus heldword waits for the owner")
		bob.comment(t, "Bob", "bob@example.com", "Wombats dig burrows")
		bob.comment(t, "Bob", "bob@example.com", "Quokkas smile for photographs")
		bob.comment(t, "Bob", "bob@example.com", "Axolotls regrow their limbs")
		erin.comment(t, "Erin", "erin@example.com", "Narwhals sing under the ice")
		ada.comment(t, "Ada", "ada@example.com", "An otter floats on its back")

		if got := a.commentByBody(t, "A platypus heldword waits for the owner"); got.State != repo.StatePending {
			t.Fatalf("the held comment is %s", got.State)
		}
		wombat := a.commentByBody(t, "Wombats dig burrows")
		quokka := a.commentByBody(t, "Quokkas smile for photographs")
		if _, err := a.mod.Act(ctx, "test", "spam", []int64{wombat.ID}); err != nil {
			t.Fatal(err)
		}
		if _, err := a.mod.Act(ctx, "test", "delete", []int64{quokka.ID}); err != nil {
			t.Fatal(err)
		}
		axolotl := a.commentByBody(t, "Axolotls regrow their limbs")
		if resp, _ := bob.post(t, "/posts/"+a.slug+"/comments/"+itoa(axolotl.ID)+"/delete", nil, true); resp.StatusCode >= 300 {
			t.Fatalf("author's delete: %d", resp.StatusCode)
		}
		if _, err := a.mod.EraseCommenter(ctx, "test", "erin@example.com"); err != nil {
			t.Fatal(err)
		}
		otter := a.commentByBody(t, "An otter floats on its back")
		if resp, _ := ada.post(t, "/posts/"+a.slug+"/comments/"+itoa(otter.ID), url.Values{"body": {"A beaver builds a dam"}}, true); resp.StatusCode != http.StatusOK {
			t.Fatalf("edit: %d", resp.StatusCode)
		}
		a.settle(t)

		zebra := a.commentByBody(t, "Zebras gallop across the savanna at dawn")
		for _, tc := range []struct {
			q    string
			want []string // comment ids
		}{
			{"zebra", []string{itoa(zebra.ID)}},     // stemmed: "Zebras"
			{"galloping", []string{itoa(zebra.ID)}}, // stemmed: "gallop"
			{`"savanna at dawn"`, []string{itoa(zebra.ID)}},
			{`"dawn savanna"`, nil}, // a phrase keeps its order
			{"platypus", nil},       // held
			{"wombats", nil},        // spam
			{"quokkas", nil},        // deleted by the owner
			{"axolotls", nil},       // deleted by its author
			{"narwhals", nil},       // erased
			{"otter", nil},          // edited away
			{"beaver", []string{itoa(otter.ID)}},
		} {
			d := searchPage(t, a, tc.q, "")
			got := foundComments(d)
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("search %q found comments %v, want %v", tc.q, got, tc.want)
			}
			for _, id := range got {
				li := d.Find(`[data-testid="SearchPost"][data-slug="` + a.slug + `"] [data-comment-id="` + id + `"]`)
				if li.Length() != 1 {
					t.Errorf("search %q: comment %s is not under its post %s", tc.q, id, a.slug)
				}
				if li.Find("mark").Length() == 0 {
					t.Errorf("search %q: nothing marked in the comment's excerpt: %q", tc.q, li.Text())
				}
			}
		}

		// Posts: by title, by text, by tag, by summary; the draft never.
		for _, tc := range []struct{ q, slug string }{
			{"hello world", "hello-world"},
			{"markdown", "writing-posts"},
			{"engineering", "live-comments"},
			{"fan-out", "live-comments"},
		} {
			d := searchPage(t, a, tc.q, "")
			if d.Find(`[data-testid="SearchPost"][data-slug="`+tc.slug+`"]`).Length() != 1 {
				t.Errorf("search %q: post %s not found: %s", tc.q, tc.slug, d.Find(`[data-testid="SearchPage"]`).Text())
			}
		}
		if d := searchPage(t, a, "upcoming draft", ""); d.Find(`[data-testid="SearchPost"]`).Length() != 0 {
			t.Error("a draft was found")
		}

		// Purging the deleted comments takes them out of the index too; what stays is found as before.
		if _, err := a.mod.Purge(ctx, "test", 0); err != nil {
			t.Fatal(err)
		}
		if got := foundComments(searchPage(t, a, "zebra", "")); len(got) != 1 {
			t.Errorf("after the purge, zebra found %v", got)
		}
		if db.Dialect() == database.SQLite {
			// FTS5's own check that the index matches the rows it indexes, after every kind of change above.
			for _, table := range []string{"comments_fts", "search_posts_fts"} {
				if _, err := db.SQL().ExecContext(ctx, "INSERT INTO "+table+"("+table+", rank) VALUES ('integrity-check', 1)"); err != nil {
					t.Errorf("%s integrity check: %v", table, err)
				}
			}
		}
	})
}

// TestSearchAnswersOddQueriesPlainly checks that empty, long, wordless, hostile and out-of-range searches answer
// 200 with a sentence (never an error), that query syntax of either database means nothing, and that what a
// commenter wrote is shown as text, with only the blog's own <mark> around what matched.
func TestSearchAnswersOddQueriesPlainly(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		a := newTestAppOn(t, db)
		ada := a.newClient()
		ada.comment(t, "<b>Ada</b>", "ada@example.com", "Hostile <script>alert(1)</script> <mark>fake</mark> \uE000marked\uE001 kestrel text")

		for _, tc := range []struct {
			name, q, page, want string
		}{
			{"empty", "", "", "Type a word"},
			{"spaces", "   ", "", "Type a word"},
			{"punctuation only", `*** ::: &|! ""`, "", "nothing to search for"},
			{"too long", strings.Repeat("word ", 50), "", "too long"},
			{"too many words", "a b c d e f g h i j", "", "too many words"},
			{"a word too long", strings.Repeat("x", 60), "", "longer than"},
			{"page zero", "kestrel", "0", "numbered from 1"},
			{"page not a number", "kestrel", "two", "numbered from 1"},
			{"page too far", "kestrel", "9999999999999999999999", "numbered from 1"},
			{"page past the last", "kestrel", "21", "stop at page"},
			{"invalid UTF-8", "\xff\xfe", "", "cannot read"},
		} {
			d := searchPage(t, a, tc.q, tc.page)
			if p := d.Find(`[data-testid="SearchProblem"]`).Text(); !strings.Contains(p, tc.want) {
				t.Errorf("%s: problem %q, want it to say %q", tc.name, p, tc.want)
			}
		}
		// Syntax of FTS5 and tsquery in a search is only punctuation between words: each search finds the comment
		// exactly when all its words are in it.
		for _, tc := range []struct {
			q     string
			found bool
		}{
			{`kestrel*`, true}, {`kestrel:*`, true}, {`(kestrel)`, true}, {`{kestrel}`, true}, {`-kestrel`, true},
			{`"kestrel`, true}, {`kestrel"`, true}, {`'kestrel'`, true}, {`kestrel\`, true}, {"kestrel\x00", true},
			{`kestrel & !hostile`, true}, {`kestrel | text`, true},
			{`body:kestrel`, false}, {`kestrel NEAR(hostile)`, false}, {`kestrel OR zzz`, false}, {`kestrel^2`, false},
			{`kestrel;DROP TABLE comments`, false}, {`"kestrel text"`, true}, {`"text kestrel"`, false},
		} {
			d := searchPage(t, a, tc.q, "")
			if p := d.Find(`[data-testid="SearchProblem"]`).Text(); p != "" {
				t.Errorf("search %q: problem %q", tc.q, p)
			}
			if got := len(foundComments(d)) == 1; got != tc.found {
				t.Errorf("search %q: found the comment %v, want %v", tc.q, got, tc.found)
			}
		}
		if n := a.countComments(t); n != 1 {
			t.Fatalf("%d comments after the searches, want 1", n)
		}
		// The comment's markup is text; only the blog's marks are elements.
		d := searchPage(t, a, "kestrel", "")
		li := d.Find(`[data-testid="SearchComment"]`)
		if li.Length() != 1 {
			t.Fatalf("kestrel: %d comments found", li.Length())
		}
		if li.Find("script, b").Length() != 0 {
			t.Fatal("the comment's markup became elements")
		}
		html, _ := li.Html()
		if strings.Contains(html, "<script") || !strings.Contains(html, "&lt;b&gt;Ada&lt;/b&gt;") {
			t.Fatalf("the comment's text or name is not escaped: %s", html)
		}
		if !strings.Contains(html, "alert(1)&lt;/script&gt; &lt;mark&gt;fake&lt;/mark&gt;") {
			t.Fatalf("the comment's text is not kept as text: %s", html)
		}
		if strings.ContainsAny(html, "\uE000\uE001") {
			t.Fatalf("a mark character leaked: %q", html)
		}
		marks := li.Find("mark")
		if marks.Length() == 0 || !strings.Contains(strings.ToLower(marks.Last().Text()), "kestrel") {
			t.Fatalf("the match is not marked: %s", html)
		}
		marks.Each(func(_ int, m *goquery.Selection) {
			if strings.Contains(m.Text(), "fake") {
				t.Fatalf("the commenter's <mark> became a mark: %s", html)
			}
		})
		// Several words: all must appear.
		if got := foundComments(searchPage(t, a, "kestrel zzzunknown", "")); len(got) != 0 {
			t.Fatalf("a search with a word nowhere found %v", got)
		}
		if got := foundComments(searchPage(t, a, "kestrel hostile", "")); len(got) != 1 {
			t.Fatalf("a search with two words of the comment found %v", got)
		}
	})
}

// TestSearchPages checks that results come in pages linked without JavaScript, newest comments first, each
// comment on one page only.
func TestSearchPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		a := newTestAppOn(t, db, withRules(moderation.ModeOff, spam.Rules{}), func(c *handlers.Config) { c.RateLimit.Every = 0 })
		ada := a.newClient()
		const n = 45
		for i := range n {
			ada.comment(t, "Ada", "ada@example.com", "Pelican number "+itoa(int64(i)))
		}
		seen := map[string]bool{}
		var pages int
		for page := 1; ; page++ {
			d := searchPage(t, a, "pelican", itoa(int64(page)))
			for _, id := range foundComments(d) {
				if seen[id] {
					t.Fatalf("comment %s on two pages", id)
				}
				seen[id] = true
			}
			next := d.Find(`[data-testid="SearchPager"] a[rel="next"]`)
			pages++
			if next.Length() == 0 {
				break
			}
			href, _ := next.Attr("href")
			if !strings.Contains(href, "page="+itoa(int64(page+1))) || !strings.Contains(href, "q=pelican") {
				t.Fatalf("next page link %q", href)
			}
		}
		if len(seen) != n || pages != 3 {
			t.Fatalf("%d comments over %d pages, want %d over 3", len(seen), pages, n)
		}
		if d := searchPage(t, a, "pelican", "4"); len(foundComments(d)) != 0 || d.Find(`[data-testid="SearchPager"] a[rel="prev"]`).Length() != 1 {
			t.Fatal("page 4: want no results and a link back")
		}
	})
}

// TestSearchBoxOnEveryPage checks that the header's search box is a plain GET form to /search with a label.
func TestSearchBoxOnEveryPage(t *testing.T) {
	a := newTestApp(t)
	for _, path := range []string{"/", "/posts/hello-world", "/tags", "/archive", "/search?q=hello"} {
		d := doc(t, a.page(t, path))
		f := d.Find(`form[data-testid="HeaderSearch"][action="/search"][method="get"][role="search"]`)
		if f.Length() != 1 {
			t.Fatalf("%s: no search box in the header", path)
		}
		id, _ := f.Find(`input[name="q"]`).Attr("id")
		if id == "" || f.Find(`label[for="`+id+`"]`).Length() != 1 {
			t.Fatalf("%s: the search box has no label", path)
		}
	}
}
