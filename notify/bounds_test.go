package notify_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-rel/rel"
	"github.com/go-rel/rel/where"

	"blog/database"
	"blog/internal/dbtest"
	"blog/internal/mailtest"
	"blog/notify"
	"blog/repo"
	"blog/repo/outbox"
	"blog/repo/posts"
)

// commentFrom stores a published comment posted from a client (its address and network hashes).
func (f *fixture) commentFrom(t *testing.T, post int64, email, ipHash, netHash string, parent int64, wants bool) repo.Comment {
	t.Helper()
	c, _, err := f.comments.CreateComment(context.Background(), repo.NewComment{PostID: post, ParentID: parent,
		State: repo.StatePublished, Notify: wants, IPHash: ipHash, NetHash: netHash,
		Input: repo.CommentInput{Username: "Someone", Email: email, Body: "A comment by " + email}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// inMailbox returns the messages that reached one mailbox, whatever address they were sent to.
func inMailbox(msgs []mailtest.Message, mailbox string) []mailtest.Message {
	var out []mailtest.Message
	for _, m := range msgs {
		if outbox.Mailbox(m.To[0]) == mailbox {
			out = append(out, m)
		}
	}
	return out
}

// marker sends a confirmation to an address nobody else uses and waits for it. Messages go out oldest first,
// so every message written before the marker's comment that was going to be sent has been by then: what has
// not arrived is not coming.
func (f *fixture) marker(t *testing.T, name string) []mailtest.Message {
	t.Helper()
	addr := name + "@marker.example"
	f.commentFrom(t, f.post, addr, "ip-"+name, "net-"+name, 0, true)
	deadline := time.Now().Add(20 * time.Second)
	for {
		f.step()
		msgs := f.relay.Messages()
		if len(to(msgs, addr)) > 0 {
			return msgs
		}
		if time.Now().After(deadline) {
			t.Fatalf("the marker mail to %s did not arrive", addr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestConfirmationPerMailbox: thirty comments naming one mailbox with thirty spellings (+tags, capitals), from
// thirty clients, in three announcements, send it one confirmation.
func TestConfirmationPerMailbox(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, func(c *notify.Config) { c.OwnerEmail = "" })
		spellings := []string{"victim+%d@example.com", "Victim+%d@Example.com", "VICTIM+%d@EXAMPLE.COM"}
		for i := 1; i <= 30; i++ {
			email := fmt.Sprintf(spellings[i%3], i)
			f.commentFrom(t, f.post, email, fmt.Sprintf("ip-%d", i), fmt.Sprintf("net-%d", i), 0, true)
			if i%10 == 0 {
				f.step()
			}
		}
		msgs := f.marker(t, "after")
		got := inMailbox(msgs, "victim@example.com")
		if len(got) != notify.ConfirmsPerMailbox {
			t.Fatalf("%d confirmations reached the mailbox, want %d", len(got), notify.ConfirmsPerMailbox)
		}
		if got[0].Subject() != "[Field Notes] Confirm email about replies" {
			t.Fatalf("the mail: %q", got[0].Subject())
		}
	})
}

// TestConfirmationsPerClient: one client naming thirty different mailboxes causes at most its bound of
// confirmations, from one address or from many addresses of one network; another client is not held back.
func TestConfirmationsPerClient(t *testing.T) {
	for _, tt := range []struct {
		name string
		ip   func(i int) string
		want int
	}{
		{"one address", func(int) string { return "ip-attacker" }, notify.ConfirmsPerAddress},
		{"a new address each time in one network", func(i int) string { return fmt.Sprintf("ip-attacker-%d", i) }, notify.ConfirmsPerNetwork},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, db *database.DB) {
				f := newFixture(t, db, func(c *notify.Config) { c.OwnerEmail = "" })
				for i := 1; i <= 30; i++ {
					f.commentFrom(t, f.post, fmt.Sprintf("reader%d@example.net", i), tt.ip(i), "net-attacker", 0, true)
					if i%7 == 0 {
						f.step()
					}
				}
				msgs := f.marker(t, "other-client")
				readers := 0
				for _, m := range msgs {
					if strings.HasSuffix(m.To[0], "@example.net") {
						readers++
					}
				}
				if readers != tt.want {
					t.Fatalf("one client caused %d confirmations, want %d", readers, tt.want)
				}
			})
		})
	}
}

