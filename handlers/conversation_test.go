package handlers_test

import (
	"context"
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-rel/rel"
	"github.com/go-rel/rel/where"

	"blog/handlers"
	"blog/repo"
	"blog/views"
)

// reply posts a reply with htmx as this client.
func (c *client) reply(t testing.TB, parent int64, name, body string) (*http.Response, string) {
	t.Helper()
	if c.token == "" {
		c.get(t, "/posts/"+c.a.slug)
	}
	f := form(name, strings.ToLower(name)+"@example.com", body)
	f.Set("_t", c.stamp)
	if parent != 0 {
		f.Set("parent", itoa(parent))
	}
	resp, out := c.post(t, "/posts/"+c.a.slug+"/comments", f, true)
	c.a.settle(t)
	return resp, out
}

func (a *testApp) commentByBody(t testing.TB, body string) repo.Comment {
	t.Helper()
	var c repo.Comment
	if err := a.db.Repo().Find(context.Background(), &c, whereBody(body)); err != nil {
		t.Fatalf("comment %q: %v", body, err)
	}
	return c
}

func TestRepliesFormConversations(t *testing.T) {
	a := newTestApp(t)
	ada, bob := a.newClient(), a.newClient()
	ada.comment(t, "Ada", "ada@example.com", "A question about the post")
	top := a.commentByBody(t, "A question about the post")
	if resp, _ := bob.reply(t, top.ID, "Bob", "An answer"); resp.StatusCode != 200 {
		t.Fatalf("reply: %d", resp.StatusCode)
	}
	answer := a.commentByBody(t, "An answer")
	ada.reply(t, answer.ID, "Ada", "Thanks, Bob")
	thanks := a.commentByBody(t, "Thanks, Bob")
	if thanks.ThreadID == nil || *thanks.ThreadID != top.ID || *thanks.ParentID != answer.ID {
		t.Fatalf("a reply to a reply: thread %v parent %v, want thread %d parent %d", thanks.ThreadID, thanks.ParentID, top.ID, answer.ID)
	}
	page := a.newClient().page(t, "/posts/"+a.slug)
	d := doc(t, page)
	replies := d.Find(`#replies-` + itoa(top.ID) + ` > [data-testid="CommentItem"]`)
	if replies.Length() != 2 || d.Find(`#comment-list > [data-testid="CommentItem"]`).Length() != 1 {
		t.Fatalf("conversation on the page: %d replies under the comment, %d conversations", replies.Length(), d.Find(`#comment-list > [data-testid="CommentItem"]`).Length())
	}
	if got := strings.TrimSpace(replies.Eq(1).Find(`[data-testid="ReplyTo"]`).Text()); got != "to @Bob" {
		t.Fatalf("a reply to a reply names whom it answers: %q", got)
	}
	if strings.TrimSpace(d.Find("#comment-count").Text()) != "3 comments" {
		t.Fatalf("count %q", d.Find("#comment-count").Text())
	}
	// Without JavaScript, Reply is a link that opens the form as a reply.
	href, _ := d.Find(`a[data-reply="` + itoa(top.ID) + `"]`).Attr("href")
	if href != "/posts/"+a.slug+"?reply_to="+itoa(top.ID)+"#comment-form" {
		t.Fatalf("reply link %q", href)
	}
	rd := doc(t, a.newClient().page(t, strings.Split(href, "#")[0]))
	if v, _ := rd.Find(`#comment-form input[name=parent]`).Attr("value"); v != itoa(top.ID) || !strings.Contains(rd.Find("#reply-to").Text(), "Ada") {
		t.Fatalf("reply form: parent %q, %q", v, rd.Find("#reply-to").Text())
	}
	// Removing a comment that has replies keeps the conversation readable.
	o := a.owner(t)
	o.post(t, "/admin/comments", url.Values{"action": {"delete"}, "id": {itoa(top.ID)}}, false)
	d = doc(t, a.newClient().page(t, "/posts/"+a.slug))
	if d.Find(`#comment-`+itoa(top.ID)+`[data-placeholder] [data-testid="RemovedComment"]`).Length() != 1 ||
		d.Find(`#replies-`+itoa(top.ID)+` > [data-testid="CommentItem"]`).Length() != 2 || strings.Contains(d.Text(), "A question about the post") {
		t.Fatal("the removed comment's conversation is not kept under a placeholder")
	}
}

