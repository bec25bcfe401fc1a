package migrations

import (
	"context"
	"strings"
	"time"

	"github.com/go-rel/rel"
	"github.com/go-rel/rel/where"
	"golang.org/x/text/unicode/norm"
)

// MigrateAddMailboxes makes mail bounds and unsubscribes count per mailbox rather than per spelling of an
// address: every outbox message and every subscriber gets the mailbox it reaches (lower case, without a +tag,
// Gmail's dots folded). Subscriber rows that reach one mailbox are merged into the oldest, which takes the
// latest choice among them (an unsubscribe of any spelling stays an unsubscribe unless a later confirmation
// came through a link mailed to that mailbox); an index lets the per-client bound count a day's confirmations
// without reading the whole outbox.
func MigrateAddMailboxes(schema *rel.Schema) {
	// Written out because go-rel/postgres drops an empty-string default, and existing rows need one.
	schema.Exec(rel.Raw("ALTER TABLE outbox ADD COLUMN mailbox VARCHAR(255) NOT NULL DEFAULT ''"))
	schema.Exec(rel.Raw("ALTER TABLE subscribers ADD COLUMN mailbox VARCHAR(255) NOT NULL DEFAULT ''"))
	schema.Do(fillMailboxes)
	schema.CreateIndex("outbox", "outbox_mailbox", []string{"mailbox", "sent_at"})
	schema.CreateIndex("outbox", "outbox_topic_created", []string{"topic", "created_at"})
	schema.CreateUniqueIndex("subscribers", "subscribers_mailbox", []string{"mailbox"})
}

// RollbackAddMailboxes removes the mailbox columns. Subscriber rows merged on the way up stay merged: the
// addresses folded into another row are unknown again and need a new confirmation, which is the safe side.
func RollbackAddMailboxes(schema *rel.Schema) {
	schema.DropIndex("subscribers", "subscribers_mailbox")
	schema.DropIndex("outbox", "outbox_topic_created")
	schema.DropIndex("outbox", "outbox_mailbox")
	schema.DropColumn("subscribers", "mailbox")
	schema.DropColumn("outbox", "mailbox")
}

type mailboxRecipient struct{ Recipient string }

type mailboxSubscriber struct {
	ID             int64
	Email          string
	ConfirmedAt    *time.Time
	UnsubscribedAt *time.Time
}

func (mailboxSubscriber) Table() string { return "subscribers" }

// fillMailboxes computes the mailbox of every mail message (one update per recipient) and every subscriber,
// merging subscribers that share one.
func fillMailboxes(ctx context.Context, r rel.Repository) error {
	var recipients []mailboxRecipient
	if err := r.FindAll(ctx, &recipients, rel.Select("recipient").Distinct().From("outbox").Where(where.Eq("kind", "mail"))); err != nil {
		return err
	}
	for _, m := range recipients {
		if _, err := r.UpdateAny(ctx, rel.From("outbox").Where(where.Eq("kind", "mail"), where.Eq("recipient", m.Recipient)),
			rel.Set("mailbox", mailboxOf(m.Recipient))); err != nil {
			return err
		}
	}
	var subs []mailboxSubscriber
	if err := r.FindAll(ctx, &subs, rel.SortAsc("id")); err != nil {
		return err
	}
	first := map[string]int{}
	for i, s := range subs {
		key := mailboxOf(s.Email)
		j, seen := first[key]
		if !seen {
			first[key] = i
			continue
		}
		// The latest choice wins; each row holds at most one (confirming cleared an unsubscribe and back).
		kept := &subs[j]
		if latest(s).After(latest(*kept)) {
			kept.ConfirmedAt, kept.UnsubscribedAt = s.ConfirmedAt, s.UnsubscribedAt
		}
		if _, err := r.DeleteAny(ctx, rel.From("subscribers").Where(where.Eq("id", s.ID))); err != nil {
			return err
		}
	}
	for key, i := range first {
		s := subs[i]
		if _, err := r.UpdateAny(ctx, rel.From("subscribers").Where(where.Eq("id", s.ID)), rel.Set("mailbox", key),
			rel.Set("confirmed_at", s.ConfirmedAt), rel.Set("unsubscribed_at", s.UnsubscribedAt)); err != nil {
			return err
		}
	}
	return nil
}

// latest is when a subscriber row last made a choice (zero: never).
func latest(s mailboxSubscriber) time.Time {
	var t time.Time
	for _, at := range []*time.Time{s.ConfirmedAt, s.UnsubscribedAt} {
		if at != nil && at.After(t) {
			t = *at
		}
	}
	return t
}

// mailboxOf is repo.Mailbox as it was when this migration was written: a migration must keep doing what it
// did, whatever the rule becomes later.
func mailboxOf(email string) string {
	e := strings.ToLower(norm.NFC.String(strings.TrimSpace(email)))
	at := strings.LastIndexByte(e, '@')
	if at <= 0 {
		return e
	}
	local, domain := e[:at], e[at+1:]
	if i := strings.IndexByte(local, '+'); i > 0 {
		local = local[:i]
	}
	if domain == "googlemail.com" {
		domain = "gmail.com"
	}
	if domain == "gmail.com" {
		local = strings.ReplaceAll(local, ".", "")
	}
	return local + "@" + domain
}