// TestClientBoundAcrossInstances: two instances announcing one PostgreSQL database's posts at once count each
// other's confirmations: one client's thirty comments on six posts cause its bound, not twice it.
func TestClientBoundAcrossInstances(t *testing.T) {
	url := dbtest.MigratedPostgresURL(t)
	dbA := dbtest.Open(t, url, true)
	dbB := dbtest.Open(t, url, false)
	f := newFixture(t, dbA, func(c *notify.Config) { c.OwnerEmail = "" })
	other := f.service(t, dbB, func(c *notify.Config) { c.OwnerEmail = "" })
	ctx := context.Background()
	var refs []posts.PostRef
	for i := range 6 {
		refs = append(refs, posts.PostRef{Slug: fmt.Sprintf("post-%d", i), Title: "Post"})
	}
	ids, err := posts.NewPosts(dbA).SyncPosts(ctx, refs)
	if err != nil {
		t.Fatal(err)
	}
	// Both instances work while the comments arrive, so each finds posts the other is announcing.
	stepping, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, s := range []*notify.Service{f.svc, other} {
		wg.Go(func() {
			for stepping.Err() == nil {
				s.Step(stepping)
				time.Sleep(time.Millisecond)
			}
		})
	}
	for i := range 30 {
		f.commentFrom(t, ids[fmt.Sprintf("post-%d", (i*5)%6)], fmt.Sprintf("reader%d@example.net", i), "ip-attacker", "net-attacker", 0, true)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		behind, err := f.store.PostsBehind(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(behind) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("posts not announced: %v", behind)
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	wg.Wait()
	f.marker(t, "after")
	msgs := f.relay.Messages()
	readers := 0
	for _, m := range msgs {
		if strings.HasSuffix(m.To[0], "@example.net") {
			readers++
		}
	}
	if readers != notify.ConfirmsPerAddress {
		t.Fatalf("two instances sent %d confirmations caused by one client, want %d", readers, notify.ConfirmsPerAddress)
	}
}

// TestHourlyBoundPerMailbox: replies to comments posted under five spellings of one confirmed mailbox count
// against one hourly bound; the rest wait, none lost.
func TestHourlyBoundPerMailbox(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t), func(c *notify.Config) { c.PerHour = 2; c.OwnerEmail = "" })
	ctx := context.Background()
	for _, e := range []string{"victim@example.com", "grace@marker.example"} {
		if err := f.store.Confirm(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i <= 5; i++ {
		mine := f.commentFrom(t, f.post, fmt.Sprintf("Victim+%d@example.com", i), "ip-v", "net-v", 0, true)
		f.commentFrom(t, f.post, "ada@example.org", "ip-a", "net-a", mine.ID, false)
	}
	// The marker: a reply to someone else, written after the five.
	graces := f.commentFrom(t, f.post, "grace@marker.example", "ip-g", "net-g", 0, true)
	f.commentFrom(t, f.post, "ada@example.org", "ip-a", "net-a", graces.ID, false)
	deadline := time.Now().Add(20 * time.Second)
	for len(to(f.relay.Messages(), "grace@marker.example")) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the marker reply did not arrive")
		}
		f.step()
		time.Sleep(10 * time.Millisecond)
	}
	if got := inMailbox(f.relay.Messages(), "victim@example.com"); len(got) != 2 {
		t.Fatalf("%d messages reached the mailbox within the hour, want MAIL_PER_HOUR=2", len(got))
	}
	out, err := f.store.Messages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	waiting := 0
	for _, m := range out {
		if m.SentAt == nil {
			waiting++
			if m.Mailbox != "victim@example.com" || m.NextAt.Before(time.Now().Add(50*time.Minute)) {
				t.Fatalf("a waiting message: mailbox %q, due %v", m.Mailbox, m.NextAt)
			}
		}
	}
	if waiting != 3 {
		t.Fatalf("%d messages waiting, want 3 (none lost)", waiting)
	}
}

