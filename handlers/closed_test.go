package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"blog/database"
	"blog/internal/dbtest"
	"blog/repo"
)

// TestClosingAPostThroughTheConsole closes a post from the console's posts page and checks every path that adds
// a reader's comment (a plain form, htmx, a reply) is refused with 403 and a sentence, nothing stored, while the
// comments stay shown and the form gives way to "Comments are closed"; the owner may still answer from the
// console; opening it again brings the form back and takes comments. On SQLite and PostgreSQL.
func TestClosingAPostThroughTheConsole(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		a := newTestAppOn(t, db)
		reader := a.newClient()
		if resp, body := reader.comment(t, "Ann", "ann@example.com", "Before closing."); resp.StatusCode != http.StatusOK {
			t.Fatalf("comment while open: %d %s", resp.StatusCode, body)
		}
		var first repo.Comment
		found, err := a.store.SearchComments(context.Background(), repo.Search{Limit: 1})
		if err != nil || len(found) != 1 {
			t.Fatalf("find the comment: %v %v", found, err)
		}
		first = found[0]
		if d := doc(t, a.page(t, "/posts/"+a.slug)); d.Find(`[data-testid=CommentsClosed]`).Length() != 0 || d.Find(`#comment-form`).Length() != 1 {
			t.Fatal("an open post shows the closed notice, or no form")
		}

		o := a.owner(t)
		page := o.page(t, "/admin/posts")
		row := doc(t, page).Find(`[data-testid=PostRow][data-slug="` + a.slug + `"]`)
		if row.Find(`[data-testid=CloseComments]`).Length() != 1 {
			t.Fatalf("the posts page offers no Close button for %s", a.slug)
		}
		resp, _ := o.post(t, "/admin/posts/"+a.slug+"/comments", url.Values{"comments": {"closed"}}, false)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("close: status %d, want 303", resp.StatusCode)
		}
		notice := doc(t, o.page(t, resp.Header.Get("Location"))).Find(`[data-testid=Notice]`).Text()
		if !strings.Contains(notice, "are closed") {
			t.Fatalf("notice after closing = %q", notice)
		}

		// The page every reader shares, at once: the comment stays, the notice replaces the form.
		d := doc(t, a.page(t, "/posts/"+a.slug))
		if d.Find(`[data-testid=CommentsClosed]`).Text() != "Comments are closed." {
			t.Fatal("a closed post does not say comments are closed")
		}
		if !strings.Contains(d.Find(`[data-testid=CommentBody]`).Text(), "Before closing.") {
			t.Fatal("a closed post no longer shows its comments")
		}

		// The list a page reloads after falling behind says so too, so a page that missed the change catches up.
		if doc(t, a.page(t, "/posts/"+a.slug+"/comments/fresh")).Find(`[data-testid=CommentsClosed]`).Length() != 1 {
			t.Fatal("the reloaded list of a closed post does not say it is closed")
		}

		before := a.countComments(t)
		reply := form("Bob", "bob@example.com", "A reply.")
		reply.Set("parent", strconvItoa(first.ID))
		for _, tc := range []struct {
			name string
			form url.Values
			htmx bool
		}{
			{"plain form", form("Bob", "bob@example.com", "After closing."), false},
			{"htmx", form("Bob", "bob@example.com", "After closing."), true},
			{"reply", reply, true},
			{"invalid input", form("", "nope", ""), false},
		} {
			resp, body := a.postComment(t, a.slug, tc.form, tc.htmx)
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "Comments on this post are closed") {
				t.Fatalf("%s on a closed post: status %d, want 403 with the sentence; body %.300s", tc.name, resp.StatusCode, body)
			}
		}
		if got := a.countComments(t); got != before {
			t.Fatalf("comments = %d after refused posts, want %d", got, before)
		}

		// The owner may still answer, from the console.
		resp, _ = o.post(t, "/admin/comments/"+strconvItoa(first.ID)+"/reply", url.Values{"body": {"Thanks, all."}}, false)
		if resp.StatusCode != http.StatusSeeOther || a.countComments(t) != before+1 {
			t.Fatalf("the owner's reply on a closed post: status %d, comments %d; want 303 and one more", resp.StatusCode, a.countComments(t))
		}

		resp, _ = o.post(t, "/admin/posts/"+a.slug+"/comments", url.Values{"comments": {"open"}}, false)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("open: status %d, want 303", resp.StatusCode)
		}
		if doc(t, a.page(t, "/posts/"+a.slug)).Find(`[data-testid=CommentsClosed]`).Length() != 0 {
			t.Fatal("the post still says closed after opening")
		}
		if resp, body := a.postComment(t, a.slug, form("Bob", "bob@example.com", "After opening."), false); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("comment after opening: %d %.200s", resp.StatusCode, body)
		}
		audit := o.page(t, "/admin/audit")
		if !strings.Contains(audit, "comments-closed") || !strings.Contains(audit, "comments-open") {
			t.Fatal("the audit trail does not list the closing and the opening")
		}
		if resp, _ := o.post(t, "/admin/posts/no-such-post/comments", url.Values{"comments": {"closed"}}, false); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("closing a post that does not exist: %d, want 404", resp.StatusCode)
		}
		if resp, _ := o.post(t, "/admin/posts/"+a.slug+"/comments", url.Values{"comments": {"sideways"}}, false); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("a made-up choice: %d, want 422", resp.StatusCode)
		}
	})
}
