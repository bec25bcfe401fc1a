package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"blog/desk"
	"blog/internal/dbtest"
	"blog/internal/mailtest"
	"blog/repo/subscribers"
	"blog/repo/writing"
)

var letterConfirmLink = regexp.MustCompile(`https?://\S+/newsletter/confirm\?t=\S+`)

// writePost adds a post file dated today to a content folder.
func writePost(t *testing.T, dir, slug, title, body string) {
	t.Helper()
	day := time.Now().UTC().Format("2006-01-02")
	text := "---\ntitle: " + title + "\ndate: " + day + "\nsummary: The summary of " + title + ".\n---\n\n" + body + "\n"
	if err := os.WriteFile(filepath.Join(dir, "posts", day+"-"+slug+".md"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// mailsTo returns the messages to an address whose subject contains a text.
func mailsTo(relay *mailtest.Server, to, subject string) []mailtest.Message {
	var out []mailtest.Message
	for _, m := range relay.Messages() {
		if len(m.To) > 0 && m.To[0] == to && strings.Contains(m.Subject(), subject) {
			out = append(out, m)
		}
	}
	return out
}

// waitLetter waits (10 s at most) for n messages to an address with a subject.
func waitLetter(t *testing.T, relay *mailtest.Server, to, subject string, n int) []mailtest.Message {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if ms := mailsTo(relay, to, subject); len(ms) >= n {
			return ms
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %d mail(s) %q to %s; the relay has %d message(s)", n, subject, to, len(relay.Messages()))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestNewsletterThroughTheRealProgram: a reader subscribes with the box, confirms through the page the mailed
// link opens, and gets each new post once, by a real SMTP server, with plain text and HTML parts, absolute
// addresses and a one-click unsubscribe; an edit mails nothing, the posts from before mail nothing, and after
// the one-click unsubscribe nothing more comes.
func TestNewsletterThroughTheRealProgram(t *testing.T) {
	t.Parallel()
	relay := mailtest.Start(t)
	dir := copyContent(t)
	env := map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t), "CONTENT_DIR": dir, "SMTP_URL": relay.URL(),
		"MAIL_FROM": "Field Notes <blog@example.com>", "MAIL_PER_MINUTE": "60000", "BASE_URL": "http://blog.example"}
	base, _ := startServer(t, env)

	ada := newVisitor(t)
	status, home := ada.get(t, base+"/")
	if status != 200 || !strings.Contains(home, `data-testid="SubscribeBox"`) {
		t.Fatalf("home page: %d, subscribe box shown: %v", status, strings.Contains(home, "SubscribeBox"))
	}
	if _, post := ada.get(t, base+"/posts/hello-world"); !strings.Contains(post, `data-testid="SubscribeBox"`) {
		t.Fatal("no subscribe box under a post")
	}
	for _, tc := range []struct {
		name, email string
		want        int
		text        string
	}{
		{"not an address", "ada", 422, "Please enter an email address"},
		{"empty", "", 422, "Please enter an email address"},
		{"an address", "Ada@Example.com", 200, "a link is on its way there"},
	} {
		resp, err := http.PostForm(base+"/newsletter", url.Values{"email": {tc.email}})
		if err != nil {
			t.Fatal(err)
		}
		b := readAll(resp)
		if resp.StatusCode != tc.want || !strings.Contains(b, tc.text) {
			t.Fatalf("%s: %d, want %d with %q", tc.name, resp.StatusCode, tc.want, tc.text)
		}
	}
	confirm := waitLetter(t, relay, "ada@example.com", "Confirm", 1)[0]
	link := letterConfirmLink.FindString(confirm.Text)
	if link == "" || confirm.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Fatalf("confirmation mail:\n%s\n%v", confirm.Text, confirm.Header)
	}
	link = strings.Replace(link, "http://blog.example", base, 1)
	// The link opens a page with a button; only the button confirms.
	if status, page := ada.get(t, link); status != 200 || !strings.Contains(page, `data-testid="NewsletterButton"`) {
		t.Fatalf("confirmation page: %d", status)
	}
	if status, page := ada.get(t, link); status != 200 || strings.Contains(page, "NewsletterDone") {
		t.Fatalf("opening the link twice confirmed: %d", status)
	}
	u, _ := url.Parse(link)
	resp, err := http.PostForm(base+"/newsletter/confirm", url.Values{"t": {u.Query().Get("t")}})
	if b := readAll(resp); err != nil || resp.StatusCode != 200 || !strings.Contains(b, "NewsletterDone") {
		t.Fatalf("confirm: %v %d", err, resp.StatusCode)
	}
	// A second subscriber, the marker: mail arrives for it after Ada's.
	grace := "grace@example.com"
	http.PostForm(base+"/newsletter", url.Values{"email": {grace}})
	gl := letterConfirmLink.FindString(waitLetter(t, relay, grace, "Confirm", 1)[0].Text)
	gu, _ := url.Parse(gl)
	resp, _ = http.PostForm(base+"/newsletter/confirm", url.Values{"t": {gu.Query().Get("t")}})
	readAll(resp)
	// Asking again in another spelling sends nothing (the mailbox is subscribed; the bound is one a day anyway).
	resp, _ = http.PostForm(base+"/newsletter", url.Values{"email": {"ada+again@example.com"}})
	readAll(resp)

	writePost(t, dir, "by-mail", "Sent by mail", "A paragraph with a [link](/about).\n\n![A diagram](/media/diagram.svg)\n\n```go\nfunc main() {\n\tprintln(\"hi\")\n}\n```")
	letter := waitLetter(t, relay, "ada@example.com", "Sent by mail", 1)[0]
	for _, want := range []string{`src="http://blog.example/media/diagram.svg"`, `href="http://blog.example/about"`, `<pre style="background: #f6f8fa`, "println"} {
		if !strings.Contains(letter.HTML, want) {
			t.Errorf("the HTML part lacks %s:\n%s", want, letter.HTML)
		}
	}
	for _, want := range []string{"Sent by mail", "func main() {", "http://blog.example/posts/by-mail", "Unsubscribe: http://blog.example/newsletter/unsubscribe?t="} {
		if !strings.Contains(letter.Text, want) {
			t.Errorf("the text part lacks %s:\n%s", want, letter.Text)
		}
	}
	unsub := strings.Trim(letter.Header.Get("List-Unsubscribe"), "<>")
	if letter.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" || !strings.Contains(unsub, "/newsletter/unsubscribe?t=") {
		t.Fatalf("unsubscribe headers: %v", letter.Header)
	}
	waitLetter(t, relay, grace, "Sent by mail", 1)

	// An edit mails nothing; a new post after it is the marker.
	writePost(t, dir, "by-mail", "Sent by mail", "Edited.")
	writePost(t, dir, "second", "The second post", "Second.")
	waitLetter(t, relay, grace, "The second post", 1)
	waitLetter(t, relay, "ada@example.com", "The second post", 1)
	if n := len(mailsTo(relay, "ada@example.com", "Sent by mail")); n != 1 {
		t.Fatalf("the first post was mailed %d times", n)
	}
	for _, m := range relay.Messages() {
		if strings.Contains(m.Subject(), "Hello, world") {
			t.Fatal("a post from before the feature started was mailed")
		}
	}

	// One-click unsubscribe, as a mail program sends it: no cookie, no token, that body.
	resp, err = http.Post(strings.Replace(unsub, "http://blog.example", base, 1), "application/x-www-form-urlencoded",
		strings.NewReader("List-Unsubscribe=One-Click"))
	if b := readAll(resp); err != nil || resp.StatusCode != 200 || !strings.Contains(b, "NewsletterDone") {
		t.Fatalf("one-click unsubscribe: %v %d", err, resp.StatusCode)
	}
	writePost(t, dir, "third", "The third post", "Third.")
	waitLetter(t, relay, grace, "The third post", 1)
	if len(mailsTo(relay, "ada@example.com", "The third post")) != 0 {
		t.Fatal("a post was mailed after the one-click unsubscribe")
	}
	// A changed token is refused with a plain sentence.
	resp, _ = http.Get(base + "/newsletter/unsubscribe?t=" + url.QueryEscape(u.Query().Get("t")+"x"))
	if b := readAll(resp); resp.StatusCode != 400 || !strings.Contains(b, "This link is not valid") {
		t.Fatalf("changed token: %d", resp.StatusCode)
	}
}

// TestNewsletterTwoInstancesMailOnce runs two instances on one PostgreSQL database, watching one content folder:
// a new post reaches every subscriber exactly once, whichever instance sees it first.
func TestNewsletterTwoInstancesMailOnce(t *testing.T) {
	t.Parallel()
	dbURL := dbtest.PostgresURL(t)
	relay := mailtest.Start(t)
	dir := copyContent(t)
	env := func() map[string]string {
		return map[string]string{"DATABASE_URL": dbURL, "CONTENT_DIR": dir, "SMTP_URL": relay.URL(),
			"MAIL_FROM": "blog@example.com", "MAIL_PER_MINUTE": "60000"}
	}
	startServer(t, env())
	startServer(t, env())
	db := dbtest.Open(t, dbURL, false)
	now := time.Now().UTC().Add(-time.Minute)
	var subs []subscribers.Subscriber
	for _, name := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		subs = append(subs, subscribers.Subscriber{Email: name + "@example.com", Source: "test", ConfirmedAt: &now, CreatedAt: now})
	}
	if _, _, err := subscribers.New(db).Import(context.Background(), subs); err != nil {
		t.Fatal(err)
	}
	writePost(t, dir, "twice", "Seen by two", "Both instances see this file.")
	for _, s := range subs {
		waitLetter(t, relay, s.Email, "Seen by two", 1)
	}
	writePost(t, dir, "marker", "The marker", "After.")
	for _, s := range subs {
		waitLetter(t, relay, s.Email, "The marker", 1)
	}
	for _, s := range subs {
		if n := len(mailsTo(relay, s.Email, "Seen by two")); n != 1 {
			t.Fatalf("%s got the post %d times", s.Email, n)
		}
	}
}

