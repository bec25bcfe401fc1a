// Package subscribers holds posts by email: the readers who asked for new posts (double opt-in, per mailbox),
// the record of each post announced (once for the whole blog, with the mail every subscriber of that moment is
// sent), the day of subscribe requests the bounds count, and when the feature first ran. The mail itself goes
// through the notification outbox (repo/outbox), written in the same transaction that records the announcement.
package subscribers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-rel/rel"
	"github.com/go-rel/rel/where"

	"blog/database"
	"blog/repo"
	"blog/repo/internal/store"
	"blog/repo/outbox"
)

// The outbox topics of posts by email: the confirmation a subscribe request sends, and a post's mail.
const (
	TopicConfirm = "letter-confirm"
	TopicPost    = "newsletter"
)

// Subscriber is a mailbox that asked for new posts by email: confirmed once its owner pressed the button of the
// page its confirmation link opens, unsubscribed when they asked to stop. Email is the address it was first
// known by; the choice holds for every spelling that reaches the same Mailbox (outbox.Mailbox). Source says
// where it came from: "form", or the service it was imported from.
type Subscriber struct {
	ID             int64
	Email          string
	Mailbox        string
	Source         string
	ConfirmedAt    *time.Time
	UnsubscribedAt *time.Time
	CreatedAt      time.Time
}

func (Subscriber) Table() string { return "newsletter_subscribers" }

// Active reports a subscriber that confirmed and has not unsubscribed since.
func (s Subscriber) Active() bool { return s.ConfirmedAt != nil && s.UnsubscribedAt == nil }

// Letter is one post's announcement: the mail sent to every subscriber confirmed when it was made, with
// "{{unsubscribe}}" where each recipient's own unsubscribe address goes.
type Letter struct {
	PostID      int64
	Slug        string
	Subject     string
	Text        string
	HTML        string
	Recipients  int
	AnnouncedAt time.Time
}

func (Letter) Table() string { return "newsletter_posts" }

// Unsubscribe is the placeholder a Letter's text and HTML hold for the recipient's unsubscribe address.
const Unsubscribe = "{{unsubscribe}}"

type request struct {
	ID        int64
	IPHash    string
	NetHash   string
	CreatedAt time.Time
}

func (request) Table() string { return "newsletter_requests" }

type start struct {
	ID        int
	StartedAt time.Time
}

func (start) Table() string { return "newsletter_start" }

// Store reads and writes the subscribers, the announcements and the requests.
type Store struct{ db *database.DB }

// New returns the store backed by db.
func New(db *database.DB) *Store { return &Store{db: db} }

// Started returns when posts by email first ran on this blog (recording now, the first time): posts dated
// before it are never mailed, so turning the feature on does not mail the archive.
func (s *Store) Started(ctx context.Context) (time.Time, error) {
	var st start
	err := s.db.Write(ctx, func(ctx context.Context) error {
		insert := "INSERT INTO newsletter_start (id, started_at) VALUES (1, ?) ON CONFLICT DO NOTHING"
		if _, _, err := s.db.Repo().Exec(ctx, s.db.Placeholders(insert), time.Now().UTC()); err != nil {
			return err
		}
		return s.db.Repo().Find(ctx, &st, where.Eq("id", 1))
	})
	return st.StartedAt.UTC(), repo.Translate(err, "read when posts by email started")
}

// Find returns the subscriber the mailbox an address reaches is (found false: none).
func (s *Store) Find(ctx context.Context, email string) (Subscriber, bool, error) {
	var sub Subscriber
	err := s.db.Repo().Find(ctx, &sub, where.Eq("mailbox", outbox.Mailbox(email)))
	if errors.Is(err, rel.ErrNotFound) {
		return Subscriber{Email: email, Mailbox: outbox.Mailbox(email)}, false, nil
	}
	return sub, err == nil, repo.Translate(err, "find a subscriber")
}

