package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/go-rel/rel"
	"github.com/go-rel/rel/where"

	"blog/live/lists"
	"blog/repo"
	"blog/views"
)

func TestCommentPlainPostRedirects(t *testing.T) {
	a := newTestApp(t)
	resp, _ := a.postComment(t, "hello-world", form("Ann", "ann@example.com", "First!"), false)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("status = %d, want 303", resp.StatusCode)
	}
	var cs []repo.Comment
	if err := a.db.Repo().FindAll(context.Background(), &cs); err != nil {
		t.Fatal(err)
	}
	loc := resp.Header.Get("Location")
	if len(cs) != 1 || !strings.HasSuffix(loc, "/posts/hello-world#comment-"+itoa(cs[0].ID)) {
		t.Fatalf("location = %q, comments = %d", loc, len(cs))
	}
	body := a.page(t, "/posts/hello-world")
	item := doc(t, body).Find(`#comment-` + itoa(cs[0].ID))
	if !strings.Contains(item.Text(), "First!") || !strings.Contains(item.Text(), "Ann") {
		t.Fatalf("comment not shown after redirect: %q", item.Text())
	}
	if strings.Contains(body, "ann@example.com") {
		t.Fatal("the page shows the commenter's email")
	}
	if d := doc(t, body); strings.TrimSpace(d.Find(`#comment-count`).Text()) != "1 comment" {
		t.Fatalf("count = %q", d.Find(`#comment-count`).Text())
	}
	// The full time, the same for every reader (the page script says "just now"), so the list can be shared.
	dt, _ := item.Find("time").Attr("datetime")
	if !strings.HasSuffix(dt, "Z") || !strings.HasSuffix(strings.TrimSpace(item.Find("time").Text()), "UTC") {
		t.Fatalf("time element: datetime=%q text=%q", dt, item.Find("time").Text())
	}
}

func TestCommentWithHTMXSwapsListAndClearsForm(t *testing.T) {
	a := newTestApp(t)
	a.postComment(t, "hello-world", form("Bob", "bob@example.com", "older"), true)
	resp, body := a.postComment(t, "hello-world", form("Ann", "ann@example.com", "line one\nline two"), true)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200", resp.StatusCode)
	}
	d := doc(t, body)
	if d.Find(`form#comment-form textarea`).Text() != "" {
		t.Errorf("comment text not cleared: %q", d.Find(`form#comment-form textarea`).Text())
	}
	if v, _ := d.Find(`#comment-username`).Attr("value"); v != "Ann" {
		t.Errorf("name not kept for the next comment: %q", v)
	}
	if !strings.Contains(d.Find(`[data-testid="FormNotice"]`).Text(), "posted") {
		t.Errorf("no confirmation: %q", d.Find(`[data-testid="FormNotice"]`).Text())
	}
	// The answer carries the new comment only (the live stream brings everyone else's).
	list := doc(t, strings.ReplaceAll(strings.ReplaceAll(body, "<template", "<div"), "</template>", "</div>")).Find(`#posted-comment [data-testid="CommentItem"]`)
	if list.Length() != 1 || strings.Contains(body, "older") {
		t.Fatalf("answer has %d comments, want the new one only", list.Length())
	}
	if html, _ := list.First().Find(`[data-testid="CommentBody"]`).Html(); !strings.Contains(html, "line one<br/>\nline two") {
		t.Errorf("the new comment with its line break kept; got %q", html)
	}
	if c := d.Find(`#comment-count[hx-swap-oob]`).Text(); strings.TrimSpace(c) != "2 comments" {
		t.Errorf("count = %q", c)
	}
}

