package mentions

import (
	"context"
	"errors"
	"time"

	"github.com/go-rel/rel"
	"github.com/go-rel/rel/where"

	"blog/repo"
	"blog/repo/internal/store"
)

// The states of a Webmention to send.
const (
	SendPending = "pending" // to be sent (again), at NextTryAt
	SendDone    = "sent"    // the endpoint accepted it (Answer is its status)
	SendNone    = "none"    // the page advertises no endpoint: nothing to send
	SendFailed  = "failed"  // every try failed
)

// Send is one post's (Source) notification of one page it links to, or linked to (Target).
type Send struct {
	ID          int64
	Source      string
	Target      string
	Linked      bool
	ContentHash string
	Status      string
	Attempts    int
	NextTryAt   time.Time
	Answer      int
	Endpoint    string
	LastError   string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Table names the table of Send for rel.
func (Send) Table() string { return "webmention_sends" }

// Sends is the outbox of Webmentions the blog sends.
type Sends struct{ s *Store }

// Sends returns the outbox of Webmentions to send, in the same database.
func (s *Store) Sends() *Sends { return &Sends{s: s} }

// Links brings the outbox in line with what source links to now (targets) at version hash: a new link, or a
// link kept while the post changed, is queued to be notified; a link no longer there is queued once too, so
// that its page can remove the mention. Nothing is queued for a post that did not change. It reports how many
// notifications it queued.
func (o *Sends) Links(ctx context.Context, source, hash string, targets []string) (int, error) {
	queued := 0
	err := o.s.db.Write(ctx, func(ctx context.Context) error {
		if err := o.s.db.Lock(ctx, store.LockMention, "send "+source); err != nil {
			return err
		}
		var rows []Send
		if err := o.s.db.Repo().FindAll(ctx, &rows, where.Eq("source", source)); err != nil {
			return err
		}
		now := time.Now().UTC()
		had := make(map[string]*Send, len(rows))
		for i := range rows {
			had[rows[i].Target] = &rows[i]
		}
		want := make(map[string]bool, len(targets))
		for _, t := range targets {
			want[t] = true
			r, ok := had[t]
			switch {
			case !ok:
				queued++
				row := Send{Source: source, Target: t, Linked: true, ContentHash: hash, Status: SendPending, NextTryAt: now,
					CreatedAt: now, UpdatedAt: now}
				if err := o.s.db.Repo().Insert(ctx, &row); err != nil {
					return err
				}
			case !r.Linked || r.ContentHash != hash:
				queued++
				if err := o.requeue(ctx, r, true, hash, now); err != nil {
					return err
				}
			}
		}
		for _, r := range rows {
			if r.Linked && !want[r.Target] {
				queued++
				if err := o.requeue(ctx, &r, false, hash, now); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return queued, repo.Translate(err, "queue webmentions to send")
}

func (o *Sends) requeue(ctx context.Context, r *Send, linked bool, hash string, now time.Time) error {
	r.Linked, r.ContentHash, r.Status, r.Attempts, r.NextTryAt, r.LastError, r.UpdatedAt = linked, hash, SendPending, 0, now, "", now
	return o.s.db.Repo().Update(ctx, r)
}

// LinkedSources lists the sources that link to something now: a post among them that is no longer published
// has its links notified as removed.
func (o *Sends) LinkedSources(ctx context.Context) ([]string, error) {
	var rows []Send
	if err := o.s.db.Repo().FindAll(ctx, &rows, where.Eq("linked", true), rel.Select("source")); err != nil {
		return nil, repo.Translate(err, "linked sources")
	}
	seen := map[string]bool{}
	var out []string
	for _, r := range rows {
		if !seen[r.Source] {
			seen[r.Source] = true
			out = append(out, r.Source)
		}
	}
	return out, nil
}

// Due returns up to n notifications whose time has come, oldest first.
func (o *Sends) Due(ctx context.Context, now time.Time, n int) ([]Send, error) {
	var rows []Send
	err := o.s.db.Repo().FindAll(ctx, &rows, where.Eq("status", SendPending).AndLte("next_try_at", now.UTC()),
		rel.SortAsc("next_try_at"), rel.Limit(n))
	return rows, repo.Translate(err, "due webmentions to send")
}

// Claim takes a due notification until lease, as Store.Claim does for received ones.
func (o *Sends) Claim(ctx context.Context, r Send, now, lease time.Time) (bool, error) {
	n, err := o.s.db.Repo().UpdateAny(ctx, rel.From("webmention_sends").Where(where.Eq("id", r.ID), where.Eq("status", SendPending),
		where.Lte("next_try_at", now.UTC())), rel.Set("next_try_at", lease.UTC()), rel.IncBy("attempts", 1))
	return n == 1, repo.Translate(err, "claim webmention to send")
}

// Save writes a notification's outcome, unless the post changed again meanwhile (its row was queued anew).
func (o *Sends) Save(ctx context.Context, r Send, read time.Time) error {
	err := o.s.db.Write(ctx, func(ctx context.Context) error {
		var now Send
		if err := o.s.db.Repo().Find(ctx, &now, where.Eq("id", r.ID)); err != nil {
			return err
		}
		if !now.UpdatedAt.Equal(read) || now.Attempts != r.Attempts { // queued again meanwhile (attempts back to 0)
			return nil
		}
		r.UpdatedAt = time.Now().UTC()
		return o.s.db.Repo().Update(ctx, &r)
	})
	if errors.Is(err, rel.ErrNotFound) {
		return nil
	}
	return repo.Translate(err, "save webmention sent")
}

// BySource lists what a post's notifications are, by target.
func (o *Sends) BySource(ctx context.Context, source string) ([]Send, error) {
	var rows []Send
	err := o.s.db.Repo().FindAll(ctx, &rows, where.Eq("source", source), rel.SortAsc("target"))
	return rows, repo.Translate(err, "webmentions sent")
}
