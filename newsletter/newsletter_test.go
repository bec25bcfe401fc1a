package newsletter

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"os"
	"strings"
	"testing"
	"time"

	"blog/content"
	"blog/database"
	"blog/i18n"
	"blog/internal/dbtest"
	"blog/notify"
	"blog/repo/outbox"
	"blog/repo/subscribers"
)

func service(db *database.DB) *Service {
	return New(Config{Store: subscribers.New(db), Mail: true, Tokens: notify.Tokens{Key: []byte("k")}, SiteTitle: "Field Notes",
		BaseURL: "https://blog.example", PerMinute: 60})
}

// TestImportExportFormats reads Substack's and Buttondown's exports as they are, and the blog's own export
// reads back into an empty database as the same file.
func TestImportExportFormats(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := service(db)
		for _, tc := range []struct {
			file                                      string
			read, added, confirmed, waiting, unsubbed int
		}{
			{"testdata/substack.csv", 3, 3, 2, 0, 1},
			{"testdata/buttondown.csv", 4, 3, 2, 1, 1}, // ada+news is ada's mailbox, known already
		} {
			f, _ := os.Open(tc.file)
			res, err := s.Import(ctx, f, "import")
			f.Close()
			if err != nil {
				t.Fatalf("%s: %v", tc.file, err)
			}
			if res.Read != tc.read || res.Added != tc.added || res.Confirmed != tc.confirmed || res.Waiting != tc.waiting || res.Unsubscribed != tc.unsubbed {
				t.Fatalf("%s: %+v", tc.file, res)
			}
		}
		c, err := s.Counts(ctx)
		if err != nil || c != (subscribers.Counts{Confirmed: 3, Waiting: 1, Unsubscribed: 2}) {
			t.Fatalf("counts: %+v %v", c, err)
		}
		var first bytes.Buffer
		if n, err := s.Export(ctx, &first); err != nil || n != 6 {
			t.Fatalf("export: %d %v", n, err)
		}
		if !strings.Contains(first.String(), "grace@example.com,confirmed,2025-04-02T08:00:00Z,2025-04-02T08:00:00Z,,import") {
			t.Fatalf("export:\n%s", first.String())
		}
		again := service(dbtest.SQLite(t))
		if _, err := again.Import(ctx, bytes.NewReader(first.Bytes()), "import"); err != nil {
			t.Fatal(err)
		}
		var second bytes.Buffer
		again.Export(ctx, &second)
		if second.String() != first.String() {
			t.Fatalf("round trip differs:\n%s\n---\n%s", first.String(), second.String())
		}
		// A bad row refuses the whole file, naming it.
		_, err = s.Import(ctx, strings.NewReader("email\nnew@example.com\nnot an address\n"), "import")
		var ie *ImportError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), `line 3: "not an address"`) {
			t.Fatalf("bad row: %v", err)
		}
		if _, found, _ := s.cfg.Store.Find(ctx, "new@example.com"); found {
			t.Fatal("a refused file imported a row")
		}
		if _, err := s.Import(ctx, strings.NewReader("name,when\nx,y\n"), "import"); err == nil || !strings.Contains(err.Error(), "no email column") {
			t.Fatalf("no email column: %v", err)
		}
	})
}

// TestSubscribeBounds: a mailbox gets one confirmation a day however it is spelt; a client address makes 5
// requests a day; a mailbox that said "never" to the blog's mail gets nothing, and the answer is the same.
func TestSubscribeBounds(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := service(db)
		n := outbox.NewNotifications(db)
		confirms := func(mailbox string) int {
			c, err := n.CountMessages(ctx, outbox.MessageFilter{Topic: subscribers.TopicConfirm, Since: time.Now().Add(-time.Hour), Mailbox: mailbox})
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		for _, spelling := range []string{"ada@example.com", "Ada+x@Example.com", "ada+y@example.com"} {
			if err := s.Subscribe(ctx, spelling, fmt.Sprint("ip-", spelling), "net-a"); err != nil {
				t.Fatal(err)
			}
		}
		if c := confirms("ada@example.com"); c != 1 {
			t.Fatalf("%d confirmations to one mailbox", c)
		}
		n.Unsubscribe(ctx, "never@example.com")
		if err := s.Subscribe(ctx, "never@example.com", "ip-n", "net-n"); err != nil || confirms("never@example.com") != 0 {
			t.Fatalf("a mailbox that said never: %v, %d", err, confirms("never@example.com"))
		}
		for i := range 5 {
			if err := s.Subscribe(ctx, fmt.Sprintf("s%d@example.com", i), "ip-x", "net-x"); err != nil {
				t.Fatalf("request %d: %v", i+1, err)
			}
		}
		if err := s.Subscribe(ctx, "s6@example.com", "ip-x", "net-x"); !errors.Is(err, ErrTooMany) {
			t.Fatalf("sixth request from one address: %v", err)
		}
		if confirms("s6@example.com") != 0 {
			t.Fatal("a refused request queued mail")
		}
	})
}