func TestCommentValidation(t *testing.T) {
	long := func(n int) string { return strings.Repeat("é", n) }
	tests := []struct {
		name      string
		form      url.Values
		wantField string
		wantText  string
	}{
		{"missing name", form("", "a@b.co", "hi"), "username", "enter your name"},
		{"blank name", form(" \t ", "a@b.co", "hi"), "username", "enter your name"},
		{"zero-width name", form("\u200b\u200b", "a@b.co", "hi"), "username", "enter your name"},
		{"long name", form(long(65), "a@b.co", "hi"), "username", "at most 64"},
		{"name with newline", form("a\nb", "a@b.co", "hi"), "username", "control characters"},
		{"name with RTL override", form("abc\u202egnp.exe", "a@b.co", "hi"), "username", "text-direction"},
		{"missing email", form("Ann", "", "hi"), "email", "enter your email"},
		{"bad email", form("Ann", "not-an-email", "hi"), "email", "valid email"},
		{"email with name", form("Ann", "Ann <a@b.co>", "hi"), "email", "valid email"},
		{"email without dot", form("Ann", "a@localhost", "hi"), "email", "valid email"},
		{"long email", form("Ann", strings.Repeat("a", 115)+"@b.com", "hi"), "email", "at most 120"},
		{"missing comment", form("Ann", "a@b.co", ""), "body", "write a comment"},
		{"blank comment", form("Ann", "a@b.co", "\n\n  "), "body", "write a comment"},
		{"long comment", form("Ann", "a@b.co", long(5001)), "body", "at most 5000"},
		{"control char in comment", form("Ann", "a@b.co", "a\x07b"), "body", "control characters"},
		{"NUL in comment", form("Ann", "a@b.co", "a\x00b"), "body", "control characters"},
		{"invalid UTF-8", form("Ann", "a@b.co", "a\xffb"), "body", "not valid text"},
	}
	a := newTestApp(t)
	for _, tt := range tests {
		for _, htmx := range []bool{true, false} {
			t.Run(tt.name+map[bool]string{true: " (htmx)", false: " (plain)"}[htmx], func(t *testing.T) {
				resp, body := a.postComment(t, "hello-world", tt.form, htmx)
				if resp.StatusCode != http.StatusUnprocessableEntity {
					t.Fatalf("status = %d, want 422", resp.StatusCode)
				}
				d := doc(t, body)
				if !htmx && d.Find(`[data-testid="PostPage"]`).Length() != 1 {
					t.Fatal("plain post: want the whole page back")
				}
				id := map[string]string{"username": "comment-username", "email": "comment-email", "body": "comment-body"}[tt.wantField]
				msg := d.Find("#" + id + "-error")
				if !strings.Contains(msg.Text(), tt.wantText) {
					t.Fatalf("message beside %s = %q, want it to contain %q", tt.wantField, msg.Text(), tt.wantText)
				}
				if inv, _ := d.Find("#" + id).Attr("aria-invalid"); inv != "true" {
					t.Errorf("aria-invalid = %q", inv)
				}
				if desc, _ := d.Find("#" + id).Attr("aria-describedby"); !strings.Contains(desc, id+"-error") {
					t.Errorf("aria-describedby = %q, want the error tied to the field", desc)
				}
				if d.Find(`[role="alert"]`).Length() == 0 {
					t.Error("no role=alert: the error is not announced")
				}
				if tt.wantField != "body" && tt.form.Get("body") != "" && !strings.Contains(d.Find("#comment-body").Text(), tt.form.Get("body")) {
					t.Errorf("comment text lost: %q", d.Find("#comment-body").Text())
				}
				if n := a.countComments(t); n != 0 {
					t.Fatalf("%d comments stored, want 0", n)
				}
			})
		}
	}
}

func TestCommentTextIsInert(t *testing.T) {
	a := newTestApp(t)
	hostile := `<script>alert(1)</script><img src=x onerror=alert(2)> <a href="javascript:alert(3)">x</a>`
	resp, _ := a.postComment(t, "hello-world", form(`<b onmouseover=alert(4)>Eve</b>`, "eve@example.com", hostile), false)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("status = %d", resp.StatusCode)
	}
	body := a.page(t, "/posts/hello-world")
	d := doc(t, body)
	item := d.Find(`[data-testid="CommentItem"]`)
	if item.Find("script, img, a[href^=javascript], b").Length() != 0 {
		t.Fatalf("markup injected: %s", must(item.Html()))
	}
	if got := item.Find(`[data-testid="CommentBody"]`).Text(); !strings.Contains(got, hostile) {
		t.Fatalf("comment text not shown as text: %q", got)
	}
	if strings.Contains(body, "<script>alert") {
		t.Fatal("raw script tag in page")
	}
}

func TestCommentOnUnknownPost(t *testing.T) {
	a := newTestApp(t)
	for _, htmx := range []bool{true, false} {
		resp, _ := a.postComment(t, "no-such-post", form("Ann", "a@b.co", "hi"), htmx)
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("status = %d, want 404", resp.StatusCode)
		}
	}
	if n := a.countComments(t); n != 0 {
		t.Fatalf("%d comments stored", n)
	}
}

func TestCommentWrongContentType(t *testing.T) {
	a := newTestApp(t)
	req, _ := http.NewRequest(http.MethodPost, "/posts/hello-world/comments", strings.NewReader(`{"username":"a"}`))
	req.Header.Set("Content-Type", "application/json")
	a.authorize(t, req)
	resp, _ := a.do(t, req)
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Fatalf("status = %d, want 415", resp.StatusCode)
	}
}

func itoa(n int64) string { return strconvItoa(n) }

func must(s string, _ error) string { return s }