func TestRepliesThatCannotBe(t *testing.T) {
	a := newTestApp(t)
	c := a.newClient()
	c.comment(t, "Ada", "ada@example.com", "Here")
	here := a.commentByBody(t, "Here")
	// A comment on another post.
	other := a.postID(t, "writing-posts")
	elsewhere, _, err := a.store.CreateComment(context.Background(), repo.NewComment{PostID: other,
		Input: repo.CommentInput{Username: "Eve", Email: "eve@example.com", Body: "Elsewhere"}})
	if err != nil {
		t.Fatal(err)
	}
	held, _, _ := a.store.CreateComment(context.Background(), repo.NewComment{PostID: a.postID(t, a.slug), State: repo.StatePending,
		Input: repo.CommentInput{Username: "Hal", Email: "hal@example.com", Body: "Held"}})
	before := a.countComments(t)
	for name, tc := range map[string]struct {
		parent string
		want   string
	}{
		"another post's comment": {itoa(elsewhere.ID), "belongs to another post"},
		"a held comment":         {itoa(held.ID), "was removed"},
		"no such comment":        {"999999", "does not exist"},
		"not a number":           {"abc", "does not exist"},
	} {
		f := form("Bob", "bob@example.com", "a reply that cannot be")
		f.Set("_t", c.stamp)
		f.Set("parent", tc.parent)
		for _, htmx := range []bool{true, false} {
			resp, body := c.post(t, "/posts/"+a.slug+"/comments", f, htmx)
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(doc(t, body).Find("#form-notice").Text(), tc.want) ||
				doc(t, body).Find("#comment-body").Text() != "a reply that cannot be" {
				t.Errorf("%s (htmx %v): %d, notice %q", name, htmx, resp.StatusCode, doc(t, body).Find("#form-notice").Text())
			}
		}
	}
	if n := a.countComments(t); n != before {
		t.Fatalf("%d comments stored by refused replies", n-before)
	}
	_ = here
}

func TestEditingOwnComments(t *testing.T) {
	a := newTestApp(t, func(c *handlers.Config) { c.EditWindow = time.Hour })
	author, other := a.newClient(), a.newClient()
	author.comment(t, "Ada", "ada@example.com", "Teh first version")
	cm := a.commentByBody(t, "Teh first version")
	path := "/posts/" + a.slug + "/comments/" + itoa(cm.ID)

	// The author's page offers Edit and Delete; nobody else's does.
	if doc(t, author.page(t, "/posts/"+a.slug)).Find(`[data-testid="EditLink"]`).Length() != 1 {
		t.Fatal("the author's page has no Edit")
	}
	if doc(t, other.page(t, "/posts/"+a.slug)).Find(`[data-testid="EditLink"]`).Length() != 0 {
		t.Fatal("another reader's page offers Edit")
	}
	if resp, body := author.get(t, path+"/edit"); resp.StatusCode != 200 || !strings.Contains(body, "Teh first version") {
		t.Fatalf("edit form: %d", resp.StatusCode)
	}
	// Refusals: another browser, an empty text.
	for name, c := range map[string]*client{"another browser": other} {
		resp, body := c.post(t, path, url.Values{"body": {"hijacked"}}, true)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "browser that posted it") {
			t.Errorf("%s: %d", name, resp.StatusCode)
		}
	}
	if resp, _ := author.post(t, path, url.Values{"body": {"  "}}, true); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("empty edit: %d", resp.StatusCode)
	}
	resp, body := author.post(t, path, url.Values{"body": {"The *first* version"}}, true)
	if resp.StatusCode != 200 || !strings.Contains(body, "<em>first</em>") || doc(t, body).Find(`[data-testid="Edited"]`).Length() != 1 {
		t.Fatalf("edit: %d %s", resp.StatusCode, body)
	}
	if page := other.page(t, "/posts/"+a.slug); !strings.Contains(page, "<em>first</em>") || strings.Contains(page, "Teh first") {
		t.Fatal("another reader does not see the edit")
	}
	versions, _ := a.store.Versions(context.Background(), []int64{cm.ID})
	if len(versions[cm.ID]) != 1 || versions[cm.ID][0].Body != "Teh first version" {
		t.Fatalf("versions: %+v", versions)
	}
	// Once somebody answers it, it can no longer change.
	other.reply(t, cm.ID, "Bob", "Nice")
	if resp, body := author.post(t, path, url.Values{"body": {"changed after an answer"}}, true); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "replied") {
		t.Fatalf("edit after a reply: %d", resp.StatusCode)
	}
	if resp, body := author.post(t, path+"/delete", nil, true); resp.StatusCode != http.StatusConflict ||
		doc(t, body).Find("#"+views.OwnNoticeID(cm.ID)+"[hx-swap-oob]").Text() != "Somebody has replied to this comment, so it can no longer be changed." {
		t.Fatalf("delete after a reply: %d %s", resp.StatusCode, body)
	}
	if a.commentByBody(t, "The *first* version").State != repo.StatePublished {
		t.Fatal("a refused delete changed the comment")
	}
}