func readAll(resp *http.Response) string {
	if resp == nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestNewsletterDeskPosts: a post published in the desk is mailed at once, a scheduled one at its time (not
// before), each once, while the server runs; the desk writes through its own database handle, as another
// instance or the command line would.
func TestNewsletterDeskPosts(t *testing.T) {
	t.Parallel()
	relay := mailtest.Start(t)
	dbURL := dbtest.SQLiteURL(t)
	env := map[string]string{"DATABASE_URL": dbURL, "SMTP_URL": relay.URL(), "MAIL_FROM": "blog@example.com", "MAIL_PER_MINUTE": "60000"}
	startServer(t, env)
	ctx := context.Background()
	db := dbtest.Open(t, dbURL, false)
	now := time.Now().UTC().Add(-time.Minute)
	if _, _, err := subscribers.New(db).Import(ctx, []subscribers.Subscriber{{Email: "ada@example.com", Source: "test", ConfirmedAt: &now, CreatedAt: now}}); err != nil {
		t.Fatal(err)
	}
	d := &desk.Service{Store: writing.New(db)}
	publish := func(title string, at *time.Time) {
		t.Helper()
		w, errs, err := d.Create(ctx, desk.Input{Title: title, Body: "Written in the desk.\n"})
		if err != nil {
			t.Fatalf("create: %v %v", errs, err)
		}
		if _, errs, err := d.Publish(ctx, w.ID, at); err != nil {
			t.Fatalf("publish: %v %v", errs, err)
		}
	}
	publish("Published now", nil)
	waitLetter(t, relay, "ada@example.com", "Published now", 1)
	at := time.Now().Add(3 * time.Second).Truncate(time.Second)
	publish("Scheduled", &at)
	m := waitLetter(t, relay, "ada@example.com", "Scheduled", 1)
	if arrived := time.Now(); arrived.Before(at) {
		t.Fatalf("the scheduled post was mailed at %s, before its time %s", arrived.Format(time.RFC3339Nano), at)
	}
	if !strings.Contains(m[0].Text, "Written in the desk.") {
		t.Fatalf("mail:\n%s", m[0].Text)
	}
	publish("Marker", nil)
	waitLetter(t, relay, "ada@example.com", "Marker", 1)
	if n := len(mailsTo(relay, "ada@example.com", "Published now")) + len(mailsTo(relay, "ada@example.com", "Scheduled")); n != 2 {
		t.Fatalf("%d mails for two posts", n)
	}
}
