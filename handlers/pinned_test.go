package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/go-rel/rel"
	"github.com/go-rel/rel/where"

	"blog/database"
	"blog/internal/dbtest"
	"blog/repo"
)

// TestPinningThroughTheConsole pins conversations from the console (as a plain form and with htmx) and checks
// that the post page every reader shares, the list a page reloads and a visitor's own page show them first,
// marked as pinned, in the order they were pinned, the rest in their order after them; a reply cannot be pinned,
// nor more than three per post (422 with the reason, nothing changed); unpinning puts a comment back in its place,
// and each action is in the audit trail. On SQLite and PostgreSQL.
func TestPinningThroughTheConsole(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		a := newTestAppOn(t, db)
		ctx := context.Background()
		var ids []int64
		for _, body := range []string{"First.", "Second.", "Third.", "Fourth.", "Fifth."} {
			if resp, _ := a.newClient().comment(t, "Ann", "ann@example.com", body); resp.StatusCode != http.StatusOK {
				t.Fatalf("comment %q: %d", body, resp.StatusCode)
			}
			found, err := a.store.SearchComments(ctx, repo.Search{Limit: 1})
			if err != nil || len(found) != 1 {
				t.Fatal(err)
			}
			ids = append(ids, found[0].ID)
		}
		reply := form("Bob", "bob@example.com", "A reply to the first.")
		reply.Set("parent", strconvItoa(ids[0]))
		if resp, _ := a.postComment(t, a.slug, reply, false); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("reply: %d", resp.StatusCode)
		}
		replies, _ := a.store.SearchComments(ctx, repo.Search{Limit: 1})
		replyID := replies[0].ID

		order := func(body string) []string {
			var out []string
			doc(t, body).Find(`#comment-list > [data-testid=CommentItem]`).Each(func(_ int, s *goquery.Selection) {
				text := strings.TrimSpace(s.ChildrenFiltered(`[data-part=comment]`).Find(`[data-testid=CommentBody]`).Text())
				if s.Is(`[data-pinned]`) {
					if s.Find(`[data-testid=PinnedBadge]`).Length() != 1 {
						t.Fatalf("pinned %q has no badge", text)
					}
					text = "*" + text
				}
				out = append(out, text)
			})
			return out
		}
		o := a.owner(t)
		act := func(action string, id int64, htmx bool) (*http.Response, string) {
			return o.post(t, "/admin/comments", url.Values{"one": {action + ":" + strconvItoa(id)}, "return": {"/admin"}}, htmx)
		}
		if resp, _ := act("pin", ids[3], false); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("pin: %d, want 303", resp.StatusCode)
		}
		if resp, _ := act("pin", ids[0], true); resp.StatusCode != http.StatusOK {
			t.Fatalf("pin with htmx: %d, want 200", resp.StatusCode)
		}
		want := "*Fourth. *First. Second. Third. Fifth."
		if got := strings.Join(order(a.page(t, "/posts/"+a.slug)), " "); got != want {
			t.Fatalf("page order = %q, want %q", got, want)
		}
		if got := strings.Join(order(a.page(t, "/posts/"+a.slug+"/comments/fresh")), " "); got != want {
			t.Fatalf("reloaded list order = %q, want %q", got, want)
		}
		// A pinned conversation keeps its replies, and takes new ones in place: the kept list is patched, not read
		// again (shown by altering the pinned comment behind the blog's back, which a list read again would show).
		if _, err := db.Repo().UpdateAny(ctx, rel.From("comments").Where(where.Eq("id", ids[0])), rel.Set("html", "<p>Altered.</p>")); err != nil {
			t.Fatal(err)
		}
		later := form("Dee", "dee@example.com", "A later reply.")
		later.Set("parent", strconvItoa(ids[0]))
		if resp, _ := a.postComment(t, a.slug, later, true); resp.StatusCode != http.StatusOK {
			t.Fatalf("reply in a pinned conversation: %d", resp.StatusCode)
		}
		pinnedText := doc(t, a.page(t, "/posts/"+a.slug)).Find(`[data-pinned]`).Text()
		if !strings.Contains(pinnedText, "A reply to the first.") || !strings.Contains(pinnedText, "A later reply.") {
			t.Fatalf("the pinned conversation lost a reply: %q", pinnedText)
		}
		if got := strings.Join(order(a.page(t, "/posts/"+a.slug)), " "); got != want {
			t.Fatalf("page order after a reply = %q, want %q (the pinned list read again rather than patched?)", got, want)
		}
		if _, err := db.Repo().UpdateAny(ctx, rel.From("comments").Where(where.Eq("id", ids[0])), rel.Set("html", "<p>First.</p>")); err != nil {
			t.Fatal(err)
		}
		// A reader with a comment of their own gets the same order.
		mine := a.newClient()
		mine.comment(t, "Cy", "cy@example.com", "Sixth, mine.")
		if got := strings.Join(order(func() string { _, b := mine.get(t, "/posts/"+a.slug); return b }()), " "); got != want+" Sixth, mine." {
			t.Fatalf("own page order = %q", got)
		}

		before := a.countComments(t)
		for _, tc := range []struct {
			id   int64
			want string
		}{{replyID, "only a published comment that starts a conversation"}} {
			resp, body := act("pin", tc.id, true)
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, tc.want) {
				t.Fatalf("pin %d: %d, want 422 with %q", tc.id, resp.StatusCode, tc.want)
			}
		}
		act("pin", ids[1], true)
		resp, body := act("pin", ids[2], true)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "at most 3") {
			t.Fatalf("a fourth pin: %d, want 422 saying at most 3", resp.StatusCode)
		}
		if got := strings.Join(order(a.page(t, "/posts/"+a.slug)), " "); got != "*Fourth. *First. *Second. Third. Fifth. Sixth, mine." {
			t.Fatalf("page order after three pins = %q", got)
		}
		if resp, _ := act("unpin", ids[3], false); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("unpin: %d", resp.StatusCode)
		}
		if got := strings.Join(order(a.page(t, "/posts/"+a.slug)), " "); got != "*First. *Second. Third. Fourth. Fifth. Sixth, mine." {
			t.Fatalf("page order after unpinning = %q", got)
		}
		if a.countComments(t) != before {
			t.Fatal("pinning changed the number of comments")
		}
		console := doc(t, o.page(t, "/admin"))
		if console.Find(`[data-testid=ConsolePinned]`).Length() != 2 {
			t.Fatal("the console does not mark the two pinned comments")
		}
		audit := o.page(t, "/admin/audit")
		if strings.Count(audit, ">pin<")+strings.Count(audit, ">pin ") < 1 || !strings.Contains(audit, "unpin") {
			t.Fatal("the audit trail does not list the pins and the unpin")
		}
	})
}

