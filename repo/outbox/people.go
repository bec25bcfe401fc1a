package outbox

import (
	"context"
	"errors"
	"time"

	"github.com/go-rel/rel"
	"github.com/go-rel/rel/where"

	"blog/repo"
	"blog/repo/internal/store"
)

// Held is what the notification store holds about a mailbox: its subscription (nil: none) and the messages
// written to it, sent or not.
type Held struct {
	Subscriber *Subscriber
	Messages   []Message
}

// MailboxData returns what is held about the mailbox an address reaches.
func (n *Notifications) MailboxData(ctx context.Context, email string) (Held, error) {
	var out Held
	sub, found, err := n.Subscriber(ctx, email)
	if err != nil {
		return out, err
	}
	if found {
		out.Subscriber = &sub
	}
	err = n.db.Repo().FindAll(ctx, &out.Messages, rel.Where(where.Eq("kind", Mail), where.Eq("mailbox", Mailbox(email))).SortAsc("id"))
	return out, repo.Translate(err, "find a mailbox's messages")
}

// Forget removes what the notification store holds about a mailbox and about some comments: the mailbox's
// subscription, the messages to it, and the messages (to the owner, to a webhook) about those comments, sent or
// not. It returns how many rows went.
func (n *Notifications) Forget(ctx context.Context, email string, commentIDs []int64) (int, error) {
	total := 0
	err := n.db.Write(ctx, func(ctx context.Context) error {
		total = 0
		key := Mailbox(email)
		c, err := n.db.Repo().DeleteAny(ctx, rel.From("subscribers").Where(where.Eq("mailbox", key)))
		if err != nil {
			return err
		}
		total += c
		if c, err = n.db.Repo().DeleteAny(ctx, rel.From("outbox").Where(where.Eq("kind", Mail), where.Eq("mailbox", key))); err != nil {
			return err
		}
		total += c
		if ids := store.UniqueIDs(commentIDs); len(ids) > 0 {
			if c, err = n.db.Repo().DeleteAny(ctx, rel.From("outbox").Where(store.InIDs("comment_id", ids))); err != nil {
				return err
			}
			total += c
		}
		return nil
	})
	return total, repo.Translate(err, "forget a mailbox")
}

// Enqueue writes one message to send now, outside the change feed (a link a visitor asked for). Its Dedupe must
// be new; the worker sends it under the same bounds as every mail to its mailbox.
func (n *Notifications) Enqueue(ctx context.Context, m Message) error {
	now := time.Now().UTC()
	m.ID, m.NextAt, m.CreatedAt = 0, now, now
	if m.Kind == Mail {
		m.Mailbox = Mailbox(m.Recipient)
	}
	return repo.Translate(n.db.Write(ctx, func(ctx context.Context) error { return n.db.Repo().Insert(ctx, &m) }), "write a message")
}

// DataRequest is one request for a link to a commenter's data, as the bounds count it: keyed hashes of the
// mailbox asked about and of the client's address and network.
type DataRequest struct {
	ID          int64
	MailboxHash string
	IPHash      string
	NetHash     string
	CreatedAt   time.Time
}

// RequestBounds are the most requests a day one mailbox, one client address and one network may make.
type RequestBounds struct {
	Mailbox, Address, Network int
}

// ErrTooManyRequests is a request past a client's bound (its address or its network); ErrMailboxBound one past
// the bound of the mailbox asked about.
var (
	ErrTooManyRequests = errors.New("too many requests from this client today")
	ErrMailboxBound    = errors.New("too many requests for this mailbox today")
)

// AddDataRequest counts a request against the bounds of the last 24 hours and records it when the client is
// within its bounds (ErrTooManyRequests otherwise); the bounds count every request, whatever address it names,
// and a request past the mailbox's bound is recorded too (then ErrMailboxBound). Rows older than a day are removed on the way,
// so the table holds one day at most.
func (n *Notifications) AddDataRequest(ctx context.Context, r DataRequest, b RequestBounds) error {
	mailboxFull := false
	err := n.db.Write(ctx, func(ctx context.Context) error {
		mailboxFull = false
		if err := n.db.Lock(ctx, store.LockMailBounds, ""); err != nil {
			return err
		}
		now := time.Now().UTC()
		since := now.Add(-24 * time.Hour)
		if _, err := n.db.Repo().DeleteAny(ctx, rel.From("data_requests").Where(where.Lt("created_at", since))); err != nil {
			return err
		}
		for _, k := range []struct {
			field, value string
			max          int
			err          error
		}{{"ip_hash", r.IPHash, b.Address, ErrTooManyRequests}, {"net_hash", r.NetHash, b.Network, ErrTooManyRequests},
			{"mailbox_hash", r.MailboxHash, b.Mailbox, ErrMailboxBound}} {
			if k.value == "" {
				continue
			}
			c, err := n.db.Repo().Count(ctx, "data_requests", where.Eq(k.field, k.value), where.Gte("created_at", since))
			if err != nil {
				return err
			}
			if c >= k.max && k.err == ErrMailboxBound {
				mailboxFull = true // still counted against the client's bounds below
			} else if c >= k.max {
				return k.err
			}
		}
		r.ID, r.CreatedAt = 0, now
		return n.db.Repo().Insert(ctx, &r)
	})
	if errors.Is(err, ErrTooManyRequests) {
		return err
	}
	if err == nil && mailboxFull {
		return ErrMailboxBound
	}
	return repo.Translate(err, "record a data request")
}
