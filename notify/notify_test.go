package notify_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"blog/database"
	"blog/internal/dbtest"
	"blog/internal/mailtest"
	"blog/notify"
	"blog/notify/mailrelay"
	"blog/repo"
	"blog/repo/discussion"
	"blog/repo/outbox"
	"blog/repo/posts"
	"blog/repo/review"
	"blog/repo/transfer"
)

const owner = "owner@example.com"

type fixture struct {
	db       *database.DB
	comments *review.Comments
	store    *outbox.Notifications
	post     int64
	relay    *mailtest.Server
	svc      *notify.Service
}

func newFixture(t *testing.T, db *database.DB, change func(*notify.Config)) *fixture {
	t.Helper()
	ids, err := posts.NewPosts(db).SyncPosts(context.Background(), []posts.PostRef{{Slug: "hello-world", Title: "Hello, world"}})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db, comments: review.NewComments(db), store: outbox.NewNotifications(db), post: ids["hello-world"],
		relay: mailtest.Start(t)}
	f.svc = f.service(t, db, change)
	return f
}

func (f *fixture) service(t *testing.T, db *database.DB, change func(*notify.Config)) *notify.Service {
	smtp, err := mailrelay.ParseSMTPURL(f.relay.URL())
	if err != nil {
		t.Fatal(err)
	}
	cfg := notify.Config{Store: outbox.NewNotifications(db), Comments: discussion.NewComments(db), SiteTitle: "Field Notes",
		BaseURL: "https://blog.example", Mailer: smtp, From: "Field Notes <blog@example.com>", OwnerEmail: owner,
		Tokens: notify.Tokens{Key: []byte("0123456789abcdef0123456789abcdef")}, Backoff: 10 * time.Millisecond,
		Post: func(int64) (string, string) { return "hello-world", "Hello, world" }}
	if change != nil {
		change(&cfg)
	}
	return notify.New(cfg)
}

func (f *fixture) comment(t *testing.T, name, email, body, state string, parent int64, wants bool) repo.Comment {
	t.Helper()
	c, _, err := f.comments.CreateComment(context.Background(), repo.NewComment{PostID: f.post, ParentID: parent, State: state,
		Reason: "held: moderation is on", Notify: wants, Input: repo.CommentInput{Username: name, Email: email, Body: body}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *fixture) step() { f.svc.Step(context.Background()) }

// to returns the messages received by one address.
func to(msgs []mailtest.Message, addr string) []mailtest.Message {
	var out []mailtest.Message
	for _, m := range msgs {
		for _, r := range m.To {
			if r == addr {
				out = append(out, m)
			}
		}
	}
	return out
}

func TestHeldCommentMailsTheOwner(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t), nil)
	f.comment(t, "Ada", "ada@example.com", "Published at once.", repo.StatePublished, 0, false)
	held := f.comment(t, "Spammy", "spam@example.net", "Buy <b>now</b>", repo.StatePending, 0, false)
	msgs := to(f.marker(t, "first"), owner)
	if len(msgs) != 1 {
		t.Fatalf("%d messages to the owner, want one (held only; OWNER_NOTIFY=held)", len(msgs))
	}
	m := msgs[0]
	if m.To[0] != owner || m.Subject() != "[Field Notes] Comment held for review on “Hello, world”" ||
		!strings.Contains(m.Header.Get("From"), "blog@example.com") || m.Header.Get("Auto-Submitted") != "auto-generated" {
		t.Fatalf("headers: to %v, %q, %v", m.To, m.Subject(), m.Header)
	}
	review := "https://blog.example/admin?id=" + strconv.FormatInt(held.ID, 10)
	if !strings.Contains(m.Text, "Spammy (spam@example.net)") || !strings.Contains(m.Text, "> Buy <b>now</b>") || !strings.Contains(m.Text, review) {
		t.Fatalf("text:\n%s", m.Text)
	}
	if !strings.Contains(m.HTML, "Buy &lt;b&gt;now&lt;/b&gt;") || !strings.Contains(m.HTML, `href="`+review+`"`) {
		t.Fatalf("html (escaped text, review link):\n%s", m.HTML)
	}
	if !strings.HasPrefix(m.Header.Get("Message-Id"), "<outbox-") {
		t.Fatalf("Message-ID %q", m.Header.Get("Message-Id"))
	}
	// Nothing twice.
	f.step()
	if n := len(to(f.marker(t, "second"), owner)); n != 1 {
		t.Fatalf("%d messages to the owner after a second pass", n)
	}
}