// TestPinningFromThePostPageWithoutJavaScript: the signed-in owner's post page (never shared, never stored)
// carries a Pin form on each conversation's first comment, posted as a plain form to the console and coming
// back to the comment pinned; readers' pages carry no such form, nor the owner's token; the console's return
// address takes only a path on this site.
func TestPinningFromThePostPageWithoutJavaScript(t *testing.T) {
	a := newTestApp(t)
	if resp, _ := a.newClient().comment(t, "Ann", "ann@example.com", "Pin me."); resp.StatusCode != http.StatusOK {
		t.Fatalf("comment: %d", resp.StatusCode)
	}
	reply := form("Bob", "bob@example.com", "A reply, not pinnable.")
	top := a.commentByBody(t, "Pin me.")
	reply.Set("parent", strconvItoa(top.ID))
	a.postComment(t, a.slug, reply, false)
	a.settle(t)

	o := a.owner(t)
	resp, body := o.get(t, "/posts/"+a.slug)
	if cc := resp.Header.Get("Cache-Control"); cc != "private, no-store" {
		t.Fatalf("the owner's post page is cached as %q", cc)
	}
	forms := doc(t, body).Find(`form[action="/admin/comments"]:has([data-testid=PinButton])`)
	if forms.Length() != 1 {
		t.Fatalf("%d pin forms on the owner's page, want 1 (the reply has none)", forms.Length())
	}
	f := url.Values{}
	forms.Find("input").Each(func(_ int, s *goquery.Selection) {
		n, _ := s.Attr("name")
		v, _ := s.Attr("value")
		f.Set(n, v)
	})
	if f.Get("one") != "pin:"+strconvItoa(top.ID) || f.Get("_csrf") == "" || f.Get("return") != "/posts/"+a.slug+"#comment-"+strconvItoa(top.ID) {
		t.Fatalf("pin form: %v", f)
	}
	// Sent as a browser without JavaScript sends it.
	req := httpReq(http.MethodPost, "/admin/comments", f)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, _ = o.do(t, req)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != f.Get("return") {
		t.Fatalf("pin: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if c, _ := a.store.FindComment(context.Background(), top.ID); !c.Pinned() {
		t.Fatal("the comment is not pinned")
	}
	a.settle(t)
	if unpin := doc(t, o.page(t, "/posts/"+a.slug)).Find(`[data-testid=PinButton][data-pin=unpin]`); unpin.Length() != 1 {
		t.Fatal("the pinned comment offers no Unpin on the owner's page")
	}
	// A reader's page: the pin shows, no control, no token of the owner's.
	reader := a.newClient().page(t, "/posts/"+a.slug)
	if doc(t, reader).Find(`[data-testid=PinButton]`).Length() != 0 || strings.Contains(reader, f.Get("_csrf")) ||
		doc(t, reader).Find(`[data-testid=PinnedBadge]`).Length() != 1 {
		t.Fatalf("a reader's page carries the owner's control (%d) or token (%v), or no pin (%d)", doc(t, reader).Find(`[data-testid=PinButton]`).Length(),
			strings.Contains(reader, f.Get("_csrf")), doc(t, reader).Find(`[data-testid=PinnedBadge]`).Length())
	}
	// The return address is a path on this site or the console.
	for _, back := range []string{"//evil.example/posts/x", "/posts/x?y=1", "https://evil.example/", "/posts/a\\b", "/postsx"} {
		g := url.Values{"one": {"unpin:" + strconvItoa(top.ID)}, "return": {back}, "_csrf": {f.Get("_csrf")}}
		req := httpReq(http.MethodPost, "/admin/comments", g)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		if resp, _ := o.do(t, req); !strings.HasPrefix(resp.Header.Get("Location"), "/admin") {
			t.Errorf("return %q: sent to %q, want the console", back, resp.Header.Get("Location"))
		}
	}
}
