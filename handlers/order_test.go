package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/go-rel/rel/where"

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