func TestReplyNotifications(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, func(c *notify.Config) { c.OwnerEmail = "" })
		ctx := context.Background()
		ada := f.comment(t, "Ada", "ada@example.com", "A question about the post.", repo.StatePublished, 0, true)
		f.step()
		confirm := to(f.relay.Wait(1, 5*time.Second), "ada@example.com")
		if len(confirm) != 1 || confirm[0].Subject() != "[Field Notes] Confirm email about replies" {
			t.Fatalf("confirmation: %+v", confirm)
		}
		c := confirm[0]
		if !strings.Contains(c.Text, "https://blog.example/notify/confirm?t=") ||
			!strings.HasPrefix(c.Header.Get("List-Unsubscribe"), "<https://blog.example/notify/unsubscribe?t=") ||
			c.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
			t.Fatalf("confirmation mail:\n%v\n%s", c.Header, c.Text)
		}
		// Before Ada confirms, a reply sends her nothing.
		f.comment(t, "Grace", "grace@example.com", "An early answer.", repo.StatePublished, ada.ID, false)
		if n := len(to(f.marker(t, "unconfirmed"), "ada@example.com")); n != 1 {
			t.Fatalf("%d messages to Ada: a reply was mailed to an unconfirmed address", n)
		}
		if err := f.store.Confirm(ctx, "ada@example.com"); err != nil {
			t.Fatal(err)
		}
		// A held reply says nothing until it is published.
		held := f.comment(t, "Zoë", "zoe@example.com", "Held first, approved later.", repo.StatePending, ada.ID, false)
		if n := len(to(f.marker(t, "held"), "ada@example.com")); n != 1 {
			t.Fatalf("%d messages to Ada: a held reply was announced", n)
		}
		if _, err := f.comments.SetState(ctx, []int64{held.ID}, repo.StatePublished, "", repo.Action{Actor: "owner", Name: "approve"}); err != nil {
			t.Fatal(err)
		}
		msgs := to(f.marker(t, "approved"), "ada@example.com")
		if len(msgs) != 2 {
			t.Fatalf("%d messages to Ada after the approval, want the confirmation and the reply", len(msgs))
		}
		r := msgs[1]
		if r.Subject() != "[Field Notes] Zoë replied to your comment on “Hello, world”" || !strings.Contains(r.Text, "> Held first, approved later.") ||
			!strings.Contains(r.Text, "https://blog.example/posts/hello-world#comment-"+strconv.FormatInt(held.ID, 10)) ||
			r.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
			t.Fatalf("reply mail: %q\n%s", r.Subject(), r.Text)
		}
		// The blog's owner answering is named as the author, as the page's badge does.
		if _, _, err := f.comments.CreateComment(ctx, repo.NewComment{PostID: f.post, ParentID: ada.ID, State: repo.StatePublished,
			ByOwner: true, Input: repo.CommentInput{Username: "Sam", Email: "sam@example.com", Body: "Thanks, Ada."}}); err != nil {
			t.Fatal(err)
		}
		msgs = to(f.marker(t, "owner"), "ada@example.com")
		if len(msgs) != 3 || msgs[2].Subject() != "[Field Notes] Sam (author) replied to your comment on “Hello, world”" ||
			!strings.Contains(msgs[2].Text, "Sam (author) replied") {
			t.Fatalf("the owner's reply mail: %d messages, last %q", len(msgs), msgs[len(msgs)-1].Subject())
		}
		// Her own reply to herself, and replies after she unsubscribed, send nothing.
		f.comment(t, "Ada", "ada@example.com", "Answering myself.", repo.StatePublished, ada.ID, true)
		if err := f.store.Unsubscribe(ctx, "ada@example.com"); err != nil {
			t.Fatal(err)
		}
		if n := len(to(f.marker(t, "self"), "ada@example.com")); n != 3 {
			t.Fatalf("%d messages to Ada: her reply to herself was mailed to her", n)
		}
		f.comment(t, "Grace", "grace@example.com", "After the unsubscribe.", repo.StatePublished, ada.ID, false)
		for _, m := range f.marker(t, "unsubscribed") {
			if strings.Contains(m.Text, "After the unsubscribe") {
				t.Fatal("a reply was mailed after the unsubscribe")
			}
		}
	})
}

