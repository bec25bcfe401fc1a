package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/go-rel/rel"
	"github.com/go-rel/rel/where"

	"blog/handlers/comments"
	"blog/live/lists"
	"blog/repo"
	"blog/richtext"
)

// htmxGet is a GET as htmx sends it.
func htmxGet(path string) *http.Request {
	r := httpReq(http.MethodGet, path, nil)
	r.Header.Set("HX-Request", "true")
	return r
}

// TestHostileMarkdownIsBounded posts the comments that used to render as thousands of nested elements and checks,
// on the post page, that quotes and lists nest at most richtext.MaxDepth deep and no comment passes
// richtext.MaxHTML.
func TestHostileMarkdownIsBounded(t *testing.T) {
	a := newTestApp(t)
	for _, body := range []string{strings.Repeat(">", 4999) + "x", strings.Repeat("- ", 2499) + "y", strings.Repeat("1. ", 1666) + "z",
		strings.Repeat(">>>>>>>>a\n>\n", 400)} {
		a.mustPost(t, body)
	}
	d := doc(t, a.page(t, "/posts/"+a.slug))
	bodies := d.Find(`[data-testid="CommentBody"]`)
	if bodies.Length() != 4 {
		t.Fatalf("%d comments on the page, want 4", bodies.Length())
	}
	deep := regexp.MustCompile(`<(/?)(blockquote|ul|ol)\b`)
	bodies.Each(func(i int, s *goquery.Selection) {
		html, _ := s.Html()
		depth, deepest := 0, 0
		for _, m := range deep.FindAllStringSubmatch(html, -1) {
			if m[1] == "" {
				depth++
			} else {
				depth--
			}
			deepest = max(deepest, depth)
		}
		if deepest > richtext.MaxDepth || len(html) > richtext.MaxHTML+200 {
			t.Errorf("comment %d: nested %d deep, %d bytes of HTML", i, deepest, len(html))
		}
	})
}

// TestListsAreRenderedOncePerChange checks that every list a reader can ask for (the post page, the reloaded list
// of a page that fell behind, older conversations, more replies, the comment feeds, a stream's catch-up) is served
// from what was
// rendered when the post last changed: a comment altered behind the blog's back (no change in the feed) is shown
// as it was rendered, however the list is asked for, and however high ?min= is.
func TestListsAreRenderedOncePerChange(t *testing.T) {
	a := newTestApp(t)
	ctx := context.Background()
	post := a.postID(t, a.slug)
	var first repo.Comment
	for i := range lists.MaxThreadsShown + 3 {
		c, _, err := a.store.CreateComment(ctx, repo.NewComment{PostID: post,
			Input: repo.CommentInput{Username: "Ann", Email: "ann@example.com", Body: "conversation " + itoa(int64(i))}})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = c
		}
	}
	var last repo.Comment
	for i := range repo.ShownReplies + 5 {
		c, _, err := a.store.CreateComment(ctx, repo.NewComment{PostID: post, ParentID: first.ID,
			Input: repo.CommentInput{Username: "Bob", Email: "bob@example.com", Body: "reply " + itoa(int64(i))}})
		if err != nil {
			t.Fatal(err)
		}
		last = c
	}
	a.settle(t)
	seq := a.seq(t)
	paths := []string{"/posts/" + a.slug, "/posts/" + a.slug + "/comments/fresh?min=999999999",
		"/posts/" + a.slug + "/comments?before=" + itoa(first.ID+2), "/posts/" + a.slug + "/comments?before=999999999",
		"/posts/" + a.slug + "/comments/" + itoa(first.ID) + "/replies?after=0",
		"/posts/" + a.slug + "/comments/" + itoa(first.ID) + "/replies?after=" + itoa(last.ID-3),
		"/comments.xml", "/posts/" + a.slug + "/comments.xml"}
	fetch := func(path string) string {
		t.Helper()
		resp, body := a.do(t, htmxGet(path))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
		return body
	}
	for _, p := range paths {
		fetch(p)
	}
	// Altered in the database only: a list rendered again now would show it.
	for _, id := range []int64{first.ID, first.ID + 1, last.ID} {
		if _, err := a.db.Repo().UpdateAny(ctx, rel.From("comments").Where(where.Eq("id", id)), rel.Set("body", "TAMPERED"),
			rel.Set("html", "<p>TAMPERED</p>")); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range paths {
		if body := fetch(p); strings.Contains(body, "TAMPERED") {
			t.Errorf("GET %s rendered the list again without a change of the post", p)
		}
	}
	srv := a.serve(t)
	s := connectSSE(t, srv+"/posts/"+a.slug+"/events?after="+itoa(seq-3), nil)
	for range 3 {
		if ev := s.nextComment(t); strings.Contains(ev.data, "TAMPERED") {
			t.Errorf("the stream's catch-up rendered change %s again", ev.id)
		}
	}
}