// Bounds are the most confirmation mails a mailbox receives, and the most subscribe requests a client address
// and a network make, in 24 hours.
type Bounds struct{ Mailbox, Address, Network int }

// ErrTooMany is a subscribe request past its client's bound (address or network).
var ErrTooMany = errors.New("too many subscribe requests from this connection today")

// Ask records a subscribe request for an address from a client (keyed hashes of its address and network) and,
// when the mailbox may be asked, queues the confirmation mail that confirm builds, all in one transaction. It
// returns ErrTooMany past the client's bounds (nothing written) and otherwise nil, whether a mail was queued or
// not: nothing is sent to a mailbox that is subscribed already, that said "never" to the blog's mail, or that
// had its confirmation in the last day, and the answer does not tell which.
func (s *Store) Ask(ctx context.Context, email, ipHash, netHash string, b Bounds, confirm func() outbox.Message) (queued bool, err error) {
	key := outbox.Mailbox(email)
	err = s.db.Write(ctx, func(ctx context.Context) error {
		queued = false
		if err := s.db.Lock(ctx, store.LockNewsletter, ""); err != nil {
			return err
		}
		now := time.Now().UTC()
		since := now.Add(-24 * time.Hour)
		if _, err := s.db.Repo().DeleteAny(ctx, rel.From("newsletter_requests").Where(where.Lt("created_at", since))); err != nil {
			return err
		}
		for _, k := range []struct {
			field, value string
			max          int
		}{{"ip_hash", ipHash, b.Address}, {"net_hash", netHash, b.Network}} {
			if k.value == "" {
				continue
			}
			n, err := s.db.Repo().Count(ctx, "newsletter_requests", where.Eq(k.field, k.value), where.Gte("created_at", since))
			if err != nil {
				return err
			}
			if n >= k.max {
				return ErrTooMany
			}
		}
		if err := s.db.Repo().Insert(ctx, &request{IPHash: ipHash, NetHash: netHash, CreatedAt: now}); err != nil {
			return err
		}
		insert := "INSERT INTO newsletter_subscribers (email, mailbox, source, created_at) VALUES (?, ?, 'form', ?) ON CONFLICT DO NOTHING"
		if _, _, err := s.db.Repo().Exec(ctx, s.db.Placeholders(insert), email, key, now); err != nil {
			return err
		}
		var sub Subscriber
		if err := s.db.Repo().Find(ctx, &sub, where.Eq("mailbox", key)); err != nil {
			return err
		}
		if sub.Active() {
			return nil
		}
		never, err := s.db.Repo().Count(ctx, "subscribers", where.Eq("mailbox", key), where.NotNil("unsubscribed_at"))
		if err != nil || never > 0 {
			return err
		}
		sent, err := s.db.Repo().Count(ctx, "outbox", where.Eq("topic", TopicConfirm), where.Eq("mailbox", key), where.Gte("created_at", since))
		if err != nil || sent >= b.Mailbox {
			return err
		}
		m := confirm()
		m.Topic, m.Mailbox, m.NextAt, m.CreatedAt = TopicConfirm, key, now, now
		if err := s.db.Repo().Insert(ctx, &m); err != nil {
			return err
		}
		queued = true
		return nil
	})
	if errors.Is(err, ErrTooMany) {
		return false, err
	}
	return queued, repo.Translate(err, "record a subscribe request")
}

// Confirm records that the mailbox an address reaches wants new posts by email (ending an earlier unsubscribe).
// Only the page a signed link mailed to that mailbox opens may lead here. A mailbox confirmed already keeps its
// time: posts announced since then are its.
func (s *Store) Confirm(ctx context.Context, email string) error {
	now := time.Now().UTC()
	return s.set(ctx, email, "form", func(sub Subscriber) []rel.Mutate {
		if sub.Active() {
			return nil
		}
		return []rel.Mutate{rel.Set("confirmed_at", now), rel.Set("unsubscribed_at", nil)}
	})
}

