package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"blog/notify"
	"blog/repo/outbox"
)

// TestUnsubscribeOffersTheWayBack: unsubscribing through one spelling of an address silences the mailbox; its
// unsubscribe page then offers a button (same-site only) that confirms the mailbox again, with a token that
// works for an hour; a mailbox that gets email is offered no such button.
func TestUnsubscribeOffersTheWayBack(t *testing.T) {
	base := newTestApp(t)
	a := newTestAppOn(t, base.db, withMail(base.db))
	subs := outbox.NewNotifications(a.db)
	ctx := context.Background()
	tk := notify.Tokens{Key: notifyKey}
	state := func() outbox.Subscriber {
		s, _, err := subs.Subscriber(ctx, "Ada@example.com")
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if err := subs.Confirm(ctx, "ada@example.com"); err != nil {
		t.Fatal(err)
	}
	unsub := "/notify/unsubscribe?t=" + url.QueryEscape(tk.Make(notify.PurposeUnsubscribe, "ada+news@example.com", time.Time{}))

	c := a.newClient()
	page := doc(t, c.page(t, unsub))
	if page.Find(`[data-testid="NotifyButton"]`).Length() != 1 || page.Find(`[data-testid="ResubscribeButton"]`).Length() != 0 {
		t.Fatal("the unsubscribe page of a confirmed mailbox should offer to stop, not to come back")
	}

	// One click, as a mail program sends it.
	resp, body := a.do(t, httpReq(http.MethodPost, unsub, url.Values{"List-Unsubscribe": {"One-Click"}}))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "no more email") || !state().Unsubscribed() {
		t.Fatalf("one-click unsubscribe of a +tag: %d, the mailbox unsubscribed: %v", resp.StatusCode, state().Unsubscribed())
	}
	if !strings.Contains(doc(t, body).Text(), "not even a confirmation") {
		t.Fatal("the page does not say that no confirmation will come either")
	}

	// Later, the same link: the page says so and offers the way back.
	page = doc(t, c.page(t, unsub))
	button := page.Find(`[data-testid="ResubscribeButton"]`)
	form := button.Closest("form")
	token, _ := form.Find(`input[name="t"]`).Attr("value")
	if action, _ := form.Attr("action"); button.Length() != 1 || action != "/notify/confirm" || token == "" ||
		page.Find(`[data-testid="NotifyButton"]`).Length() != 0 || !strings.Contains(page.Text(), "gets no email") {
		t.Fatalf("the page of an unsubscribed mailbox: button %d, action %q", button.Length(), action)
	}
	if e, err := tk.Check(notify.PurposeConfirm, token, time.Now()); err != nil || e != "ada+news@example.com" {
		t.Fatalf("the button's token: %q %v", e, err)
	}
	if _, err := tk.Check(notify.PurposeConfirm, token, time.Now().Add(2*time.Hour)); err == nil {
		t.Fatal("the button's token works after two hours")
	}

	// Another site cannot press it for them.
	crossSite := httpReq(http.MethodPost, "/notify/confirm", url.Values{"t": {token}})
	crossSite.Header.Set("Sec-Fetch-Site", "cross-site")
	if resp, _ := a.do(t, crossSite); resp.StatusCode != http.StatusForbidden || !state().Unsubscribed() {
		t.Fatalf("a cross-site resubscribe: %d", resp.StatusCode)
	}
	resp, body = c.post(t, "/notify/confirm", url.Values{"t": {token}}, false)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Done:") || !state().Active() {
		t.Fatalf("resubscribe: %d, active %v", resp.StatusCode, state().Active())
	}
}
