package handlers_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"blog/database"
	"blog/desk"
	"blog/internal/dbtest"
)

// deskForm is the editor's form with a title and a body.
func deskForm(title, body string, more ...string) url.Values {
	f := url.Values{"title": {title}, "body": {body}, "summary": {"About " + title + "."}, "tags": {"notes, desk"}}
	for i := 0; i+1 < len(more); i += 2 {
		f.Set(more[i], more[i+1])
	}
	return f
}

var editPath = regexp.MustCompile(`^/admin/posts/(\d+)/edit`)

// newDeskPost starts a post from the list's New post button and returns its id's path.
func newDeskPost(t *testing.T, o *client) string {
	t.Helper()
	o.page(t, "/admin/posts")
	resp, body := o.post(t, "/admin/posts", url.Values{}, false)
	m := editPath.FindStringSubmatch(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || m == nil {
		t.Fatalf("new post: %d %q %s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	o.page(t, resp.Header.Get("Location"))
	return "/admin/posts/" + m[1]
}

// TestDeskWritesPublishesAndTakesDown follows a post written in the desk through the real router: autosaved as
// typed (readers see nothing), previewed as readers get it, published (its page, the home page and the feed),
// changed without readers seeing it until published again, its address fixed once published, versions kept and
// restored, unpublished, deleted and restored; every refusal says why and changes nothing. SQLite and PostgreSQL.
func TestDeskWritesPublishesAndTakesDown(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		a := newTestAppOn(t, db)
		o := a.owner(t)
		reader := a.newClient()

		list := doc(t, o.page(t, "/admin/posts"))
		if list.Find(`[data-testid=PostRow][data-slug="`+a.slug+`"]`).Length() != 1 ||
			!strings.Contains(list.Find(`[data-testid=PostRow][data-slug="`+a.slug+`"] [data-testid=PostSource]`).Text(), "file in the content folder") {
			t.Fatal("the desk does not list the content folder's post as a read-only file")
		}

		p := newDeskPost(t, o)
		body := "Some **bold** text.\n\n```go\nfunc main() {}\n```\n"
		resp, out := o.post(t, p+"/autosave", deskForm("A <post> from the desk", body), true)
		if resp.StatusCode != http.StatusOK || !strings.Contains(doc(t, out).Find(`[data-testid=DeskSaved]`).Text(), "Saved") ||
			!strings.Contains(out, "/posts/a-post-from-the-desk") {
			t.Fatalf("autosave: %d %s", resp.StatusCode, out)
		}
		if r, _ := reader.get(t, "/posts/a-post-from-the-desk"); r.StatusCode != http.StatusNotFound {
			t.Fatalf("a draft is served to readers: %d", r.StatusCode)
		}
		ed := doc(t, o.page(t, p+"/edit"))
		if v, _ := ed.Find(`#desk-title`).Attr("value"); v != "A <post> from the desk" || ed.Find(`#desk-body`).Text() != body {
			t.Fatalf("the editor after a reload shows %q / %q", v, ed.Find(`#desk-body`).Text())
		}
		if ed.Find(`textarea[data-upload="/admin/uploads"]`).Length() != 1 || ed.Find(`input[type=file][data-upload-for=desk-body]`).Length() != 1 {
			t.Fatal("the editor's text offers no image upload")
		}

		// The preview is what readers get: highlighted code, and raw HTML dropped.
		resp, out = o.post(t, "/admin/posts/preview", url.Values{"body": {body + "\n<script>alert(1)</script>\n"}}, true)
		if resp.StatusCode != http.StatusOK || !strings.Contains(out, `class="chroma"`) || !strings.Contains(out, "<strong>bold</strong>") || strings.Contains(out, "<script>") {
			t.Fatalf("preview: %d %s", resp.StatusCode, out)
		}
		// Without scripts, the Preview button shows the editor with the text as typed and its preview.
		resp, out = o.post(t, p+"/preview", deskForm("A <post> from the desk", "Unsaved *words*."), false)
		if resp.StatusCode != http.StatusOK || !strings.Contains(doc(t, out).Find(`[data-testid=DeskPreviewBody]`).Text(), "Unsaved words.") {
			t.Fatalf("preview button: %d", resp.StatusCode)
		}
		resp, _ = o.post(t, "/admin/posts/preview", url.Values{"body": {strings.Repeat("x", desk.MaxBody+1)}}, true)
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("an oversized preview: %d, want 422", resp.StatusCode)
		}

		// Published: its page, the home page and the feed, at once.
		resp, _ = o.post(t, p+"/publish", deskForm("A <post> from the desk", body), false)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("publish: %d", resp.StatusCode)
		}
		page := reader.page(t, "/posts/a-post-from-the-desk")
		if !strings.Contains(page, "A &lt;post&gt; from the desk") || !strings.Contains(page, `class="chroma"`) {
			t.Fatal("the published post's page lacks its escaped title or its highlighted code")
		}
		if !strings.Contains(reader.page(t, "/"), "/posts/a-post-from-the-desk") || !strings.Contains(reader.page(t, "/feed.xml"), "/posts/a-post-from-the-desk") {
			t.Fatal("the published post is not on the home page or in the feed")
		}
		// Readers can comment on it.
		a.slug = "a-post-from-the-desk"
		if r, out := reader.comment(t, "Ann", "ann@example.com", "A comment on a desk post."); r.StatusCode != http.StatusOK {
			t.Fatalf("comment on a desk post: %d %s", r.StatusCode, out)
		}

		// Changes wait for Publish changes; the address no longer follows the title.
		if r, _ := o.post(t, p+"/autosave", deskForm("A renamed post", "New words."), true); r.StatusCode != http.StatusOK {
			t.Fatalf("autosave after publishing: %d", r.StatusCode)
		}
		if strings.Contains(reader.page(t, "/posts/a-post-from-the-desk"), "New words.") {
			t.Fatal("an autosave changed what readers see")
		}
		row := doc(t, o.page(t, "/admin/posts?show=published")).Find(`[data-testid=PostRow][data-slug="a-post-from-the-desk"]`)
		if !strings.Contains(row.Text(), "changes not published") {
			t.Fatalf("the list does not say the changes wait: %q", row.Text())
		}
		if r, _ := o.post(t, p+"/publish", deskForm("A renamed post", "New words.", "slug", "another-address"), false); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("publish changes: %d", r.StatusCode)
		}
		if !strings.Contains(reader.page(t, "/posts/a-post-from-the-desk"), "New words.") {
			t.Fatal("published changes are not served at the post's address")
		}
		if r, _ := reader.get(t, "/posts/another-address"); r.StatusCode != http.StatusNotFound {
			t.Fatal("a published post's address changed")
		}

		// Versions: every save kept; restoring one makes it the working copy.
		vs := doc(t, o.page(t, p+"/versions"))
		if vs.Find(`[data-testid=DeskVersion]`).Length() < 3 {
			t.Fatalf("versions kept: %d", vs.Find(`[data-testid=DeskVersion]`).Length())
		}
		var restore string
		vs.Find(`[data-testid=DeskVersion]`).Each(func(_ int, s *goquery.Selection) {
			if strings.Contains(s.Text(), "A <post> from the desk") && restore == "" {
				restore, _ = s.Find(`form`).Attr("action")
			}
		})
		if r, _ := o.post(t, restore, url.Values{}, false); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("restore a version (%s): %d", restore, r.StatusCode)
		}
		if ed := doc(t, o.page(t, p+"/edit")); ed.Find(`#desk-body`).Text() != body {
			t.Fatalf("the restored version's text is %q", ed.Find(`#desk-body`).Text())
		}

		// Refusals change nothing.
		if r, _ := o.post(t, p+"/autosave", deskForm(strings.Repeat("t", desk.MaxTitle+1), "Lost?"), true); r.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("an oversized title: %d, want 422", r.StatusCode)
		}
		if ed := doc(t, o.page(t, p+"/edit")); ed.Find(`#desk-body`).Text() != body {
			t.Fatal("a refused save changed the post")
		}
		q := newDeskPost(t, o)
		r, out := o.post(t, q, deskForm("Hello", "Taken?", "slug", a.slugOfFile()), false)
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(doc(t, out).Find(`#desk-slug-error`).Text(), "content folder") {
			t.Fatalf("a file's slug: %d", r.StatusCode)
		}
		if r, _ := o.post(t, q+"/schedule", deskForm("Later", "Soon.", "publish_at", "yesterday"), false); r.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("a schedule that is not a time: %d, want 422", r.StatusCode)
		}
		if r, _ := o.post(t, q+"/publish", deskForm("", "No title."), false); r.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("publishing without a title: %d, want 422", r.StatusCode)
		}
		if r, _ := o.get(t, "/admin/posts/999999/edit"); r.StatusCode != http.StatusNotFound {
			t.Fatalf("a post that does not exist: %d", r.StatusCode)
		}

		// Unpublished, then deleted and restored.
		if r, _ := o.post(t, p+"/unpublish", deskForm("A <post> from the desk", body), false); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("unpublish: %d", r.StatusCode)
		}
		if r, _ := reader.get(t, "/posts/a-post-from-the-desk"); r.StatusCode != http.StatusNotFound {
			t.Fatalf("an unpublished post is served: %d", r.StatusCode)
		}
		if r, _ := o.post(t, p+"/publish", deskForm("A <post> from the desk", body), false); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("publish again: %d", r.StatusCode)
		}
		if r, out := o.post(t, p+"/delete", url.Values{}, false); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("delete %s: %d %s", p, r.StatusCode, out[len(out)-1500:])
		}
		if r, _ := reader.get(t, "/posts/a-post-from-the-desk"); r.StatusCode != http.StatusNotFound {
			t.Fatal("a deleted post is served")
		}
		if doc(t, o.page(t, "/admin/posts?show=deleted")).Find(`[data-testid=PostRow][data-slug="a-post-from-the-desk"] [data-testid=RestorePost]`).Length() != 1 {
			t.Fatal("a deleted post is not listed with Restore")
		}
		if r, _ := o.post(t, p+"/restore", url.Values{}, false); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("restore: %d", r.StatusCode)
		}
		if !strings.Contains(reader.page(t, "/posts/a-post-from-the-desk"), "A comment on a desk post.") {
			t.Fatal("a restored post is not served with its comments")
		}

		// Only the owner.
		if r, _ := reader.post(t, p+"/publish", deskForm("Mine", "Now."), false); r.StatusCode == http.StatusSeeOther || r.StatusCode == http.StatusOK {
			t.Fatalf("a reader could publish: %d", r.StatusCode)
		}
	})
}

