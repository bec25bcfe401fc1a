package main

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"blog/internal/dbtest"
	"blog/internal/mailtest"
	"blog/repo/outbox"
)

// postForm posts the comment form of a post with extra fields, after reading the post page.
func (v *visitor) postForm(t *testing.T, base, slug string, f url.Values) *http.Response {
	t.Helper()
	v.get(t, base+"/posts/"+slug)
	f.Set("_csrf", v.token)
	f.Set("_t", v.stamp)
	resp, err := v.client.PostForm(base+"/posts/"+slug+"/comments", f)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

var commentID = regexp.MustCompile(`#comment-(\d+)$`)
var confirmLink = regexp.MustCompile(`https?://\S+/notify/confirm\?t=\S+`)

// TestMailThroughTheRealProgram runs the program with a real SMTP server: a commenter asks for replies,
// confirms through the page the link opens, gets a reply by mail, and unsubscribes with one click as a mail
// program does; the owner hears of a comment while the relay is down across a restart, once.
func TestMailThroughTheRealProgram(t *testing.T) {
	relay := mailtest.Start(t)
	env := map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t), "SMTP_URL": relay.URL(), "MAIL_FROM": "Field Notes <blog@example.com>",
		"OWNER_EMAIL": "owner@example.com", "OWNER_NOTIFY": "all", "NOTIFY_RETRY": "50ms", "RATE_LIMIT": "off"}
	p := startProc(t, env)
	ada := newVisitor(t)
	resp := ada.postForm(t, p.base, "hello-world", url.Values{"username": {"Ada"}, "email": {"ada@example.com"},
		"body": {"A question, and I would like to hear back."}, "notify": {"1"}})
	m := commentID.FindStringSubmatch(resp.Header.Get("Location"))
	if m == nil {
		t.Fatalf("post: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	adaID := m[1]
	msgs := relay.Wait(2, 10*time.Second) // the owner's "new comment" and Ada's confirmation
	var confirm mailtest.Message
	for _, msg := range msgs {
		if msg.To[0] == "ada@example.com" {
			confirm = msg
		}
	}
	link := confirmLink.FindString(confirm.Text)
	if link == "" {
		t.Fatalf("no confirmation link in:\n%s", confirm.Text)
	}
	// The link opens a page with a button; the button confirms.
	status, page := ada.get(t, link)
	if status != 200 || !strings.Contains(page, `data-testid="NotifyButton"`) {
		t.Fatalf("confirmation page: %d", status)
	}
	u, _ := url.Parse(link)
	resp, err := ada.client.PostForm(link, url.Values{"t": {u.Query().Get("t")}, "_csrf": {ada.token}})
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("confirm: %v %d", err, resp.StatusCode)
	}
	resp.Body.Close()

	grace := newVisitor(t)
	grace.postForm(t, p.base, "hello-world", url.Values{"username": {"Grace"}, "email": {"grace@example.com"},
		"body": {"Here is the answer."}, "parent": {adaID}})
	var reply mailtest.Message
	deadline := time.Now().Add(10 * time.Second)
	for reply.Raw == nil && time.Now().Before(deadline) {
		for _, msg := range relay.Messages() {
			if msg.To[0] == "ada@example.com" && strings.Contains(msg.Subject(), "replied") {
				reply = msg
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if reply.Raw == nil || !strings.Contains(reply.Text, "> Here is the answer.") {
		t.Fatalf("no reply mail to Ada: %+v", relay.Messages())
	}
	unsub := strings.Trim(reply.Header.Get("List-Unsubscribe"), "<>")
	if reply.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" || !strings.HasPrefix(unsub, p.base+"/notify/unsubscribe?t=") {
		t.Fatalf("unsubscribe headers: %v", reply.Header)
	}
	// What a mail program sends for one-click unsubscribe: a POST with that body, no cookies, no token.
	resp, err = http.Post(unsub, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("one-click unsubscribe: %v %d", err, resp.StatusCode)
	}
	resp.Body.Close()
	grace.postForm(t, p.base, "hello-world", url.Values{"username": {"Grace"}, "email": {"grace@example.com"},
		"body": {"A second answer nobody mails."}, "parent": {adaID}})
	// The marker: a later commenter asks for replies. The outbox sends oldest first (the owner's messages go
	// together), so a reply to Ada would have arrived before the marker's confirmation.
	newVisitor(t).postForm(t, p.base, "hello-world", url.Values{"username": {"Linus"}, "email": {"linus@example.com"},
		"body": {"A later comment."}, "notify": {"1"}})
	deadline = time.Now().Add(10 * time.Second)
	for !received(relay.Messages(), "linus@example.com") {
		if time.Now().After(deadline) {
			t.Fatal("the marker's confirmation did not arrive")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, msg := range relay.Messages() {
		if msg.To[0] == "ada@example.com" && strings.Contains(msg.Text, "nobody mails") {
			t.Fatal("a reply was mailed after the one-click unsubscribe")
		}
	}

	// The relay goes down; a comment is posted; the server restarts; the relay comes back: the owner hears once.
	relay.Stop()
	before := len(relay.Messages())
	newVisitor(t).comment(t, p.base, "hello-world", "Zoë", "zoe@example.com", "Posted while the relay was down.")
	deadline = time.Now().Add(10 * time.Second)
	for !strings.Contains(p.logs.String(), "notify: send failed") {
		if time.Now().After(deadline) {
			t.Fatal("no failed attempt logged while the relay was down")
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	if err := <-p.exit; err != nil {
		t.Fatalf("exit: %v", err)
	}
	relay.Restart()
	p = startProc(t, env)
	deadline = time.Now().Add(10 * time.Second)
	count := func() int {
		n := 0
		for _, msg := range relay.Messages()[before:] {
			if strings.Contains(msg.Text, "Posted while the relay was down.") {
				n++
			}
		}
		return n
	}
	// Until nothing waits in the outbox: a message marked sent is never sent again, so the count is final then.
	store := outbox.NewNotifications(dbtest.Open(t, env["DATABASE_URL"], false))
	for {
		pending, _, err := store.OutboxCounts(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if pending == 0 && count() > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the restart: %d messages still waiting, the comment received %d times", pending, count())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := count(); n != 1 {
		t.Fatalf("the owner got the comment %d times across the outage and the restart, want once", n)
	}
}