// TestNeverMeansNever: after a mailbox unsubscribed, a stranger typing any spelling of its address with the
// box checked makes the blog send it nothing, and a reply that was waiting for the hourly bound is dropped;
// a confirmation through a link mailed to it brings it back.
func TestNeverMeansNever(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, func(c *notify.Config) { c.PerHour = 1; c.OwnerEmail = "" })
		ctx := context.Background()
		// A confirmation reaches the victim; they answer "never" through its link.
		f.commentFrom(t, f.post, "victim@example.com", "ip-x", "net-x", 0, true)
		f.marker(t, "first")
		if got := inMailbox(f.relay.Messages(), "victim@example.com"); len(got) != 1 {
			t.Fatalf("%d confirmations before the unsubscribe, want 1", len(got))
		}
		if err := f.store.Unsubscribe(ctx, "victim@example.com"); err != nil {
			t.Fatal(err)
		}
		// Two days later (so no daily bound is what stops it), a stranger uses the address with a +tag.
		age(t, f.db, "created_at", -48*time.Hour)
		f.commentFrom(t, f.post, "Victim+again@example.com", "ip-y", "net-y", 0, true)
		f.marker(t, "second")
		if got := inMailbox(f.relay.Messages(), "victim@example.com"); len(got) != 1 {
			t.Fatalf("%d messages reached the mailbox after it said never, want still 1", len(got))
		}

		// Ada confirmed and has two replies: one goes, one waits for the hourly bound; she unsubscribes meanwhile.
		if err := f.store.Confirm(ctx, "ada@example.org"); err != nil {
			t.Fatal(err)
		}
		adas := f.commentFrom(t, f.post, "ada@example.org", "ip-a", "net-a", 0, true)
		f.commentFrom(t, f.post, "zoe@example.com", "ip-z", "net-z", adas.ID, false)
		f.step() // sent alone: two replies due together would go as one message
		f.commentFrom(t, f.post, "zoe@example.com", "ip-z", "net-z", adas.ID, false)
		f.marker(t, "third")
		if got := inMailbox(f.relay.Messages(), "ada@example.org"); len(got) != 1 {
			t.Fatalf("%d replies reached Ada within the hour, want 1", len(got))
		}
		if err := f.store.Unsubscribe(ctx, "ADA+blog@example.org"); err != nil {
			t.Fatal(err)
		}
		// The hour passes: the waiting reply is due and the bound would allow it.
		age(t, f.db, "sent_at", -2*time.Hour)
		if _, err := f.db.Repo().UpdateAny(ctx, rel.From("outbox").Where(where.Nil("sent_at")), rel.Set("next_at", time.Now().Add(-time.Minute).UTC())); err != nil {
			t.Fatal(err)
		}
		f.marker(t, "fourth")
		if got := inMailbox(f.relay.Messages(), "ada@example.org"); len(got) != 1 {
			t.Fatalf("%d replies reached Ada, want still 1: the waiting one was sent after she unsubscribed", len(got))
		}
		out, err := f.store.Messages(ctx)
		if err != nil {
			t.Fatal(err)
		}
		dropped := 0
		for _, m := range out {
			if m.Mailbox == "ada@example.org" && m.SentAt != nil && m.Delivery == nil {
				dropped++
				if m.LastError == nil || !strings.Contains(*m.LastError, "unsubscribed") {
					t.Fatalf("a dropped message says %v", m.LastError)
				}
			}
		}
		if dropped != 1 {
			t.Fatalf("%d messages dropped, want the waiting reply", dropped)
		}

		// The way back: a confirmation through a link mailed to the mailbox (the unsubscribe page's button).
		if err := f.store.Confirm(ctx, "victim@example.com"); err != nil {
			t.Fatal(err)
		}
		victims := f.commentFrom(t, f.post, "victim@example.com", "ip-x", "net-x", 0, true)
		f.commentFrom(t, f.post, "zoe@example.com", "ip-z", "net-z", victims.ID, false)
		f.marker(t, "fifth")
		got := inMailbox(f.relay.Messages(), "victim@example.com")
		if len(got) != 2 || !strings.Contains(got[1].Subject(), "replied to your comment") {
			t.Fatalf("after confirming again: %d messages to the mailbox", len(got))
		}
	})
}

// age moves a time column of every outbox message back by d, as if that much time had passed.
func age(t *testing.T, db *database.DB, column string, d time.Duration) {
	t.Helper()
	ctx := context.Background()
	msgs, err := outbox.NewNotifications(db).Messages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		at := m.CreatedAt
		if column == "sent_at" {
			if m.SentAt == nil {
				continue
			}
			at = *m.SentAt
		}
		if _, err := db.Repo().UpdateAny(ctx, rel.From("outbox").Where(where.Eq("id", m.ID)), rel.Set(column, at.Add(d).UTC())); err != nil {
			t.Fatal(err)
		}
	}
}