// slugOfFile is the slug of a post of the content folder.
func (a *testApp) slugOfFile() string { return "hello-world" }

// TestDeskPostsReachEveryInstance runs two instances on one PostgreSQL database: a post published on one is
// served by the other, and a post scheduled on one appears on both at its time (each instance's own timer).
func TestDeskPostsReachEveryInstance(t *testing.T) {
	u := dbtest.PostgresURL(t)
	one := newTestAppOn(t, dbtest.Open(t, u, true))
	two := newTestAppOn(t, dbtest.Open(t, u, false))
	o := one.owner(t)
	readers := []*client{one.newClient(), two.newClient()}
	served := func(c *client, path string) bool {
		r, _ := c.get(t, path)
		return r.StatusCode == http.StatusOK
	}
	eventually := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 20 s", what)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	p := newDeskPost(t, o)
	if r, _ := o.post(t, p+"/publish", deskForm("Written on one", "Read on two."), false); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("publish: %d", r.StatusCode)
	}
	if !served(readers[0], "/posts/written-on-one") {
		t.Fatal("the instance that published does not serve the post at once")
	}
	eventually("the other instance serves the post", func() bool { return served(readers[1], "/posts/written-on-one") })

	q := newDeskPost(t, o)
	at := time.Now().UTC().Truncate(time.Second).Add(3 * time.Second)
	if r, _ := o.post(t, q+"/schedule", deskForm("Scheduled on one", "Appears on both.", "publish_at", at.Format("2006-01-02T15:04:05")), false); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("schedule: %d", r.StatusCode)
	}
	for i, c := range readers {
		if served(c, "/posts/scheduled-on-one") && time.Now().Before(at) {
			t.Fatalf("instance %d serves a scheduled post before its time", i+1)
		}
	}
	for i, c := range readers {
		eventually("instance "+string(rune('1'+i))+" serves the scheduled post", func() bool { return served(c, "/posts/scheduled-on-one") })
		if time.Now().Before(at) {
			t.Fatalf("instance %d served the scheduled post before its time", i+1)
		}
		if !strings.Contains(c.page(t, "/"), "/posts/scheduled-on-one") || !strings.Contains(c.page(t, "/feed.xml"), "Scheduled on one") {
			t.Fatalf("instance %d: the scheduled post is not on the home page or in the feed", i+1)
		}
	}
}