// Unsubscribe records that the mailbox an address reaches wants no more posts by email, and drops the post mail
// still waiting for it (a post's mail is spread over time: an unsubscribe in between stops the rest).
func (s *Store) Unsubscribe(ctx context.Context, email string) error {
	now := time.Now().UTC()
	return s.set(ctx, email, "form", func(sub Subscriber) []rel.Mutate {
		if sub.UnsubscribedAt != nil {
			return nil
		}
		return []rel.Mutate{rel.Set("unsubscribed_at", now), rel.Set("confirmed_at", nil)}
	})
}

// set applies a change to the subscriber of a mailbox (made first when new) in one transaction; an
// unsubscribed mailbox's waiting post mail is marked done unsent on the way.
func (s *Store) set(ctx context.Context, email, source string, change func(Subscriber) []rel.Mutate) error {
	key := outbox.Mailbox(email)
	err := s.db.Write(ctx, func(ctx context.Context) error {
		now := time.Now().UTC()
		insert := "INSERT INTO newsletter_subscribers (email, mailbox, source, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING"
		if _, _, err := s.db.Repo().Exec(ctx, s.db.Placeholders(insert), email, key, source, now); err != nil {
			return err
		}
		var sub Subscriber
		if err := s.db.Repo().Find(ctx, &sub, where.Eq("mailbox", key)); err != nil {
			return err
		}
		if muts := change(sub); len(muts) > 0 {
			if _, err := s.db.Repo().UpdateAny(ctx, rel.From("newsletter_subscribers").Where(where.Eq("id", sub.ID)), muts...); err != nil {
				return err
			}
		}
		if err := s.db.Repo().Find(ctx, &sub, where.Eq("id", sub.ID)); err != nil {
			return err
		}
		if sub.UnsubscribedAt == nil {
			return nil
		}
		_, err := s.db.Repo().UpdateAny(ctx, rel.From("outbox").Where(where.Eq("topic", TopicPost), where.Eq("mailbox", key),
			where.Nil("sent_at"), where.Nil("failed_at"), where.Or(where.Nil("claimed_until"), where.Lt("claimed_until", now))),
			rel.Set("sent_at", now), rel.Set("last_error", "not sent: the mailbox unsubscribed from new posts"))
		return err
	})
	return repo.Translate(err, "update a subscriber")
}

// Forget removes the subscription of the mailbox an address reaches (an erasure of what is held about it; its
// mail in the outbox is the outbox's to forget). It returns how many rows went.
func (s *Store) Forget(ctx context.Context, email string) (int, error) {
	n, err := s.db.Repo().DeleteAny(ctx, rel.From("newsletter_subscribers").Where(where.Eq("mailbox", outbox.Mailbox(email))))
	return n, repo.Translate(err, "forget a subscriber")
}

// Counts is how many subscribers are confirmed, waiting to confirm, and unsubscribed.
type Counts struct{ Confirmed, Waiting, Unsubscribed int }

// Count returns the subscribers by state.
func (s *Store) Count(ctx context.Context) (Counts, error) {
	var c Counts
	var err error
	r := s.db.Repo()
	if c.Confirmed, err = r.Count(ctx, "newsletter_subscribers", where.NotNil("confirmed_at")); err != nil {
		return c, repo.Translate(err, "count subscribers")
	}
	if c.Unsubscribed, err = r.Count(ctx, "newsletter_subscribers", where.NotNil("unsubscribed_at")); err != nil {
		return c, repo.Translate(err, "count subscribers")
	}
	c.Waiting, err = r.Count(ctx, "newsletter_subscribers", where.Nil("confirmed_at"), where.Nil("unsubscribed_at"))
	return c, repo.Translate(err, "count subscribers")
}

