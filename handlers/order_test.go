package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/go-rel/rel/where"

	"blog/moderation"
	"blog/repo"
)

// conversationOrder reads the top-level comments of a page (or a fresh list) by their text, in page order.
func conversationOrder(t testing.TB, body string) string {
	t.Helper()
	var out []string
	doc(t, body).Find("#comment-list > [data-testid=CommentItem]").Each(func(_ int, s *goquery.Selection) {
		out = append(out, strings.TrimSpace(s.Find("[data-testid=CommentBody]").First().Text()))
	})
	return strings.Join(out, " ")
}

func TestCommentOrders(t *testing.T) {
	a := newTestApp(t)
	ids := map[string]int64{}
	for _, body := range []string{"A", "B", "C"} {
		a.postComment(t, a.slug, form("Ann", "ann@example.com", body), true)
		var c repo.Comment
		if err := a.db.Repo().Find(context.Background(), &c, where.Eq("body", body)); err != nil {
			t.Fatal(err)
		}
		ids[body] = c.ID
	}
	a.react(t, a.slug, ids["B"], "like", "", true)
	a.react(t, a.slug, ids["B"], "love", "", true)
	a.react(t, a.slug, ids["C"], "like", "", true)

	get := func(path, cookie string) (*http.Response, string) {
		req := httpReq(http.MethodGet, path, nil)
		if cookie != "" {
			req.AddCookie(&http.Cookie{Name: "order", Value: cookie})
		}
		return a.do(t, req)
	}
	for _, tc := range []struct {
		name, path, cookie  string
		wantOrder, wantMark string
		wantCookie          string
		wantCache           string
	}{
		{"default", "/posts/" + a.slug, "", "A B C", "oldest", "", "public, no-cache"},
		{"newest link", "/posts/" + a.slug + "?order=newest", "", "C B A", "newest", "newest", "public, no-cache"},
		{"top link", "/posts/" + a.slug + "?order=top", "", "B C A", "top", "top", "public, no-cache"},
		{"remembered", "/posts/" + a.slug, "newest", "C B A", "newest", "", "private, no-cache"},
		{"link over cookie", "/posts/" + a.slug + "?order=oldest", "top", "A B C", "oldest", "oldest", "public, no-cache"},
		{"unknown order", "/posts/" + a.slug + "?order=loudest", "", "A B C", "oldest", "", "public, no-cache"},
		{"fresh list", "/posts/" + a.slug + "/comments/fresh?order=top", "", "B C A", "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := get(tc.path, tc.cookie)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if got := conversationOrder(t, body); got != tc.wantOrder {
				t.Fatalf("order %q, want %q", got, tc.wantOrder)
			}
			if tc.wantMark != "" {
				if got, _ := doc(t, body).Find(`[data-testid=CommentOrder] a[aria-current=true]`).Attr("data-order"); got != tc.wantMark {
					t.Fatalf("marked %q, want %q", got, tc.wantMark)
				}
				if got, _ := doc(t, body).Find("#comment-list").Attr("data-order"); got != tc.wantMark {
					t.Fatalf("list's order %q, want %q", got, tc.wantMark)
				}
			}
			var set string
			for _, c := range resp.Cookies() {
				if c.Name == "order" {
					set = c.Value
				}
			}
			if set != tc.wantCookie {
				t.Fatalf("remembered %q, want %q", set, tc.wantCookie)
			}
			if tc.wantCache != "" && resp.Header.Get("Cache-Control") != tc.wantCache {
				t.Fatalf("Cache-Control %q, want %q", resp.Header.Get("Cache-Control"), tc.wantCache)
			}
		})
	}
	// Each order is its own rendering, served again as it is (same ETag) until the post changes.
	r1, _ := get("/posts/"+a.slug+"?order=newest", "")
	r2, _ := get("/posts/"+a.slug+"?order=top", "")
	r3, _ := get("/posts/"+a.slug+"?order=newest", "")
	if e1, e2, e3 := r1.Header.Get("ETag"), r2.Header.Get("ETag"), r3.Header.Get("ETag"); e1 == "" || e1 != e3 || e1 == e2 {
		t.Fatalf("ETags newest %q, top %q, newest again %q", e1, e2, e3)
	}
	// A new conversation lands where each order puts it; a reaction moves one in "top" on the next load.
	a.postComment(t, a.slug, form("Bo", "bo@example.com", "D"), true)
	a.react(t, a.slug, ids["A"], "like", "", true)
	a.react(t, a.slug, ids["A"], "love", "", true)
	a.react(t, a.slug, ids["A"], "hooray", "", true)
	for order, want := range map[string]string{"oldest": "A B C D", "newest": "D C B A", "top": "A B C D"} {
		if _, body := get("/posts/"+a.slug+"?order="+order, ""); conversationOrder(t, body) != want {
			t.Fatalf("%s after changes: %q, want %q", order, conversationOrder(t, body), want)
		}
	}
	// A visitor with comments of their own gets their page in their order too.
	o := a.newClient()
	o.comment(t, "Cy", "cy@example.com", "E")
	resp, body := o.get(t, "/posts/"+a.slug+"?order=newest")
	if resp.StatusCode != http.StatusOK || conversationOrder(t, body) != "E D C B A" {
		t.Fatalf("own page in newest order: %d %q", resp.StatusCode, conversationOrder(t, body))
	}
}