// TestLongConversationsShowTheirFirstReplies checks that a conversation shows its first replies and a control for
// the rest, which pages them in with htmx and as a page of its own, and that a new reply to a long conversation
// changes the control's count instead of the page's size.
func TestLongConversationsShowTheirFirstReplies(t *testing.T) {
	a := newTestApp(t)
	ctx := context.Background()
	post := a.postID(t, a.slug)
	top, _, err := a.store.CreateComment(ctx, repo.NewComment{PostID: post,
		Input: repo.CommentInput{Username: "Ann", Email: "ann@example.com", Body: "A question"}})
	if err != nil {
		t.Fatal(err)
	}
	const n = 120
	for i := range n {
		if _, _, err := a.store.CreateComment(ctx, repo.NewComment{PostID: post, ParentID: top.ID,
			Input: repo.CommentInput{Username: "Bob", Email: "bob@example.com", Body: "answer " + itoa(int64(i))}}); err != nil {
			t.Fatal(err)
		}
	}
	a.settle(t)
	replies := func(d *goquery.Document) *goquery.Selection {
		return d.Find(`#replies-` + itoa(top.ID) + ` > [data-testid="CommentItem"]`)
	}
	d := doc(t, a.page(t, "/posts/"+a.slug))
	if got := replies(d).Length(); got != repo.ShownReplies {
		t.Fatalf("%d replies shown, want the first %d", got, repo.ShownReplies)
	}
	more := d.Find(`#replies-` + itoa(top.ID) + ` > [data-testid="MoreReplies"] a`)
	if want := "Show 100 more replies"; strings.TrimSpace(more.Text()) != want {
		t.Fatalf("control %q, want %q", more.Text(), want)
	}
	// With htmx: the next replies and a control for the rest.
	href, _ := more.Attr("hx-get")
	resp, body := a.do(t, htmxGet(href))
	page := doc(t, body)
	if resp.StatusCode != 200 || page.Find(`[data-testid="CommentItem"]`).Length() != comments.RepliesPerPage ||
		!strings.Contains(page.Find(`[data-testid="CommentItem"]`).First().Text(), "answer 20") {
		t.Fatalf("more replies: status %d, %d replies", resp.StatusCode, page.Find(`[data-testid="CommentItem"]`).Length())
	}
	if got := strings.TrimSpace(page.Find(`[data-testid="MoreReplies"]`).Text()); got != "Show 50 more replies" {
		t.Fatalf("next control %q", got)
	}
	// Without JavaScript: a page of its own with the conversation's comment and the replies.
	plain, _ := more.Attr("href")
	pd := doc(t, a.page(t, plain))
	if pd.Find(`[data-testid="RepliesPage"] [data-testid="CommentItem"]`).Length() != comments.RepliesPerPage+1 {
		t.Fatalf("replies page: %d comments", pd.Find(`[data-testid="RepliesPage"] [data-testid="CommentItem"]`).Length())
	}
	// A new reply: the list keeps its first replies and counts one more.
	srv := a.serve(t)
	s := connectSSE(t, srv+"/posts/"+a.slug+"/events?after="+itoa(a.seq(t)), nil)
	reader := a.newClient()
	reader.reply(t, top.ID, "Cy", "one more answer")
	if ev := s.nextComment(t); !strings.Contains(ev.data, "one more answer") {
		t.Fatalf("live event: %s", ev.data)
	}
	d = doc(t, a.newClient().page(t, "/posts/"+a.slug))
	if got := replies(d).Length(); got != repo.ShownReplies {
		t.Fatalf("after a new reply: %d replies shown", got)
	}
	if got := strings.TrimSpace(d.Find(`[data-testid="MoreReplies"]`).Text()); got != "Show 101 more replies" {
		t.Fatalf("after a new reply the control says %q", got)
	}
	// Its author sees it in place, after the control.
	rd := doc(t, reader.page(t, "/posts/"+a.slug))
	if last := rd.Find(`#replies-` + itoa(top.ID) + ` > li`).Last(); !strings.Contains(last.Text(), "one more answer") {
		t.Fatalf("the author's own reply is not shown after the control: %q", last.Text())
	}
}

// TestPreviewsAreBoundedPerClient checks that previews, which render whatever text is sent, count against a
// limit per client: past it the answer is 429 with Retry-After and a sentence, the text kept, nothing rendered.
func TestPreviewsAreBoundedPerClient(t *testing.T) {
	a := newTestApp(t)
	c := a.newClient()
	c.get(t, "/posts/"+a.slug)
	path := "/posts/" + a.slug + "/comments/preview"
	for i := range comments.PreviewRate.Burst {
		if resp, body := c.post(t, path, url.Values{"body": {"*try* " + itoa(int64(i))}}, true); resp.StatusCode != 200 ||
			!strings.Contains(body, "<em>try</em>") {
			t.Fatalf("preview %d: %d", i, resp.StatusCode)
		}
	}
	resp, body := c.post(t, path, url.Values{"body": {"*one too many*"}}, true)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" ||
		!strings.Contains(body, "previews too quickly") || strings.Contains(body, "<em>one too many</em>") {
		t.Fatalf("over the limit with htmx: %d %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	resp, body = c.post(t, path, form("Ada", "ada@example.com", "*kept text*"), false)
	d := doc(t, body)
	if resp.StatusCode != http.StatusTooManyRequests || d.Find("#comment-body").Text() != "*kept text*" ||
		!strings.Contains(d.Find(`[data-testid="FormNotice"]`).Text(), "previews too quickly") {
		t.Fatalf("over the limit without JavaScript: %d", resp.StatusCode)
	}
}