// The rendered list is kept between page views and patched with each new comment; whatever the interleaving, a
// page must show exactly the database's newest comments in order, with the right count.
func TestCachedListMatchesDatabase(t *testing.T) {
	a := newTestApp(t)
	idsOnPage := func() []string {
		body := a.page(t, "/posts/hello-world")
		var ids []string
		doc(t, body).Find(`#comment-list [data-comment-id]`).Each(func(_ int, s *goquery.Selection) {
			id, _ := s.Attr("data-comment-id")
			ids = append(ids, id)
		})
		return ids
	}
	idsInDB := func() []string {
		var cs []repo.Comment
		if err := a.db.Repo().FindAll(context.Background(), &cs, rel.Where(where.Eq("post_id", a.postID(t, "hello-world")),
			where.Eq("state", repo.StatePublished)).SortAsc("id")); err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, c := range cs {
			ids = append(ids, itoa(c.ID))
		}
		return ids
	}
	check := func(when string, comments int) {
		t.Helper()
		if n := len(idsInDB()); n != comments {
			t.Fatalf("%s: %d published comments in the database, want %d", when, n, comments)
		}
		got, want := strings.Join(idsOnPage(), ","), strings.Join(idsInDB(), ",")
		if got != want {
			t.Fatalf("%s: page shows %s, database has %s", when, got, want)
		}
		body := a.page(t, "/posts/hello-world")
		if c := strings.TrimSpace(doc(t, body).Find("#comment-count").Text()); c != views.CountLabel(context.Background(), len(idsInDB())) {
			t.Fatalf("%s: count %q", when, c)
		}
	}
	check("empty", 0)
	for i := range 3 {
		a.postComment(t, "hello-world", form("Ann", "ann@example.com", "seq "+itoa(int64(i))), i%2 == 0)
		check("after sequential post "+itoa(int64(i)), i+1)
	}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.postComment(t, "hello-world", form("Bob", "bob@example.com", "par "+itoa(int64(i))), true)
			idsOnPage()
		}()
	}
	wg.Wait()
	check("after concurrent posts", 23)
}

// A post's list kept by the feed stays at the newest 200 conversations as comments arrive: the oldest move behind
// "Show older comments" as they would on a list read afresh.
func TestKeptListStaysAtTheNewest200(t *testing.T) {
	a := newTestApp(t)
	for i := range lists.MaxThreadsShown - 2 {
		a.mustPost(t, "comment number "+itoa(int64(i)))
	}
	a.page(t, "/posts/"+a.slug) // the list is now kept, and the comments below reach it through the feed
	for i := lists.MaxThreadsShown - 2; i < lists.MaxThreadsShown+5; i++ {
		a.mustPost(t, "comment number "+itoa(int64(i)))
	}
	d := doc(t, a.page(t, "/posts/"+a.slug))
	items := d.Find(`#comment-list [data-testid="CommentItem"]`)
	if n := items.Length(); n != lists.MaxThreadsShown {
		t.Fatalf("page shows %d comments, want the newest %d", n, lists.MaxThreadsShown)
	}
	if first := items.First().Text(); !strings.Contains(first, "comment number 5") || strings.Contains(first, "comment number 50") {
		t.Fatalf("oldest comment shown: %q, want comment number 5", strings.TrimSpace(first))
	}
	href, _ := d.Find(`#older-comments a`).Attr("href")
	if href == "" {
		t.Fatal("no link to the older comments")
	}
	_, older := a.do(t, func() *http.Request {
		r := httpReq(http.MethodGet, href, nil)
		r.Header.Set("HX-Request", "true")
		return r
	}())
	if n := doc(t, older).Find(`[data-testid="CommentItem"]`).Length(); n != 5 {
		t.Fatalf("older comments: %d, want 5", n)
	}
}

// Beyond the newest 200, older comments are paged in: appended by htmx, or on a page of their own.
func TestOlderComments(t *testing.T) {
	a := newTestApp(t)
	for i := range lists.MaxThreadsShown + 5 {
		a.mustPost(t, "comment number "+itoa(int64(i)))
	}
	body := a.page(t, "/posts/"+a.slug)
	d := doc(t, body)
	if n := d.Find(`#comment-list [data-testid="CommentItem"]`).Length(); n != lists.MaxThreadsShown {
		t.Fatalf("page shows %d comments, want %d", n, lists.MaxThreadsShown)
	}
	if c := strings.TrimSpace(d.Find("#comment-count").Text()); c != "205 comments" {
		t.Fatalf("count = %q", c)
	}
	link := d.Find(`#older-comments a`)
	href, _ := link.Attr("href")
	if href == "" || !strings.Contains(link.Text(), "older") {
		t.Fatal("no link to older comments")
	}
	resp, older := a.do(t, func() *http.Request {
		r := httpReq(http.MethodGet, href, nil)
		r.Header.Set("HX-Request", "true")
		return r
	}())
	od := doc(t, older)
	items := od.Find(`[data-testid="CommentItem"]`)
	if resp.StatusCode != 200 || items.Length() != 5 || !strings.Contains(items.First().Text(), "comment number 0") {
		t.Fatalf("older (htmx): status %d, %d items", resp.StatusCode, items.Length())
	}
	if od.Find(`#older-comments[hx-swap-oob] a`).Length() != 0 {
		t.Fatal("a link to even older comments when there are none")
	}
	resp, page := a.get(t, href)
	if resp.StatusCode != 200 || doc(t, page).Find(`[data-testid="OlderPage"] [data-testid="CommentItem"]`).Length() != 5 {
		t.Fatalf("older (plain page): status %d", resp.StatusCode)
	}
	// Without a page to go back from (a reload of the plain form's answer, say), the address leads to the post's
	// comments instead of an error.
	for _, bad := range []string{"?before=x", "?before=-1", ""} {
		if r, _ := a.get(t, "/posts/"+a.slug+"/comments"+bad); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/posts/"+a.slug+"#comments" {
			t.Errorf("before %q: status %d to %q, want 303 to the post's comments", bad, r.StatusCode, r.Header.Get("Location"))
		}
	}
}
