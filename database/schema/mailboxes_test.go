package schema_test

import (
	"context"
	"testing"
	"time"

	"blog/database"
	"blog/database/schema"
	"blog/internal/dbtest"
	"blog/repo/outbox"
)

const mailboxesVersion = 20261206020001

// downTo rolls back until version is no longer applied.
func downTo(t *testing.T, db *database.DB, version int) {
	t.Helper()
	ctx := context.Background()
	for range 100 {
		st, err := schema.Status(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		applied := false
		for _, v := range st {
			applied = applied || (v.Version == version && v.Applied)
		}
		if !applied {
			return
		}
		if err := schema.Down(ctx, db); err != nil {
			t.Fatal(err)
		}
	}
	t.Fatalf("version %d still applied", version)
}

// legacySubscriber and legacyMessage are rows as they were written before mailboxes.
type legacySubscriber struct {
	ID             int64
	Email          string
	ConfirmedAt    *time.Time
	UnsubscribedAt *time.Time
	CreatedAt      time.Time
}

func (legacySubscriber) Table() string { return "subscribers" }

type legacyMessage struct {
	ID        int64
	Kind      string
	Topic     string
	Dedupe    string
	Recipient string
	Payload   string
	CommentID int64
	Attempts  int
	NextAt    time.Time
	CreatedAt time.Time
}

func (legacyMessage) Table() string { return "outbox" }

// TestMailboxesMigration: subscribers written per address are merged per mailbox, the latest choice winning
// (an unsubscribe stays one unless a later confirmation came); messages get their mailbox; down and up again
// work on SQLite and PostgreSQL.
func TestMailboxesMigration(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		downTo(t, db, mailboxesVersion)
		t0 := time.Now().UTC().Add(-48 * time.Hour).Truncate(time.Second)
		at := func(d time.Duration) *time.Time { x := t0.Add(d); return &x }
		for _, s := range []legacySubscriber{
			{Email: "Ada@example.com", ConfirmedAt: at(0)},
			{Email: "ada+blog@example.com", UnsubscribedAt: at(time.Hour)},
			{Email: "j.smith@gmail.com", UnsubscribedAt: at(0)},
			{Email: "jsmith+x@googlemail.com", ConfirmedAt: at(time.Hour)},
			{Email: "solo@example.com", UnsubscribedAt: at(0)},
		} {
			s.CreatedAt = t0
			if err := db.Repo().Insert(ctx, &s); err != nil {
				t.Fatal(err)
			}
		}
		for i, r := range []struct{ kind, to string }{{"mail", "Ada+blog@example.com"}, {"webhook", "https://hooks.example/x"}} {
			m := legacyMessage{Kind: r.kind, Topic: "reply", Dedupe: "legacy:" + string(rune('a'+i)), Recipient: r.to, Payload: "{}",
				CommentID: 1, NextAt: t0, CreatedAt: t0}
			if err := db.Repo().Insert(ctx, &m); err != nil {
				t.Fatal(err)
			}
		}

		if err := schema.Up(ctx, db); err != nil {
			t.Fatal(err)
		}
		n := outbox.NewNotifications(db)
		for _, tt := range []struct {
			email, want, first string
		}{
			{"ada@example.com", "unsubscribed", "Ada@example.com"},
			{"jsmith@gmail.com", "confirmed", "j.smith@gmail.com"},
			{"Solo+x@example.com", "unsubscribed", "solo@example.com"},
		} {
			s, found, err := n.Subscriber(ctx, tt.email)
			if err != nil || !found {
				t.Fatalf("%s: found %v, %v", tt.email, found, err)
			}
			got := "confirmed"
			if s.Unsubscribed() {
				got = "unsubscribed"
			}
			if !s.Active() && !s.Unsubscribed() {
				got = "neither"
			}
			if got != tt.want || s.Email != tt.first {
				t.Errorf("%s: %s as %q, want %s as %q", tt.email, got, s.Email, tt.want, tt.first)
			}
		}
		if rows, err := db.Repo().Count(ctx, "subscribers"); err != nil || rows != 3 {
			t.Fatalf("%d subscriber rows after merging, want 3 (%v)", rows, err)
		}
		msgs, err := n.Messages(ctx)
		if err != nil || len(msgs) != 2 || msgs[0].Mailbox != "ada@example.com" || msgs[1].Mailbox != "" {
			t.Fatalf("messages' mailboxes: %+v %v", msgs, err)
		}

		downTo(t, db, mailboxesVersion)
		if _, err := db.SQL().ExecContext(ctx, "SELECT mailbox FROM subscribers"); err == nil {
			t.Fatal("subscribers.mailbox survived the rollback")
		}
		if rows, err := db.Repo().Count(ctx, "subscribers"); err != nil || rows != 3 {
			t.Fatalf("%d subscriber rows after the rollback, want 3 (%v)", rows, err)
		}
		if err := schema.Up(ctx, db); err != nil {
			t.Fatal(err)
		}
		if err := n.Unsubscribe(ctx, "new+x@example.com"); err != nil {
			t.Fatal(err)
		}
	})
}