// TestAnnounceOnce queues a post's mail once however often it is announced, one row per confirmed subscriber
// (none for those who confirmed later or unsubscribed), spread at the rate, behind a post still being sent; an
// unsubscribe drops the mail still waiting.
func TestAnnounceOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := service(db)
		store := s.cfg.Store
		past := time.Now().UTC().Add(-time.Hour)
		var subs []subscribers.Subscriber
		for i := range 1200 {
			subs = append(subs, subscribers.Subscriber{Email: fmt.Sprintf("r%d@example.com", i), Source: "t", ConfirmedAt: &past, CreatedAt: past})
		}
		subs = append(subs, subscribers.Subscriber{Email: "gone@example.com", Source: "t", UnsubscribedAt: &past, CreatedAt: past},
			subscribers.Subscriber{Email: "wait@example.com", Source: "t", CreatedAt: past})
		if _, _, err := store.Import(ctx, subs); err != nil {
			t.Fatal(err)
		}
		p := content.Post{Slug: "new", Title: "New <post>", Summary: "S", HTML: template.HTML("<p>Body</p>")}
		for range 2 {
			l := Letter(i18n.Shipped().For("en"), p, 7, "Field Notes", "https://blog.example", true)
			_, _, err := store.Announce(ctx, l, time.Second, func(sub subscribers.Subscriber) outbox.Message { return s.postMessage(7, sub) })
			if err != nil {
				t.Fatal(err)
			}
		}
		msgs, _ := outbox.NewNotifications(db).Messages(ctx)
		if len(msgs) != 1200 {
			t.Fatalf("%d mails queued, want 1200", len(msgs))
		}
		if gap := msgs[len(msgs)-1].NextAt.Sub(msgs[0].NextAt); gap < 1198*time.Second || gap > 1200*time.Second {
			t.Fatalf("spread over %s, want 1199s", gap)
		}
		// A second post queues behind the first.
		l2 := Letter(i18n.Shipped().For("en"), content.Post{Slug: "two", Title: "Two"}, 8, "Field Notes", "https://blog.example", false)
		store.Announce(ctx, l2, time.Second, func(sub subscribers.Subscriber) outbox.Message { return s.postMessage(8, sub) })
		msgs, _ = outbox.NewNotifications(db).Messages(ctx)
		if !msgs[1200].NextAt.After(msgs[1199].NextAt) {
			t.Fatalf("the second post's mail starts at %s, before the first's last at %s", msgs[1200].NextAt, msgs[1199].NextAt)
		}
		// The mail is filled in when sent, with the recipient's own unsubscribe link.
		m, err := s.Expand(ctx, mustMail(t, msgs[0].Payload))
		if err != nil || m.Subject != "New <post>" || !strings.Contains(m.HTML, "New &lt;post&gt;") || !strings.Contains(m.Text, m.Unsubscribe) ||
			!strings.Contains(m.HTML, strings.ReplaceAll(m.Unsubscribe, "&", "&amp;")) {
			t.Fatalf("expanded: %v\n%+v", err, m)
		}
		if err := s.Unsubscribe(ctx, "r0@example.com"); err != nil {
			t.Fatal(err)
		}
		msgs, _ = outbox.NewNotifications(db).Messages(ctx)
		for _, m := range msgs {
			if m.Mailbox == "r0@example.com" && (m.SentAt == nil || m.LastError == nil) {
				t.Fatalf("mail to an unsubscribed mailbox still waits: %+v", m)
			}
		}
	})
}

func mustMail(t *testing.T, payload string) notify.Mail {
	t.Helper()
	var m notify.Mail
	if err := jsonUnmarshal(payload, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

// recorder is a notify.Mailer that keeps what it is asked to send.
type recorder struct{ sent []notify.Mail }

func (r *recorder) Send(_ context.Context, _ string, m notify.Mail, _ string) error {
	r.sent = append(r.sent, m)
	return nil
}

// TestNeverMeansNever: a post's mail queued for a mailbox that then says "Stop all email" (comment mail's
// unsubscribe) is dropped unsent; the others' mail goes, filled in.
func TestNeverMeansNever(t *testing.T) {
	db := dbtest.SQLite(t)
	ctx := context.Background()
	s := service(db)
	past := time.Now().UTC().Add(-time.Hour)
	s.cfg.Store.Import(ctx, []subscribers.Subscriber{{Email: "ada@example.com", Source: "t", ConfirmedAt: &past, CreatedAt: past},
		{Email: "bob@example.com", Source: "t", ConfirmedAt: &past, CreatedAt: past}})
	l := Letter(i18n.Shipped().For("en"), content.Post{Slug: "p", Title: "P", HTML: "<p>Body</p>"}, 3, "Field Notes", "https://blog.example", true)
	if _, _, err := s.cfg.Store.Announce(ctx, l, 0, func(sub subscribers.Subscriber) outbox.Message { return s.postMessage(3, sub) }); err != nil {
		t.Fatal(err)
	}
	store := outbox.NewNotifications(db)
	if err := store.Unsubscribe(ctx, "Ada@example.com"); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	n := notify.New(notify.Config{Store: store, Mailer: rec, From: "blog@example.com", Expand: s.Expand, PerHour: 10})
	n.Step(ctx)
	if len(rec.sent) != 1 || rec.sent[0].To != "bob@example.com" || !strings.Contains(rec.sent[0].HTML, "<p>Body</p>") {
		t.Fatalf("sent: %+v", rec.sent)
	}
	ms, _ := store.Messages(ctx)
	for _, m := range ms {
		if m.SentAt == nil {
			t.Fatalf("a message is still waiting: %+v", m)
		}
	}
}
