package outbox_test

import (
	"context"
	"testing"
	"time"

	"blog/database"
	"blog/internal/dbtest"
	"blog/repo/outbox"
)

func TestMailbox(t *testing.T) {
	for _, tt := range []struct{ name, in, want string }{
		{"lower case", "Ada@Example.COM", "ada@example.com"},
		{"plus tag", "ada+blog@example.com", "ada@example.com"},
		{"every plus tag", "Ada+a+b@example.com", "ada@example.com"},
		{"dots kept outside gmail", "a.d.a@example.com", "a.d.a@example.com"},
		{"gmail dots", "A.da.Lovelace+x@Gmail.com", "adalovelace@gmail.com"},
		{"googlemail is gmail", "ada.lovelace@googlemail.com", "adalovelace@gmail.com"},
		{"only a tag is kept", "+news@example.com", "+news@example.com"},
		{"composed form", "e\u0301@example.com", "\u00e9@example.com"},
		{"blanks", "  ada@example.com ", "ada@example.com"},
		{"no at sign", "Nobody", "nobody"},
	} {
		if got := outbox.Mailbox(tt.in); got != tt.want {
			t.Errorf("%s: Mailbox(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}

// TestSubscriberIsPerMailbox: a choice made through one spelling of an address holds for every spelling that
// reaches the same mailbox, and not for another mailbox.
func TestSubscriberIsPerMailbox(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		n := outbox.NewNotifications(db)
		state := func(email string) string {
			s, _, err := n.Subscriber(ctx, email)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case s.Active():
				return "confirmed"
			case s.Unsubscribed():
				return "unsubscribed"
			}
			return "unknown"
		}
		if err := n.Confirm(ctx, "ada+blog@example.com"); err != nil {
			t.Fatal(err)
		}
		if got := state("ADA@example.com"); got != "confirmed" {
			t.Fatalf("after confirming ada+blog: ADA@example.com is %s", got)
		}
		if err := n.Unsubscribe(ctx, "Ada+other@Example.com"); err != nil {
			t.Fatal(err)
		}
		for _, e := range []string{"ada@example.com", "ada+blog@example.com", "ada+new@example.com"} {
			if got := state(e); got != "unsubscribed" {
				t.Errorf("after unsubscribing Ada+other: %s is %s", e, got)
			}
		}
		if got := state("a.da@example.com"); got != "unknown" {
			t.Errorf("another mailbox (dots count outside gmail) is %s", got)
		}
		if err := n.Confirm(ctx, "j.smith@gmail.com"); err != nil {
			t.Fatal(err)
		}
		if got := state("JSmith+x@googlemail.com"); got != "confirmed" {
			t.Errorf("a Gmail spelling is %s", got)
		}
	})
}

// TestLockBoundsMakesAnnouncersTakeTurns: on PostgreSQL a second transaction that takes the bounds lock waits
// until the first one commits, so it counts what the first one wrote.
func TestLockBoundsMakesAnnouncersTakeTurns(t *testing.T) {
	db := dbtest.Postgres(t)
	n := outbox.NewNotifications(db)
	ctx := context.Background()
	locked := make(chan struct{})
	release := make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- db.Write(ctx, func(ctx context.Context) error {
			if err := n.LockBounds(ctx); err != nil {
				return err
			}
			close(locked)
			<-release
			return nil
		})
	}()
	<-locked
	second := make(chan error, 1)
	secondStarted := make(chan struct{})
	go func() {
		second <- db.Write(ctx, func(ctx context.Context) error {
			close(secondStarted)
			return n.LockBounds(ctx)
		})
	}()
	<-secondStarted
	// The second waits on the server while the first holds the lock: the server shows it waiting.
	deadline := time.Now().Add(20 * time.Second)
	for {
		var waiting int
		row := db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'
			AND wait_event = 'advisory' AND datname = current_database()`)
		if err := row.Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting == 1 {
			break
		}
		select {
		case err := <-second:
			t.Fatalf("the second transaction took the lock while the first held it (err %v)", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the second transaction never waited for the lock")
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(release)
	for _, ch := range []chan error{first, second} {
		select {
		case err := <-ch:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("a transaction did not finish after the lock was released")
		}
	}
}