// TestDeskKeepsATypedAddress: an address the owner typed is shown again in the editor and kept by the saves
// that follow; emptied, the address follows the title again.
func TestDeskKeepsATypedAddress(t *testing.T) {
	a := newTestApp(t)
	o := a.owner(t)
	p := newDeskPost(t, o)
	if r, out := o.post(t, p+"/autosave", deskForm("Something", "Text.", "slug", "my-own-address"), true); r.StatusCode != http.StatusOK {
		t.Fatalf("autosave: %d %s", r.StatusCode, out)
	}
	slug, _ := doc(t, o.page(t, p+"/edit")).Find(`#desk-slug`).Attr("value")
	if slug != "my-own-address" {
		t.Fatalf("the editor shows the typed address as %q", slug)
	}
	o.post(t, p+"/autosave", deskForm("Something else", "Text.", "slug", slug), true)
	if _, out := o.post(t, p+"/autosave", deskForm("Something else", "Text.", "slug", slug), true); !strings.Contains(out, "/posts/my-own-address") {
		t.Fatalf("a later save lost the typed address: %s", out)
	}
	if _, out := o.post(t, p+"/autosave", deskForm("Something else", "Text.", "slug", ""), true); !strings.Contains(out, "/posts/something-else") {
		t.Fatalf("an emptied address does not follow the title: %s", out)
	}
	if slug, _ := doc(t, o.page(t, p+"/edit")).Find(`#desk-slug`).Attr("value"); slug != "" {
		t.Fatalf("an address that follows the title is shown as typed: %q", slug)
	}
}