// TestTopRanksTheWholeConversation: on a post with more conversations than a page shows, "top" ranks every one
// of them, not only the newest: an old conversation with reactions leads, the page says what it shows and links
// to every conversation, and a reaction afterwards is ranked at once (the order is kept per change).
func TestTopRanksTheWholeConversation(t *testing.T) {
	a := newTestApp(t)
	ctx := context.Background()
	post := a.postID(t, a.slug)
	var ids []int64
	for i := range 205 {
		c, _, err := a.store.CreateComment(ctx, repo.NewComment{PostID: post, State: repo.StatePublished,
			Input: repo.CommentInput{Username: "Ann", Email: "ann@example.com", Body: "Conversation " + itoa(int64(i))}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	a.settle(t)
	a.react(t, a.slug, ids[1], "like", "", true)
	a.react(t, a.slug, ids[1], "love", "", true)
	a.react(t, a.slug, ids[200], "like", "", true)

	first := func(order string) (string, *goquery.Document) {
		_, body := a.get(t, "/posts/"+a.slug+"?order="+order)
		d := doc(t, body)
		return strings.TrimSpace(d.Find("#comment-list > [data-testid=CommentItem] [data-testid=CommentBody]").First().Text()), d
	}
	got, d := first("top")
	if got != "Conversation 1" {
		t.Fatalf("top starts with %q, want the old conversation with two reactions", got)
	}
	order := strings.Fields(conversationOrderOf(d))
	if len(order) != 2*200 || order[1] != "1" || order[3] != "200" || order[5] != "0" {
		t.Fatalf("top shows %d conversations, starting %v; want 200: 1, 200, then the rest oldest first", len(order)/2, order[:8])
	}
	if d.Find("[data-testid=RankedNote] a").Length() != 1 || d.Find("[data-testid=OlderComments] a").Length() != 0 {
		t.Fatal("top on a long post: no note linking every conversation, or an older link that would mix orders")
	}
	// Oldest first keeps its newest 200 and pages in the rest; the old leader is not on it.
	if got, d := first("oldest"); got != "Conversation 5" || d.Find("[data-testid=OlderComments] a").Length() != 1 {
		t.Fatalf("oldest first starts with %q", got)
	}
	// A reaction now puts another old conversation first, at once.
	for _, kind := range []string{"like", "love", "laugh"} {
		a.react(t, a.slug, ids[3], kind, "", true)
	}
	if got, _ := first("top"); got != "Conversation 3" {
		t.Fatalf("after three reactions to conversation 3, top starts with %q", got)
	}
	// The list a page reloads agrees.
	_, body := a.get(t, "/posts/"+a.slug+"/comments/fresh?order=top")
	if o := strings.Fields(conversationOrder(t, body)); len(o) < 4 || o[1] != "3" || o[3] != "1" {
		t.Fatalf("fresh top list starts %v", o[:4])
	}
	// A reader whose comment waits for review sees the same ranking, with theirs after it.
	a.mod.Mode = moderation.ModeAll
	resp, _ := a.postComment(t, a.slug, form("Bea", "bea@example.com", "Mine, held"), true)
	req := httpReq(http.MethodGet, "/posts/"+a.slug+"?order=top", nil)
	for _, c := range resp.Cookies() {
		req.AddCookie(c)
	}
	_, body = a.do(t, req)
	if o := conversationOrder(t, body); !strings.HasPrefix(o, "Conversation 3 Conversation 1 ") || !strings.HasSuffix(o, " Mine, held") {
		t.Fatalf("the author's own top list: %.60q … %q", o, o[max(0, len(o)-40):])
	}
}

// conversationOrderOf is conversationOrder of a parsed page.
func conversationOrderOf(d *goquery.Document) string {
	var out []string
	d.Find("#comment-list > [data-testid=CommentItem]").Each(func(_ int, s *goquery.Selection) {
		out = append(out, strings.TrimSpace(s.Find("[data-testid=CommentBody]").First().Text()))
	})
	return strings.Join(out, " ")
}