func TestEditWindowCloses(t *testing.T) {
	a := newTestApp(t, func(c *handlers.Config) { c.EditWindow = time.Minute })
	author := a.newClient()
	author.comment(t, "Ada", "ada@example.com", "Old news")
	cm := a.commentByBody(t, "Old news")
	// Make it older than the window.
	a.db.Repo().Exec(context.Background(), "UPDATE comments SET created_at = ? WHERE id = ?", time.Now().UTC().Add(-2*time.Minute), cm.ID)
	for _, p := range []string{"/edit"} {
		if resp, body := author.get(t, "/posts/"+a.slug+"/comments/"+itoa(cm.ID)+p); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "is over") {
			t.Errorf("GET %s after the window: %d", p, resp.StatusCode)
		}
	}
	if resp, _ := author.post(t, "/posts/"+a.slug+"/comments/"+itoa(cm.ID), url.Values{"body": {"late"}}, false); resp.StatusCode != http.StatusForbidden {
		t.Errorf("edit after the window: %d", resp.StatusCode)
	}
	if resp, _ := author.post(t, "/posts/"+a.slug+"/comments/"+itoa(cm.ID)+"/delete", nil, false); resp.StatusCode != http.StatusForbidden {
		t.Errorf("delete after the window: %d", resp.StatusCode)
	}
	if a.commentByBody(t, "Old news").State != repo.StatePublished {
		t.Fatal("a refused delete changed the comment")
	}
}

func TestDeletingOwnComment(t *testing.T) {
	a := newTestApp(t)
	author := a.newClient()
	author.comment(t, "Ada", "ada@example.com", "Oops, wrong post")
	cm := a.commentByBody(t, "Oops, wrong post")
	if resp, _ := a.newClient().post(t, "/posts/"+a.slug+"/comments/"+itoa(cm.ID)+"/delete", nil, false); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("delete from another browser: %d", resp.StatusCode)
	}
	if resp, _ := author.post(t, "/posts/"+a.slug+"/comments/"+itoa(cm.ID)+"/delete", nil, false); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %d", resp.StatusCode)
	}
	if got := a.commentByBody(t, "Oops, wrong post"); got.State != repo.StateDeleted || got.Reason != "deleted by its author" {
		t.Fatalf("after delete: %s (%s)", got.State, got.Reason)
	}
	if strings.Contains(a.newClient().page(t, "/posts/"+a.slug), "Oops") {
		t.Fatal("a deleted comment is on the page")
	}
}