func TestRelayDownThenUpDeliversOnce(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t), nil)
	f.relay.Stop()
	f.comment(t, "Held", "held@example.com", "Waiting for the owner.", repo.StatePending, 0, false)
	f.step()
	msgs, _ := f.store.Messages(context.Background())
	if len(msgs) != 1 || msgs[0].Attempts != 1 || msgs[0].SentAt != nil || msgs[0].LastError == nil {
		t.Fatalf("after a failed attempt: %+v", msgs)
	}
	f.relay.Restart()
	deadline := time.Now().Add(5 * time.Second)
	for len(f.relay.Messages()) == 0 && time.Now().Before(deadline) {
		f.step()
		time.Sleep(20 * time.Millisecond)
	}
	for range 5 {
		f.step()
	}
	if n := len(to(f.marker(t, "after"), owner)); n != 1 {
		t.Fatalf("%d messages to the owner after the relay came back, want exactly 1", n)
	}
	msgs, _ = f.store.Messages(context.Background())
	if msgs[0].SentAt == nil || msgs[0].Attempts != 1 {
		t.Fatalf("outbox: %+v", msgs[0])
	}
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t), func(c *notify.Config) { c.MaxAttempts = 2 })
	f.relay.Stop()
	f.comment(t, "Held", "held@example.com", "Nobody will read this.", repo.StatePending, 0, false)
	// Attempts until it is given up (the retry waits Backoff), then more passes, which must not try again.
	deadline := time.Now().Add(10 * time.Second)
	for {
		f.step()
		msgs, _ := f.store.Messages(context.Background())
		if msgs[0].FailedAt != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not given up: %+v", msgs[0])
		}
		time.Sleep(5 * time.Millisecond)
	}
	for range 5 {
		f.step()
	}
	msgs, _ := f.store.Messages(context.Background())
	if msgs[0].FailedAt == nil || msgs[0].Attempts != 2 {
		t.Fatalf("outbox: %+v", msgs[0])
	}
	if p, failed, _ := f.store.OutboxCounts(context.Background()); p != 0 || failed != 1 {
		t.Fatalf("pending %d, failed %d", p, failed)
	}
}

