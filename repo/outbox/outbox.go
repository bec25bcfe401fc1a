// Package outbox holds the notification store: the outbox of mail and webhook messages written before they are
// sent (leased to one instance at a time, bounded per mailbox), the subscribers' choices about reply mail, and how
// far each post's change feed has been announced. The notify service uses it, and the handlers record
// subscribers' choices through it.
package outbox

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-rel/rel"
	"github.com/go-rel/rel/where"
	"golang.org/x/text/unicode/norm"

	"blog/database"
	"blog/repo"
	"blog/repo/discussion"
	"blog/repo/internal/store"
)

// The kinds of outbox message.
const (
	Mail    = "mail"
	Webhook = "webhook"
)

// Message is one message to send, written before it is sent. Dedupe names the event it is about
// ("reply:124"): an event is turned into a message once, whichever instance sees it first. A mail goes to
// Recipient; Mailbox is the mailbox that address reaches (see Mailbox), which the bounds count. A message is
// leased (ClaimedBy until ClaimedUntil) while one instance sends it, and marked sent (SentAt, Delivery), dropped
// unsent (SentAt without Delivery, LastError saying why) or failed for good (FailedAt) afterwards.
type Message struct {
	ID           int64
	Kind         string
	Topic        string
	Dedupe       string
	Recipient    string
	Mailbox      string
	Payload      string
	CommentID    int64
	Attempts     int
	NextAt       time.Time
	ClaimedUntil *time.Time
	ClaimedBy    *string
	SentAt       *time.Time
	Delivery     *string
	FailedAt     *time.Time
	LastError    *string
	CreatedAt    time.Time
}

func (Message) Table() string { return "outbox" }

// Subscriber is a mailbox that asked for reply notifications: confirmed once its owner followed the link sent
// to it, unsubscribed when they asked to stop. Email is the first address it was known by; the choice holds for
// every address that reaches the same Mailbox.
type Subscriber struct {
	ID             int64
	Email          string
	Mailbox        string
	ConfirmedAt    *time.Time
	UnsubscribedAt *time.Time
	CreatedAt      time.Time
}

// Active reports a mailbox that confirmed and has not unsubscribed since.
func (s Subscriber) Active() bool { return s.ConfirmedAt != nil && s.UnsubscribedAt == nil }

// Unsubscribed reports a mailbox that asked for no email at all (until it confirms again).
func (s Subscriber) Unsubscribed() bool { return s.UnsubscribedAt != nil }