// List returns every subscriber, oldest first.
func (s *Store) List(ctx context.Context) ([]Subscriber, error) {
	var out []Subscriber
	err := s.db.Repo().FindAll(ctx, &out, rel.SortAsc("id"))
	return out, repo.Translate(err, "list subscribers")
}

// Import adds subscribers, all or none, each with its state and times as given. A mailbox known already keeps
// its row, but an unsubscribe in the file wins over a confirmation in the database, and a confirmation in the
// file starts a mailbox that had none (never one that unsubscribed here). It returns how many rows were added
// and how many changed.
func (s *Store) Import(ctx context.Context, subs []Subscriber) (added, changed int, err error) {
	err = s.db.Write(ctx, func(ctx context.Context) error {
		added, changed = 0, 0
		for _, in := range subs {
			in.Mailbox = outbox.Mailbox(in.Email)
			var cur Subscriber
			err := s.db.Repo().Find(ctx, &cur, where.Eq("mailbox", in.Mailbox))
			if errors.Is(err, rel.ErrNotFound) {
				in.ID = 0
				if err := s.db.Repo().Insert(ctx, &in); err != nil {
					return fmt.Errorf("%s: %w", in.Email, err)
				}
				added++
				continue
			}
			if err != nil {
				return err
			}
			var muts []rel.Mutate
			switch {
			case in.UnsubscribedAt != nil && cur.UnsubscribedAt == nil:
				muts = []rel.Mutate{rel.Set("unsubscribed_at", in.UnsubscribedAt.UTC()), rel.Set("confirmed_at", nil)}
			case in.ConfirmedAt != nil && cur.ConfirmedAt == nil && cur.UnsubscribedAt == nil:
				muts = []rel.Mutate{rel.Set("confirmed_at", in.ConfirmedAt.UTC())}
			}
			if len(muts) > 0 {
				if _, err := s.db.Repo().UpdateAny(ctx, rel.From("newsletter_subscribers").Where(where.Eq("id", cur.ID)), muts...); err != nil {
					return err
				}
				changed++
			}
		}
		return nil
	})
	return added, changed, repo.Translate(err, "import subscribers")
}

// AnnouncedPosts returns the ids of the posts announced already.
func (s *Store) AnnouncedPosts(ctx context.Context) (map[int64]bool, error) {
	var rows []Letter
	err := s.db.Repo().FindAll(ctx, &rows, rel.Select("post_id"))
	out := make(map[int64]bool, len(rows))
	for _, r := range rows {
		out[r.PostID] = true
	}
	return out, repo.Translate(err, "list announced posts")
}

// FindLetter returns a post's announcement.
func (s *Store) FindLetter(ctx context.Context, postID int64) (Letter, error) {
	var l Letter
	err := s.db.Repo().Find(ctx, &l, where.Eq("post_id", postID))
	return l, repo.Translate(err, "find a post's mail")
}

// batch is how many outbox rows one INSERT writes.
const batch = 500