// TestTwoInstancesSendOnce runs two services on one PostgreSQL database, as two instances do: every held
// comment reaches the owner exactly once.
func TestTwoInstancesSendOnce(t *testing.T) {
	url := dbtest.MigratedPostgresURL(t)
	dbA := dbtest.Open(t, url, true)
	dbB := dbtest.Open(t, url, false)
	f := newFixture(t, dbA, func(c *notify.Config) { c.PerHour = 1000 })
	other := f.service(t, dbB, func(c *notify.Config) { c.PerHour = 1000 })
	const n = 30
	ids := map[int64]bool{}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, s := range []*notify.Service{f.svc, other} {
		wg.Go(func() {
			for ctx.Err() == nil {
				s.Step(ctx)
				time.Sleep(time.Millisecond)
			}
		})
	}
	for i := range n {
		c := f.comment(t, "Held "+strconv.Itoa(i), "held"+strconv.Itoa(i)+"@example.com", "Held comment "+strconv.Itoa(i), repo.StatePending, 0, false)
		ids[c.ID] = true
	}
	// One read of the outbox decides: counting what is pending and listing the messages in two reads let a
	// message written between them pass for sent (the count saw 29 sent, the list 30), and the workers were
	// stopped before sending it.
	deadline := time.Now().Add(20 * time.Second)
	for {
		msgs, err := f.store.Messages(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		sent := 0
		for _, m := range msgs {
			if m.FailedAt != nil {
				t.Fatalf("message %d failed: %v", m.ID, *m.LastError)
			}
			if m.SentAt != nil {
				if m.Delivery == nil {
					t.Fatalf("message %d marked done but not delivered: %v", m.ID, m.LastError)
				}
				sent++
			}
		}
		if len(msgs) == n && sent == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox: %d messages, %d sent, want %d sent", len(msgs), sent, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	seen := map[int64]int{}
	for _, m := range f.relay.Messages() {
		for _, match := range reviewLink.FindAllStringSubmatch(m.Text, -1) {
			id, _ := strconv.ParseInt(match[1], 10, 64)
			seen[id]++
		}
	}
	for id := range ids {
		if seen[id] != 1 {
			t.Errorf("comment %d reached the owner %d times", id, seen[id])
		}
	}
	t.Logf("%d held comments reached the owner in %d messages from two instances", n, len(f.relay.Messages()))
}

var reviewLink = regexp.MustCompile(`/admin\?id=(\d+)\b`)

func TestHourlyBoundAndDigest(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t), func(c *notify.Config) { c.PerHour = 2 })
	for i := range 5 {
		f.comment(t, "Held", "held@example.com", "Held number "+strconv.Itoa(i), repo.StatePending, 0, false)
		f.step()
	}
	if msgs := to(f.marker(t, "after"), owner); len(msgs) != 2 {
		t.Fatalf("%d messages within the hour, want MAIL_PER_HOUR=2", len(msgs))
	}
	out, _ := f.store.Messages(context.Background())
	waiting := 0
	for _, m := range out {
		if m.SentAt == nil {
			waiting++
			if m.NextAt.Before(time.Now().Add(50 * time.Minute)) {
				t.Fatalf("a postponed message is due at %v", m.NextAt)
			}
		}
	}
	if waiting != 3 {
		t.Fatalf("%d messages waiting, want 3 (none lost)", waiting)
	}
}

func TestOwnerDigest(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t), func(c *notify.Config) { c.Digest = time.Hour })
	f.comment(t, "First", "a@example.com", "The first held comment.", repo.StatePending, 0, false)
	f.step()
	f.relay.Wait(1, 5*time.Second)
	f.comment(t, "Second", "b@example.com", "The second.", repo.StatePending, 0, false)
	f.comment(t, "Third", "c@example.com", "The third.", repo.StatePending, 0, false)
	if n := len(to(f.marker(t, "within"), owner)); n != 1 {
		t.Fatalf("%d messages to the owner within the digest period", n)
	}
	// When the period is over, what waited goes as one message.
	f.db.Repo().Exec(context.Background(), "UPDATE outbox SET next_at = ?, sent_at = CASE WHEN sent_at IS NULL THEN NULL ELSE ? END",
		time.Now().Add(-time.Minute).UTC(), time.Now().Add(-2*time.Hour).UTC())
	msgs := to(f.marker(t, "over"), owner)
	if len(msgs) != 2 {
		t.Fatalf("%d messages to the owner after the digest period, want the first and the digest", len(msgs))
	}
	d := msgs[1]
	if d.Subject() != "[Field Notes] 2 notifications" || !strings.Contains(d.Text, "The second.") || !strings.Contains(d.Text, "The third.") {
		t.Fatalf("digest: %q\n%s", d.Subject(), d.Text)
	}
}