// Mailbox returns the key of the mailbox an address reaches, which every mail bound and every unsubscribe
// counts by: the address in lower case, without the +tag of its local part (ada+blog@example.com reaches
// ada@example.com), and for gmail.com and googlemail.com (one service) without dots in the local part, which
// Gmail ignores. Dots are kept elsewhere: most providers treat a.b and ab as two people, and folding them would
// let one person's unsubscribe silence another.
func Mailbox(email string) string {
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

// Notifications stores the outbox, the subscribers and how far the change feed has been announced.
type Notifications struct {
	db *database.DB
}

// NewNotifications returns the notification store backed by db.
func NewNotifications(db *database.DB) *Notifications { return &Notifications{db: db} }

// PostsBehind returns the posts whose change feed has moved past what was announced.
func (n *Notifications) PostsBehind(ctx context.Context) ([]int64, error) {
	rows, err := n.db.SQL().QueryContext(ctx, `SELECT p.id FROM posts p LEFT JOIN notify_cursors c ON c.post_id = p.id
		WHERE p.last_seq > COALESCE(c.seq, 0) ORDER BY p.id`)
	if err != nil {
		return nil, repo.Translate(err, "find posts to announce")
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// Announce turns a post's next changes (at most limit) into messages, in one transaction that holds the post's
// cursor: decide receives the changes after it (each with its comment as it is now) and returns the messages;
// they are stored (a message whose Dedupe exists already is dropped) and the cursor moves past the changes.
// Instances announcing the same post wait for each other. It returns how many changes it handled.
func (n *Notifications) Announce(ctx context.Context, postID int64, limit int,
	decide func(ctx context.Context, changes []repo.Change) ([]Message, error)) (int, error) {
	handled := 0
	err := n.db.Write(ctx, func(ctx context.Context) error {
		insert := "INSERT INTO notify_cursors (post_id, seq) VALUES (?, 0) ON CONFLICT DO NOTHING"
		if _, _, err := n.db.Repo().Exec(ctx, n.db.Placeholders(insert), postID); err != nil {
			return err
		}
		q := n.db.ForUpdate(rel.Select("seq").From("notify_cursors").Where(where.Eq("post_id", postID)))
		var cur struct{ Seq int64 }
		if err := n.db.Repo().Find(ctx, &cur, q); err != nil {
			return err
		}
		changes, err := discussion.NewComments(n.db).FindChanges(ctx, postID, cur.Seq, limit)
		if err != nil || len(changes) == 0 {
			return err
		}
		msgs, err := decide(ctx, changes)
		if err != nil {
			return err
		}
		now := time.Now().UTC()
		for _, m := range msgs {
			if m.NextAt.IsZero() {
				m.NextAt = now
			}
			if m.Kind == Mail {
				m.Mailbox = Mailbox(m.Recipient)
			}
			if _, _, err := n.db.Repo().Exec(ctx, n.db.Placeholders(`INSERT INTO outbox (kind, topic, dedupe, recipient, mailbox, payload,
				comment_id, attempts, next_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?) ON CONFLICT (dedupe) DO NOTHING`),
				m.Kind, m.Topic, m.Dedupe, m.Recipient, m.Mailbox, m.Payload, m.CommentID, m.NextAt.UTC(), now); err != nil {
				return err
			}
		}
		last := changes[len(changes)-1].Seq
		if _, err := n.db.Repo().UpdateAny(ctx, rel.From("notify_cursors").Where(where.Eq("post_id", postID)), rel.Set("seq", last)); err != nil {
			return err
		}
		handled = len(changes)
		return nil
	})
	return handled, repo.Translate(err, "announce changes")
}

// importedRow is a row of imported_comments (written by repo/transfer), read here to leave imported comments
// unannounced.
type importedRow struct {
	ID         int64
	SourceKey  string
	CommentID  int64
	ImportedAt time.Time
}

func (importedRow) Table() string { return "imported_comments" }

// Imported returns which of these comments came from an import (they are never announced).
func (n *Notifications) Imported(ctx context.Context, ids []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []importedRow
	if err := n.db.Repo().FindAll(ctx, &rows, rel.Where(store.InIDs("comment_id", store.UniqueIDs(ids)))); err != nil {
		return nil, repo.Translate(err, "find imported comments")
	}
	for _, r := range rows {
		out[r.CommentID] = true
	}
	return out, nil
}

// due is the condition of a message waiting to be sent now.
func due(now time.Time) rel.FilterQuery {
	return where.Nil("sent_at").AndNil("failed_at").AndLte("next_at", now).
		And(where.Or(where.Nil("claimed_until"), where.Lt("claimed_until", now)))
}

// Claim leases the oldest message that is due to `by` for lease, with, for mail, every other message due to
// the same recipient (so that they go as one). Concurrent instances never claim the same message.
func (n *Notifications) Claim(ctx context.Context, by string, lease time.Duration) ([]Message, error) {
	var out []Message
	err := n.db.Write(ctx, func(ctx context.Context) error {
		now := time.Now().UTC()
		q := n.db.ForUpdateSkipLocked(rel.Where(due(now)).SortAsc("id").Limit(1))
		var first []Message
		if err := n.db.Repo().FindAll(ctx, &first, q); err != nil || len(first) == 0 {
			return err
		}
		out = first
		if first[0].Kind == Mail {
			q := n.db.ForUpdateSkipLocked(rel.Where(due(now), where.Eq("kind", Mail), where.Eq("recipient", first[0].Recipient),
				where.Ne("id", first[0].ID)).SortAsc("id").Limit(100))
			var more []Message
			if err := n.db.Repo().FindAll(ctx, &more, q); err != nil {
				return err
			}
			out = append(out, more...)
		}
		until := now.Add(lease)
		_, err := n.db.Repo().UpdateAny(ctx, rel.From("outbox").Where(store.InIDs("id", ids(out))),
			rel.Set("claimed_until", until), rel.Set("claimed_by", by))
		return err
	})
	return out, repo.Translate(err, "claim messages")
}

func ids(ms []Message) []int64 {
	out := make([]int64, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

// ErrLeaseLost means another instance took over messages whose lease ran out.
var ErrLeaseLost = errors.New("lease lost")

// MarkSent records messages as sent as one delivery.
func (n *Notifications) MarkSent(ctx context.Context, ms []Message, by, delivery string) error {
	return n.release(ctx, ms, by, rel.Set("sent_at", time.Now().UTC()), rel.Set("delivery", delivery))
}

// Retry records a failed attempt: the messages are tried again at next, or, when failed is set, never again.
func (n *Notifications) Retry(ctx context.Context, ms []Message, by string, next time.Time, errText string, failed bool) error {
	muts := []rel.Mutate{rel.Inc("attempts"), rel.Set("next_at", next.UTC()), rel.Set("last_error", errText)}
	if failed {
		muts = append(muts, rel.Set("failed_at", time.Now().UTC()))
	}
	return n.release(ctx, ms, by, muts...)
}

// Drop marks messages done without sending them, saying why (the mailbox unsubscribed after they were written).
// They are not deliveries: no bound counts them.
func (n *Notifications) Drop(ctx context.Context, ms []Message, by, why string) error {
	return n.release(ctx, ms, by, rel.Set("sent_at", time.Now().UTC()), rel.Set("last_error", why))
}

// Postpone hands messages back without an attempt, to be sent at next (a recipient's hourly bound).
func (n *Notifications) Postpone(ctx context.Context, ms []Message, by string, next time.Time) error {
	return n.release(ctx, ms, by, rel.Set("next_at", next.UTC()))
}

func (n *Notifications) release(ctx context.Context, ms []Message, by string, muts ...rel.Mutate) error {
	muts = append(muts, rel.Set("claimed_until", nil), rel.Set("claimed_by", nil))
	count, err := n.db.Repo().UpdateAny(ctx, rel.From("outbox").Where(store.InIDs("id", ids(ms)), where.Eq("claimed_by", by)), muts...)
	if err != nil {
		return repo.Translate(err, "update messages")
	}
	if count != len(ms) {
		return ErrLeaseLost
	}
	return nil
}

// Deliveries returns the times of the deliveries (messages actually sent, a digest counting once) to the
// mailbox an address reaches, whatever spelling they were sent to, since a moment, oldest first.
func (n *Notifications) Deliveries(ctx context.Context, email string, since time.Time) ([]time.Time, error) {
	var sent []Message
	q := rel.Select("delivery", "sent_at").Where(where.Eq("mailbox", Mailbox(email)), where.Gte("sent_at", since.UTC())).SortAsc("sent_at")
	if err := n.db.Repo().FindAll(ctx, &sent, q); err != nil {
		return nil, repo.Translate(err, "find deliveries")
	}
	seen := map[string]bool{}
	var out []time.Time
	for _, m := range sent {
		if m.Delivery == nil || seen[*m.Delivery] {
			continue
		}
		seen[*m.Delivery] = true
		out = append(out, m.SentAt.UTC())
	}
	return out, nil
}

// OutboxCounts returns how many messages wait to be sent and how many failed for good.
func (n *Notifications) OutboxCounts(ctx context.Context) (pending, failed int, err error) {
	if pending, err = n.db.Repo().Count(ctx, "outbox", where.Nil("sent_at"), where.Nil("failed_at")); err != nil {
		return 0, 0, repo.Translate(err, "count outbox")
	}
	failed, err = n.db.Repo().Count(ctx, "outbox", where.NotNil("failed_at"))
	return pending, failed, repo.Translate(err, "count outbox")
}

// Messages returns the outbox, oldest first (for tests and the operator).
func (n *Notifications) Messages(ctx context.Context) ([]Message, error) {
	var out []Message
	err := n.db.Repo().FindAll(ctx, &out, rel.SortAsc("id"))
	return out, repo.Translate(err, "list outbox")
}

// Subscriber returns what the mailbox an address reaches chose about reply notifications.
func (n *Notifications) Subscriber(ctx context.Context, email string) (Subscriber, bool, error) {
	var s Subscriber
	key := Mailbox(email)
	err := n.db.Repo().Find(ctx, &s, where.Eq("mailbox", key))
	if errors.Is(err, rel.ErrNotFound) {
		return Subscriber{Email: email, Mailbox: key}, false, nil
	}
	return s, err == nil, repo.Translate(err, "find subscriber")
}

// Confirm records that the mailbox an address reaches wants reply notifications (ending an earlier
// unsubscribe). Only a signed link mailed to that mailbox may lead here.
func (n *Notifications) Confirm(ctx context.Context, email string) error {
	now := time.Now().UTC()
	return n.setSubscriber(ctx, email, rel.Set("confirmed_at", now), rel.Set("unsubscribed_at", nil))
}

// Unsubscribe records that the mailbox an address reaches wants no email at all, confirmations included, until
// it confirms again.
func (n *Notifications) Unsubscribe(ctx context.Context, email string) error {
	now := time.Now().UTC()
	return n.setSubscriber(ctx, email, rel.Set("unsubscribed_at", now), rel.Set("confirmed_at", nil))
}

func (n *Notifications) setSubscriber(ctx context.Context, email string, muts ...rel.Mutate) error {
	key := Mailbox(email)
	err := n.db.Write(ctx, func(ctx context.Context) error {
		insert := "INSERT INTO subscribers (email, mailbox, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
		if _, _, err := n.db.Repo().Exec(ctx, n.db.Placeholders(insert), email, key, time.Now().UTC()); err != nil {
			return err
		}
		count, err := n.db.Repo().UpdateAny(ctx, rel.From("subscribers").Where(where.Eq("mailbox", key)), muts...)
		if err == nil && count != 1 {
			// Never a choice silently lost: an unsubscribe that did not land must say so.
			err = fmt.Errorf("no subscriber row for mailbox %q", key)
		}
		return err
	})
	return repo.Translate(err, "update subscriber")
}

// MessageFilter selects outbox messages of one topic written since a moment, of one mailbox, or caused by
// comments posted from one client address (IPHash) or network (NetHash).
type MessageFilter struct {
	Topic                    string
	Since                    time.Time
	Mailbox, IPHash, NetHash string
}

// CountMessages counts the messages a filter selects, sent or not.
func (n *Notifications) CountMessages(ctx context.Context, f MessageFilter) (int, error) {
	q := []rel.Querier{where.Eq("outbox.topic", f.Topic), where.Gte("outbox.created_at", f.Since.UTC())}
	if f.Mailbox != "" {
		q = append(q, where.Eq("outbox.mailbox", f.Mailbox))
	}
	if f.IPHash != "" || f.NetHash != "" {
		q = append(q, rel.JoinOn("comments", "comments.id", "outbox.comment_id"))
	}
	if f.IPHash != "" {
		q = append(q, where.Eq("comments.ip_hash", f.IPHash))
	}
	if f.NetHash != "" {
		q = append(q, where.Eq("comments.net_hash", f.NetHash))
	}
	count, err := n.db.Repo().Count(ctx, "outbox", q...)
	return count, repo.Translate(err, "count messages")
}

// LockBounds makes announcements that count messages against a bound (CountMessages) take turns on
// PostgreSQL: called inside Announce's decide, it holds until the announcement commits, so an instance that
// counts after another one sees the messages the other wrote. SQLite needs none: its writers take turns.
func (n *Notifications) LockBounds(ctx context.Context) error {
	return repo.Translate(n.db.Lock(ctx, store.LockMailBounds, ""), "lock mail bounds")
}