// Announce records a post's announcement and queues its mail to every subscriber confirmed now, in one
// transaction: the announcement's row is unique per post, so however many instances (or restarts) try, the mail
// is queued once. message builds a subscriber's outbox row (its payload names the letter); the rows are spread
// one every `every` after the last post mail already waiting (MAIL_PER_MINUTE), so a second post queues behind
// the first. Mailboxes that told the blog "never" are left out. It returns how many mails were queued and
// whether this call made the announcement (false: it was made before).
func (s *Store) Announce(ctx context.Context, l Letter, every time.Duration, message func(Subscriber) outbox.Message) (int, bool, error) {
	queued, made := 0, false
	err := s.db.Write(ctx, func(ctx context.Context) error {
		queued, made = 0, false
		if err := s.db.Lock(ctx, store.LockNewsletter, ""); err != nil {
			return err
		}
		now := time.Now().UTC()
		insert := `INSERT INTO newsletter_posts (post_id, slug, subject, text, html, recipients, announced_at)
			VALUES (?, ?, ?, ?, ?, 0, ?) ON CONFLICT DO NOTHING`
		_, n, err := s.db.Repo().Exec(ctx, s.db.Placeholders(insert), l.PostID, l.Slug, l.Subject, l.Text, l.HTML, now)
		if err != nil || n == 0 {
			return err
		}
		made = true
		never, err := s.neverMailboxes(ctx)
		if err != nil {
			return err
		}
		next, err := s.nextSlot(ctx, now, every)
		if err != nil {
			return err
		}
		// A batch of subscribers at a time (by id), so that memory does not grow with the list.
		var after int64
		for {
			var subs []Subscriber
			q := rel.Where(where.NotNil("confirmed_at"), where.Nil("unsubscribed_at"), where.Lte("confirmed_at", now),
				where.Gt("id", after)).SortAsc("id").Limit(batch)
			if err := s.db.Repo().FindAll(ctx, &subs, q); err != nil {
				return err
			}
			rows := make([]outbox.Message, 0, len(subs))
			for _, sub := range subs {
				after = sub.ID
				if never[sub.Mailbox] {
					continue
				}
				m := message(sub)
				m.Kind, m.Topic, m.Mailbox, m.NextAt, m.CreatedAt = outbox.Mail, TopicPost, sub.Mailbox, next, now
				rows = append(rows, m)
				next = next.Add(every)
			}
			if len(rows) > 0 {
				if err := s.insertMessages(ctx, rows); err != nil {
					return err
				}
			}
			queued += len(rows)
			if len(subs) < batch {
				break
			}
		}
		_, err = s.db.Repo().UpdateAny(ctx, rel.From("newsletter_posts").Where(where.Eq("post_id", l.PostID)), rel.Set("recipients", queued))
		return err
	})
	return queued, made, repo.Translate(err, "announce a post by email")
}

// neverMailboxes returns the mailboxes that asked the blog for no email at all (notify's "Stop all email").
func (s *Store) neverMailboxes(ctx context.Context) (map[string]bool, error) {
	var rows []outbox.Subscriber
	if err := s.db.Repo().FindAll(ctx, &rows, rel.Select("mailbox").Where(where.NotNil("unsubscribed_at"))); err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(rows))
	for _, r := range rows {
		out[r.Mailbox] = true
	}
	return out, nil
}

// nextSlot is when the next post mail may go: now, or one interval after the last one still waiting.
func (s *Store) nextSlot(ctx context.Context, now time.Time, every time.Duration) (time.Time, error) {
	var last []outbox.Message
	q := rel.Select("next_at").Where(where.Eq("topic", TopicPost), where.Nil("sent_at"), where.Nil("failed_at")).SortDesc("next_at").Limit(1)
	if err := s.db.Repo().FindAll(ctx, &last, q); err != nil {
		return now, err
	}
	if len(last) == 1 && !last[0].NextAt.Add(every).Before(now) {
		return last[0].NextAt.Add(every).UTC(), nil
	}
	return now, nil
}

// insertMessages writes outbox rows with one statement; a row whose dedupe exists already is left out.
func (s *Store) insertMessages(ctx context.Context, ms []outbox.Message) error {
	var b strings.Builder
	b.WriteString("INSERT INTO outbox (kind, topic, dedupe, recipient, mailbox, payload, comment_id, attempts, next_at, created_at) VALUES ")
	args := make([]any, 0, len(ms)*8)
	for i, m := range ms {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?, ?, ?, ?, 0, 0, ?, ?)")
		args = append(args, m.Kind, m.Topic, m.Dedupe, m.Recipient, m.Mailbox, m.Payload, m.NextAt.UTC(), m.CreatedAt.UTC())
	}
	b.WriteString(" ON CONFLICT (dedupe) DO NOTHING")
	_, _, err := s.db.Repo().Exec(ctx, s.db.Placeholders(b.String()), args...)
	return err
}