func TestWebhookSignedAndRetried(t *testing.T) {
	secret := []byte("a webhook secret of some length")
	var calls atomic.Int32
	got := make(chan notify.HookBody, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if calls.Add(1) == 1 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		if r.Header.Get(notify.SignatureHeader) != notify.Sign(secret, r.Header.Get(notify.TimestampHeader), body) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var b notify.HookBody
		json.Unmarshal(body, &b)
		if r.Header.Get(notify.EventHeader) != b.Event || r.Header.Get(notify.DeliveryHeader) == "" {
			http.Error(w, "headers", http.StatusBadRequest)
			return
		}
		got <- b
	}))
	defer srv.Close()
	f := newFixture(t, dbtest.SQLite(t), func(c *notify.Config) {
		c.Mailer, c.WebhookURL, c.WebhookSecret = nil, srv.URL, secret
	})
	f.comment(t, "Ada", "ada@example.com", "Published.", repo.StatePublished, 0, false)
	f.comment(t, "Spam", "spam@example.net", "Held.", repo.StatePending, 0, false)
	deadline := time.Now().Add(5 * time.Second)
	var bodies []notify.HookBody
	for len(bodies) < 2 && time.Now().Before(deadline) {
		f.step()
		select {
		case b := <-got:
			bodies = append(bodies, b)
		case <-time.After(20 * time.Millisecond):
		}
	}
	if len(bodies) != 2 || calls.Load() != 3 {
		t.Fatalf("webhooks: %+v after %d calls", bodies, calls.Load())
	}
	events := bodies[0].Event + "," + bodies[1].Event
	if events != "comment.created,comment.held" && events != "comment.held,comment.created" {
		t.Fatalf("events %s", events)
	}
	if bodies[0].Comment.Email == "" || !strings.HasPrefix(bodies[0].Comment.URL, "https://blog.example/posts/hello-world#comment-") {
		t.Fatalf("body: %+v", bodies[0])
	}
}

func TestImportedCommentsAreNotAnnounced(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t), nil)
	err := transfer.NewImports(f.db).Write(context.Background(), func(ctx context.Context, w *transfer.ImportWriter) error {
		_, err := w.Add(ctx, transfer.ImportedComment{Keys: []string{"disqus:1"}, PostID: f.post, Username: "Old", Email: "old@example.com",
			Body: "From 2016, held there.", State: repo.StatePending, CreatedAt: time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(f.marker(t, "after")); n != 1 {
		t.Fatalf("%d messages besides the marker: an imported comment was announced", n-1)
	}
}

func TestTokens(t *testing.T) {
	tk := notify.Tokens{Key: []byte("key key key key key key key key!")}
	now := time.Now()
	c := tk.Make(notify.PurposeConfirm, "ada@example.com", now.Add(time.Hour))
	if e, err := tk.Check(notify.PurposeConfirm, c, now); err != nil || e != "ada@example.com" {
		t.Fatalf("check: %q %v", e, err)
	}
	for name, bad := range map[string]string{
		"other purpose": "", "expired": "", "changed address": strings.Replace(c, c[:4], "Z"+c[1:4], 1), "cut": c[:len(c)-3], "empty": ""} {
		purpose, at := notify.PurposeConfirm, now
		switch name {
		case "other purpose":
			bad, purpose = c, notify.PurposeUnsubscribe
		case "expired":
			bad, at = c, now.Add(2*time.Hour)
		}
		if _, err := tk.Check(purpose, bad, at); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	u := tk.Make(notify.PurposeUnsubscribe, "ada@example.com", time.Time{})
	if _, err := tk.Check(notify.PurposeUnsubscribe, u, now.Add(10*365*24*time.Hour)); err != nil {
		t.Fatalf("unsubscribe links do not expire: %v", err)
	}
}
