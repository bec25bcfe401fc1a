package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-rel/rel"

	"blog/internal/dbtest"
	"blog/internal/mailtest"
	"blog/notify"
	"blog/repo/outbox"
)

// postFrom posts the comment form of hello-world as a client at ip (behind the trusted proxy on loopback),
// after reading the post page, and returns the new comment's id.
func (v *visitor) postFrom(t *testing.T, base, ip string, f url.Values) string {
	t.Helper()
	v.get(t, base+"/posts/hello-world")
	f.Set("_csrf", v.token)
	f.Set("_t", v.stamp)
	req, _ := http.NewRequest(http.MethodPost, base+"/posts/hello-world/comments", strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", ip)
	resp, err := v.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	m := commentID.FindStringSubmatch(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || m == nil {
		t.Fatalf("post as %s: %d %s", f.Get("email"), resp.StatusCode, resp.Header.Get("Location"))
	}
	return m[1]
}

// received reports whether a message reached addr.
func received(msgs []mailtest.Message, addr string) bool {
	for _, m := range msgs {
		if m.To[0] == addr {
			return true
		}
	}
	return false
}

var resubscribeToken = regexp.MustCompile(`<form method="post" action="/notify/confirm"[^>]*><input type="hidden" name="t" value="([^"]+)"`)

// TestMailBoundsThroughTheRealProgram runs the program with a real SMTP server: thirty spellings of one
// mailbox typed into the comment form get it one confirmation; one client naming many mailboxes gets its
// bound; after a one-click unsubscribe, a stranger typing the address gets it nothing; the unsubscribe page's
// button brings it back. Each "nothing more" is shown by a later mail to another address arriving first.
func TestMailBoundsThroughTheRealProgram(t *testing.T) {
	relay := mailtest.Start(t)
	dbURL := dbtest.SQLiteURL(t)
	p := startProc(t, map[string]string{"DATABASE_URL": dbURL, "SMTP_URL": relay.URL(),
		"MAIL_FROM": "Field Notes <blog@example.com>", "RATE_LIMIT": "off", "TRUSTED_PROXIES": "127.0.0.1", "NOTIFY_RETRY": "50ms"})
	v := newVisitor(t)
	ask := func(ip, email string) string {
		return v.postFrom(t, p.base, ip, url.Values{"username": {"Someone"}, "email": {email},
			"body": {"A comment by " + email}, "notify": {"1"}})
	}
	markers := 0
	// marker asks for a confirmation from a client of its own and waits for it: the outbox sends oldest first.
	marker := func() []mailtest.Message {
		markers++
		addr := fmt.Sprintf("marker%d@marker.example", markers)
		ask(fmt.Sprintf("198.51.%d.1", 100+markers), addr)
		deadline := time.Now().Add(20 * time.Second)
		for !received(relay.Messages(), addr) {
			if time.Now().After(deadline) {
				t.Fatalf("the marker mail to %s did not arrive", addr)
			}
			time.Sleep(20 * time.Millisecond)
		}
		return relay.Messages()
	}
	victim := func(msgs []mailtest.Message) []mailtest.Message {
		var out []mailtest.Message
		for _, m := range msgs {
			if outbox.Mailbox(m.To[0]) == "victim@example.com" {
				out = append(out, m)
			}
		}
		return out
	}

	var first string
	for i := 1; i <= 30; i++ {
		spelling := []string{"Victim+%d@Example.COM", "victim+%d@example.com", "VICTIM+%d@EXAMPLE.COM"}[i%3]
		id := ask(fmt.Sprintf("192.0.2.%d", i), fmt.Sprintf(spelling, i))
		if first == "" {
			first = id
		}
	}
	got := victim(marker())
	if len(got) != 1 {
		t.Fatalf("thirty spellings of one mailbox: %d confirmations reached it, want 1", len(got))
	}

	for i := 1; i <= 12; i++ {
		ask("203.0.113.7", fmt.Sprintf("reader%d@example.net", i))
	}
	readers := 0
	for _, m := range marker() {
		if strings.HasSuffix(m.To[0], "@example.net") {
			readers++
		}
	}
	if readers != notify.ConfirmsPerAddress {
		t.Fatalf("one client naming twelve mailboxes caused %d confirmations, want %d", readers, notify.ConfirmsPerAddress)
	}

	// The victim says never, with one click from their mail program; then a stranger types their address.
	unsub := strings.Trim(got[0].Header.Get("List-Unsubscribe"), "<>")
	resp, err := http.Post(unsub, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("one-click unsubscribe: %v", err)
	}
	resp.Body.Close()
	// A day passes, so that the daily bound would allow a confirmation again: only "never" stops it.
	db := dbtest.Open(t, dbURL, false)
	if _, err := db.Repo().UpdateAny(context.Background(), rel.From("outbox"), rel.Set("created_at", time.Now().Add(-48*time.Hour).UTC())); err != nil {
		t.Fatal(err)
	}
	ask("192.0.2.200", "Victim+later@example.com")
	if n := len(victim(marker())); n != 1 {
		t.Fatalf("after the unsubscribe, %d messages reached the mailbox, want still 1", n)
	}

	// The way back: the unsubscribe link's page, and its button.
	status, page := v.get(t, unsub)
	m := resubscribeToken.FindStringSubmatch(page)
	if status != http.StatusOK || m == nil || !strings.Contains(page, `data-testid="ResubscribeButton"`) {
		t.Fatalf("the unsubscribe page of an unsubscribed mailbox: %d, no resubscribe button", status)
	}
	resp, err = v.client.PostForm(p.base+"/notify/confirm", url.Values{"t": {m[1]}})
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("resubscribe: %v", err)
	}
	resp.Body.Close()
	v.postFrom(t, p.base, "198.51.100.200", url.Values{"username": {"Grace"}, "email": {"grace@example.org"},
		"body": {"An answer after the way back."}, "parent": {first}})
	deadline := time.Now().Add(20 * time.Second)
	for {
		if got := victim(relay.Messages()); len(got) == 2 && strings.Contains(got[1].Text, "An answer after the way back.") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no reply mail after resubscribing: %d messages to the mailbox", len(victim(relay.Messages())))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