// TestDeskWritesAPage: a page written in the desk is served at /slug and linked from the navigation once
// published; a page of the content folder's address and the blog's own addresses are refused; unpublished, it is
// gone again. SQLite and PostgreSQL.
func TestDeskWritesAPage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		a := newTestAppOn(t, db)
		o := a.owner(t)
		reader := a.newClient()
		o.page(t, "/admin/posts")
		resp, _ := o.post(t, "/admin/posts", url.Values{"kind": {"page"}}, false)
		m := editPath.FindStringSubmatch(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusSeeOther || m == nil {
			t.Fatalf("new page: %d", resp.StatusCode)
		}
		p := "/admin/posts/" + m[1]
		ed := doc(t, o.page(t, p+"/edit"))
		if ed.Find(`#desk-order`).Length() != 1 || ed.Find(`#desk-tags`).Length() != 0 {
			t.Fatal("a page's editor does not ask for its order alone")
		}
		for _, slug := range []string{"about", "archive"} {
			if r, _ := o.post(t, p, deskForm("Colophon", "How.", "slug", slug, "kind", "page"), false); r.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("a page at /%s: %d, want 422", slug, r.StatusCode)
			}
		}
		if r, _ := o.post(t, p+"/publish", deskForm("Colophon", "How this *blog* is made.", "order", "5", "slug", ""), false); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("publish the page: %d", r.StatusCode)
		}
		page := reader.page(t, "/colophon")
		if !strings.Contains(page, "How this <em>blog</em> is made.") || doc(t, reader.page(t, "/")).Find(`nav a[href="/colophon"]`).Length() == 0 {
			t.Fatal("the published page is not served, or not in the navigation")
		}
		row := doc(t, o.page(t, "/admin/posts")).Find(`[data-testid=PostRow][data-slug=colophon]`)
		if !strings.Contains(row.Text(), "page") || !strings.Contains(row.Text(), "written here") || row.Find(`[data-testid=CloseComments]`).Length() != 0 {
			t.Fatalf("the desk lists the page as %q", row.Text())
		}
		if r, _ := o.post(t, p+"/unpublish", deskForm("Colophon", "How."), false); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("unpublish: %d", r.StatusCode)
		}
		if r, _ := reader.get(t, "/colophon"); r.StatusCode != http.StatusNotFound {
			t.Fatalf("an unpublished page is served: %d", r.StatusCode)
		}
	})
}