func TestMarkdownAndPreview(t *testing.T) {
	a := newTestApp(t)
	c := a.newClient()
	c.get(t, "/posts/"+a.slug)
	resp, body := c.post(t, "/posts/"+a.slug+"/comments/preview", url.Values{"body": {"**bold** and https://example.com <script>x</script>"}}, true)
	if resp.StatusCode != 200 || !strings.Contains(body, "<strong>bold</strong>") ||
		!strings.Contains(body, `rel="ugc nofollow noopener"`) || strings.Contains(body, "<script") {
		t.Fatalf("preview: %d %s", resp.StatusCode, body)
	}
	if a.countComments(t) != 0 {
		t.Fatal("a preview stored a comment")
	}
	// Without JavaScript, the preview is the post page with the form filled in.
	f := form("Ada", "ada@example.com", "*plain* preview")
	resp, body = c.post(t, "/posts/"+a.slug+"/comments/preview", f, false)
	d := doc(t, body)
	if resp.StatusCode != 200 || d.Find(`[data-testid="PreviewText"] em`).Text() != "plain" || d.Find("#comment-body").Text() != "*plain* preview" {
		t.Fatalf("plain preview: %d", resp.StatusCode)
	}
	c.comment(t, "Ada", "ada@example.com", "# not a heading\n\n![img](https://example.com/x.png) [link](https://example.com)")
	list, _ := doc(t, a.newClient().page(t, "/posts/"+a.slug)).Find("#comment-list").Html()
	if strings.Contains(list, "<h1") || strings.Contains(list, "<img") || !strings.Contains(list, "<p># not a heading</p>") ||
		!strings.Contains(list, `<a href="https://example.com" rel="ugc nofollow noopener">link</a>`) {
		t.Fatalf("the subset is not what the page shows: %s", list)
	}
}

func TestCommentFeeds(t *testing.T) {
	a := newTestApp(t)
	c := a.newClient()
	c.comment(t, "Ada", "ada@example.com", "Feed me")
	a.store.CreateComment(context.Background(), repo.NewComment{PostID: a.postID(t, a.slug), State: repo.StatePending,
		Input: repo.CommentInput{Username: "Hal", Email: "hal@example.com", Body: "Not in the feed"}})
	type feed struct {
		Title   string `xml:"title"`
		ID      string `xml:"id"`
		Updated string `xml:"updated"`
		Author  struct {
			Name string `xml:"name"`
		} `xml:"author"`
		Entries []struct {
			ID     string `xml:"id"`
			Title  string `xml:"title"`
			Author struct {
				Name string `xml:"name"`
			} `xml:"author"`
			Updated string `xml:"updated"`
			Content string `xml:"content"`
		} `xml:"entry"`
	}
	for _, path := range []string{"/comments.xml", "/posts/" + a.slug + "/comments.xml"} {
		resp, body := a.get(t, path)
		var f feed
		if err := xml.Unmarshal([]byte(body), &f); err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/atom+xml; charset=utf-8" {
			t.Fatalf("%s: %d %v", path, resp.StatusCode, err)
		}
		if len(f.Entries) != 1 || f.Entries[0].Author.Name != "Ada" || !strings.HasPrefix(f.Entries[0].ID, "http://blog.test/posts/") ||
			f.Updated == "" || f.Entries[0].Updated == "" || f.Author.Name == "" || !strings.Contains(f.Entries[0].Content, "Feed me") {
			t.Fatalf("%s: %+v", path, f)
		}
	}
	d := doc(t, a.page(t, "/posts/"+a.slug))
	if d.Find(`link[rel=alternate][href="/posts/`+a.slug+`/comments.xml"]`).Length() != 1 || d.Find(`link[rel=alternate][href="/comments.xml"]`).Length() != 1 {
		t.Fatal("the page does not announce its comments feeds")
	}
	_, posts := a.get(t, "/feed.xml")
	if !strings.Contains(posts, "<author>") || strings.Contains(posts, `src="/media`) {
		t.Fatalf("posts feed: author or absolute media links missing")
	}
}

func whereBody(body string) rel.Querier { return where.Eq("body", body) }
