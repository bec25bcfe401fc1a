package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"blog/database"
	"blog/internal/dbtest"
)

// TestDeskWritesAReplyPost: the desk's "In reply to" field, through the real router on both databases. An
// address that is not http or https comes back with the form as typed and a message beside the field; a good one
// is kept, shown again in the editor, and the published post's page says what it answers (u-in-reply-to).
func TestDeskWritesAReplyPost(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		a := newTestAppOn(t, db)
		o := a.owner(t)
		p := newDeskPost(t, o)
		resp, out := o.post(t, p+"/publish", deskForm("An answer", "Answering.", "in_reply_to", "javascript:alert(1)"), false)
		page := doc(t, out)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page.Find(`#desk-in_reply_to-error`).Text()+page.Text(), "In reply to is the http or https address") {
			t.Fatalf("a bad address: %d", resp.StatusCode)
		}
		if v, _ := page.Find(`#desk-in_reply_to`).Attr("value"); v != "javascript:alert(1)" {
			t.Fatalf("the field after a refusal holds %q", v)
		}
		const answered = "https://example.social/@ann/1130"
		if resp, out := o.post(t, p+"/publish", deskForm("An answer", "Answering.", "in_reply_to", answered), false); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("publish: %d %s", resp.StatusCode, out)
		}
		if v, _ := doc(t, o.page(t, p+"/edit")).Find(`#desk-in_reply_to`).Attr("value"); v != answered {
			t.Fatalf("the editor shows %q", v)
		}
		reply := doc(t, a.newClient().page(t, "/posts/an-answer")).Find(`[data-testid=InReplyTo] a.u-in-reply-to`)
		if href, _ := reply.Attr("href"); href != answered || reply.Text() != "example.social/@ann/1130" {
			t.Fatalf("the page's In reply to: %q %q", href, reply.Text())
		}
	})
}
