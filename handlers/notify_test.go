package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"blog/database"
	"blog/handlers"
	"blog/notify"
	"blog/repo"
	"blog/repo/outbox"
)

var notifyKey = []byte("notify key notify key notify key")

func withMail(db *database.DB) appOption {
	return func(c *handlers.Config) {
		c.MailReplies = true
		c.Subscriptions = outbox.NewNotifications(db)
		c.Keys.Notify = notifyKey
	}
}

func TestReplyNotificationBox(t *testing.T) {
	a := newTestApp(t)
	if strings.Contains(a.page(t, "/posts/"+a.slug), `name="notify"`) {
		t.Fatal("the box is offered without mail configured")
	}
	c := a.newClient()
	f := form("Ada", "ada@example.com", "Not offered, so not stored.")
	c.get(t, "/posts/"+a.slug)
	f.Set("_t", c.stamp)
	f.Set("notify", "1")
	c.post(t, "/posts/"+a.slug+"/comments", f, true)
	if a.commentByBody(t, "Not offered, so not stored.").Notify {
		t.Fatal("notify stored although the box was not offered")
	}

	db := a.db
	m := newTestAppOn(t, db, withMail(db))
	page := doc(t, m.page(t, "/posts/"+m.slug))
	box := page.Find(`#comment-form input[type="checkbox"][name="notify"]#comment-notify`)
	if box.Length() != 1 || page.Find(`label[for="comment-notify"]`).Length() != 1 || box.Is("[checked]") {
		t.Fatal("the box is not offered (unchecked, labelled) with mail configured")
	}
	c = m.newClient()
	c.get(t, "/posts/"+m.slug)
	for _, tt := range []struct {
		body   string
		notify bool
	}{{"Yes, tell me.", true}, {"No, thanks.", false}} {
		f := form("Grace", "grace@example.com", tt.body)
		f.Set("_t", c.stamp)
		if tt.notify {
			f.Set("notify", "1")
		}
		resp, body := c.post(t, "/posts/"+m.slug+"/comments", f, true)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("post: %d", resp.StatusCode)
		}
		if got := m.commentByBody(t, tt.body).Notify; got != tt.notify {
			t.Fatalf("%q: notify %v, want %v", tt.body, got, tt.notify)
		}
		// The form that comes back keeps the choice.
		if checked := doc(t, body).Find(`#comment-notify[checked]`).Length() == 1; checked != tt.notify {
			t.Fatalf("%q: the returned form's box is checked=%v", tt.body, checked)
		}
	}
	// An invalid post keeps the box as it was.
	f = form("Grace", "not an address", "Kept.")
	f.Set("_t", c.stamp)
	f.Set("notify", "1")
	resp, body := c.post(t, "/posts/"+m.slug+"/comments", f, true)
	if resp.StatusCode != http.StatusUnprocessableEntity || doc(t, body).Find(`#comment-notify[checked]`).Length() != 1 {
		t.Fatalf("invalid post: %d, box kept %v", resp.StatusCode, doc(t, body).Find(`#comment-notify[checked]`).Length())
	}
}

func TestConfirmAndUnsubscribeLinks(t *testing.T) {
	base := newTestApp(t)
	a := newTestAppOn(t, base.db, withMail(base.db))
	subs := outbox.NewNotifications(a.db)
	ctx := context.Background()
	tk := notify.Tokens{Key: notifyKey}
	confirm := url.QueryEscape(tk.Make(notify.PurposeConfirm, "ada@example.com", time.Now().Add(time.Hour)))
	unsub := url.QueryEscape(tk.Make(notify.PurposeUnsubscribe, "ada@example.com", time.Time{}))
	active := func() bool {
		s, _, err := subs.Subscriber(ctx, "ada@example.com")
		if err != nil {
			t.Fatal(err)
		}
		return s.Active()
	}

	// Opening the link (as a mail scanner does) changes nothing: the page asks.
	c := a.newClient()
	page := doc(t, c.page(t, "/notify/confirm?t="+confirm))
	if page.Find(`[data-testid="NotifyButton"]`).Length() != 1 || !strings.Contains(page.Text(), "ada@example.com") || active() {
		t.Fatal("the confirmation link acted by itself, or its page has no button")
	}
	crossSite := httpReq(http.MethodPost, "/notify/confirm?t="+confirm, url.Values{})
	crossSite.Header.Set("Sec-Fetch-Site", "cross-site")
	if resp, _ := a.do(t, crossSite); resp.StatusCode != http.StatusForbidden || active() {
		t.Fatalf("a cross-site confirmation: %d", resp.StatusCode)
	}
	resp, body := c.post(t, "/notify/confirm?t="+confirm, url.Values{"t": {tk.Make(notify.PurposeConfirm, "ada@example.com", time.Now().Add(time.Hour))}}, false)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Done:") || !active() {
		t.Fatalf("confirm: %d, active %v", resp.StatusCode, active())
	}
	// Bad links: a clear refusal, nothing changed.
	for _, path := range []string{"/notify/confirm?t=" + unsub, "/notify/confirm?t=" + confirm[:20], "/notify/confirm",
		"/notify/unsubscribe?t=" + confirm, "/notify/unsubscribe?t=x.y.z"} {
		resp, body := c.get(t, path)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "This link is not valid") {
			t.Errorf("GET %s: %d", path, resp.StatusCode)
		}
	}
	if !active() {
		t.Fatal("a bad link changed the subscription")
	}
	// The unsubscribe page asks too; the one-click POST that mail programs send (RFC 8058) needs no form token.
	doc(t, c.page(t, "/notify/unsubscribe?t="+unsub))
	if !active() {
		t.Fatal("opening the unsubscribe link acted by itself")
	}
	req := httpReq(http.MethodPost, "/notify/unsubscribe?t="+unsub, url.Values{"List-Unsubscribe": {"One-Click"}})
	if resp, body := a.do(t, req); resp.StatusCode != http.StatusOK || !strings.Contains(body, "no more email") || active() {
		t.Fatalf("one-click unsubscribe: %d, active %v", resp.StatusCode, active())
	}
}

// TestConsoleShowsOneComment: the link in the owner's mail opens the console on that comment alone, with its
// buttons; opening it changes nothing.
func TestConsoleShowsOneComment(t *testing.T) {
	a := newTestApp(t)
	v := a.newClient()
	v.comment(t, "Ada", "ada@example.com", "The first comment.")
	v.comment(t, "Grace", "grace@example.com", "The one in the mail.")
	c := a.commentByBody(t, "The one in the mail.")
	o := a.owner(t)
	page := doc(t, o.page(t, "/admin?id="+itoa(c.ID)))
	items := page.Find(`[data-testid="ConsoleComment"]`)
	if items.Length() != 1 || !strings.Contains(items.Text(), "The one in the mail.") || page.Find(`[data-testid="ConsoleOne"]`).Length() != 1 {
		t.Fatalf("console on one comment: %d comments", items.Length())
	}
	if got := a.commentByBody(t, "The one in the mail."); got.State != repo.StatePublished {
		t.Fatal("opening the console link changed the comment")
	}
	if resp, _ := a.newClient().get(t, "/admin?id="+itoa(c.ID)); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the link without a session: %d, want a redirect to sign in", resp.StatusCode)
	}
}
