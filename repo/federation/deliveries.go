package federation

import (
	"context"
	"errors"
	"time"

	"github.com/go-rel/rel"
	"github.com/go-rel/rel/where"

	"blog/repo"
	"blog/repo/internal/store"
)

// The states of a delivery.
const (
	StatusPending = "pending" // waiting for its (next) try
	StatusDone    = "done"    // the inbox took it
	StatusFailed  = "failed"  // given up: refused for good, or its server failed for too long
)

// Delivery is one activity for one inbox (a server's shared inbox when it has one, so a post reaches a server
// once however many of its people follow).
type Delivery struct {
	ID        int64
	Inbox     string
	Domain    string
	Activity  string
	Status    string
	Attempts  int
	NextTryAt time.Time
	LastError string
	CreatedAt time.Time
}

// Table names the table of Delivery for rel.
func (Delivery) Table() string { return "fed_deliveries" }

// Target is an inbox and its server's domain.
type Target struct{ Inbox, Domain string }

// Queue adds one delivery of activity to each target, inside the caller's transaction when there is one.
func (s *Store) Queue(ctx context.Context, targets []Target, activity []byte) error {
	now := time.Now().UTC()
	seen := map[string]bool{}
	for _, t := range targets {
		if seen[t.Inbox] || t.Inbox == "" {
			continue
		}
		seen[t.Inbox] = true
		d := Delivery{Inbox: t.Inbox, Domain: t.Domain, Activity: string(activity), Status: StatusPending, NextTryAt: now, CreatedAt: now}
		if err := s.db.Repo().Insert(ctx, &d); err != nil {
			return repo.Translate(err, "queue delivery")
		}
	}
	return nil
}

// queueToFollowers adds one delivery of activity to every follower's server in one statement: the shared inbox
// when the follower has one, its own inbox otherwise, each once.
func (s *Store) queueToFollowers(ctx context.Context, activity []byte) (int, error) {
	const insert = `INSERT INTO fed_deliveries (inbox, domain, activity, status, attempts, next_try_at, last_error, created_at)
SELECT t.inbox, MIN(t.domain), ?, 'pending', 0, ?, '', ?
FROM (SELECT CASE WHEN shared_inbox <> '' THEN shared_inbox ELSE inbox END AS inbox, domain FROM fed_followers) t
GROUP BY t.inbox`
	now := time.Now().UTC()
	_, n, err := s.db.Repo().Exec(ctx, s.db.Placeholders(insert), string(activity), now, now)
	return int(n), err
}

// QueueToFollowers adds one delivery of activity to every follower's server and returns how many were queued.
func (s *Store) QueueToFollowers(ctx context.Context, activity []byte) (int, error) {
	var n int
	err := s.db.Write(ctx, func(ctx context.Context) error {
		var err error
		n, err = s.queueToFollowers(ctx, activity)
		return err
	})
	return n, repo.Translate(err, "queue to followers")
}

// queueUnlessFollower queues activity to inbox, unless it is empty or a follower's server gets it already.
func (s *Store) queueUnlessFollower(ctx context.Context, inbox string, activity []byte) error {
	if inbox == "" {
		return nil
	}
	n, err := s.db.Repo().Count(ctx, "fed_followers", where.Eq("shared_inbox", inbox).Or(where.Eq("shared_inbox", "").AndEq("inbox", inbox)))
	if err != nil || n > 0 {
		return err
	}
	return s.Queue(ctx, []Target{{Inbox: inbox, Domain: hostOf(inbox)}}, activity)
}

// Due returns up to n pending deliveries whose time has come, oldest first.
func (s *Store) Due(ctx context.Context, now time.Time, n int) ([]Delivery, error) {
	var ds []Delivery
	err := s.db.Repo().FindAll(ctx, &ds, where.Eq("status", StatusPending).AndLte("next_try_at", now.UTC()),
		rel.SortAsc("next_try_at"), rel.Limit(n))
	return ds, repo.Translate(err, "due deliveries")
}

// Claim takes a due delivery until lease, so that no other worker or instance sends it meanwhile (and one that
// dies leaves it to be tried again); it counts the attempt. It reports false when another took it first.
func (s *Store) Claim(ctx context.Context, d Delivery, now, lease time.Time) (bool, error) {
	n, err := s.db.Repo().UpdateAny(ctx, rel.From("fed_deliveries").Where(where.Eq("id", d.ID), where.Eq("status", StatusPending),
		where.Lte("next_try_at", now.UTC())), rel.Set("next_try_at", lease.UTC()), rel.IncBy("attempts", 1))
	return n == 1, repo.Translate(err, "claim delivery")
}

// Finish records what became of a claimed delivery: done, failed, or pending again at next with its error.
// A delivery that is done keeps no copy of its activity.
func (s *Store) Finish(ctx context.Context, id int64, status string, next time.Time, lastErr string) error {
	mods := []rel.Mutate{rel.Set("status", status), rel.Set("next_try_at", next.UTC()), rel.Set("last_error", lastErr)}
	if status != StatusPending {
		mods = append(mods, rel.Set("activity", ""))
	}
	_, err := s.db.Repo().UpdateAny(ctx, rel.From("fed_deliveries").Where(where.Eq("id", id)), mods...)
	return repo.Translate(err, "finish delivery")
}

// Prune removes deliveries finished before cutoff.
func (s *Store) Prune(ctx context.Context, cutoff time.Time) (int, error) {
	n, err := s.db.Repo().DeleteAny(ctx, rel.From("fed_deliveries").Where(where.Ne("status", StatusPending), where.Lt("created_at", cutoff.UTC())))
	return n, repo.Translate(err, "prune deliveries")
}

// Counts returns how many deliveries are in each state.
func (s *Store) Counts(ctx context.Context) (map[string]int, error) {
	out := map[string]int{}
	for _, st := range []string{StatusPending, StatusDone, StatusFailed} {
		n, err := s.db.Repo().Count(ctx, "fed_deliveries", where.Eq("status", st))
		if err != nil {
			return nil, repo.Translate(err, "count deliveries")
		}
		out[st] = n
	}
	return out, nil
}

// postState is a post's announced state.
type postState struct {
	ID        int64
	PostID    int64
	URI       string
	Hash      string
	Gone      bool
	CreatedAt time.Time
	UpdatedAt time.Time
	// ReplyInbox is the inbox of the author a reply post answers (sent each activity besides the followers).
	ReplyInbox string
}

func (postState) Table() string { return "fed_posts" }

// The activities a post's announcement queues.
const (
	Create = "Create"
	Update = "Update"
	Delete = "Delete"
)

// Announce records a post's content (hash) as announced and queues its activity to every follower in the same
// transaction, once for the whole blog: Create the first time, Update when the hash changed (Create again
// when it had been deleted), nothing when it is as announced. activity makes the activity of a kind. It
// returns the kind queued ("" for none).
func (s *Store) Announce(ctx context.Context, postID int64, uri, hash string, activity func(kind string) ([]byte, error)) (string, error) {
	return s.AnnounceReply(ctx, postID, uri, hash, Target{}, activity)
}

// AnnounceReply is Announce for a post that replies to another's: reply, the inbox of the author it answers, gets
// the activity besides the followers (once, when that server follows the blog too), and is kept so that the
// post's deletion reaches it as well.
func (s *Store) AnnounceReply(ctx context.Context, postID int64, uri, hash string, reply Target, activity func(kind string) ([]byte, error)) (string, error) {
	kind := ""
	err := s.db.Write(ctx, func(ctx context.Context) error {
		kind = ""
		if err := s.db.Lock(ctx, store.LockFederation, "post"); err != nil {
			return err
		}
		var p postState
		now := time.Now().UTC()
		err := s.db.Repo().Find(ctx, &p, where.Eq("post_id", postID))
		switch {
		case errors.Is(err, rel.ErrNotFound):
			kind, p = Create, postState{PostID: postID, URI: uri, Hash: hash, CreatedAt: now, UpdatedAt: now, ReplyInbox: reply.Inbox}
			err = s.db.Repo().Insert(ctx, &p)
		case err != nil:
			return err
		case p.Gone:
			kind, p.Gone, p.Hash, p.URI, p.UpdatedAt, p.ReplyInbox = Create, false, hash, uri, now, reply.Inbox
			err = s.db.Repo().Update(ctx, &p)
		case p.Hash != hash:
			kind, p.Hash, p.URI, p.UpdatedAt = Update, hash, uri, now
			if reply.Inbox != "" || p.ReplyInbox == "" {
				p.ReplyInbox = reply.Inbox
			}
			err = s.db.Repo().Update(ctx, &p)
		default:
			return nil
		}
		if err != nil {
			return err
		}
		a, err := activity(kind)
		if err != nil {
			return err
		}
		if _, err = s.queueToFollowers(ctx, a); err != nil {
			return err
		}
		return s.queueUnlessFollower(ctx, p.ReplyInbox, a)
	})
	if err != nil {
		return "", repo.Translate(err, "announce post")
	}
	return kind, nil
}

// Announced returns the posts announced and not deleted since: post id to object id, and to the hash of what
// was announced.
func (s *Store) Announced(ctx context.Context) (uris, hashes map[int64]string, err error) {
	var ps []postState
	if err := s.db.Repo().FindAll(ctx, &ps, where.Eq("gone", false)); err != nil {
		return nil, nil, repo.Translate(err, "announced posts")
	}
	uris, hashes = make(map[int64]string, len(ps)), make(map[int64]string, len(ps))
	for _, p := range ps {
		uris[p.PostID], hashes[p.PostID] = p.URI, p.Hash
	}
	return uris, hashes, nil
}

// Withdraw marks an announced post deleted and queues activity (its Delete) to every follower, once for the
// whole blog; it reports whether it did.
func (s *Store) Withdraw(ctx context.Context, postID int64, activity []byte) (bool, error) {
	done := false
	err := s.db.Write(ctx, func(ctx context.Context) error {
		done = false
		if err := s.db.Lock(ctx, store.LockFederation, "post"); err != nil {
			return err
		}
		var p postState
		err := s.db.Repo().Find(ctx, &p, where.Eq("post_id", postID), where.Eq("gone", false))
		if errors.Is(err, rel.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		p.Gone, p.UpdatedAt = true, time.Now().UTC()
		if err := s.db.Repo().Update(ctx, &p); err != nil {
			return err
		}
		done = true
		if _, err = s.queueToFollowers(ctx, activity); err != nil {
			return err
		}
		return s.queueUnlessFollower(ctx, p.ReplyInbox, activity)
	})
	return done, repo.Translate(err, "withdraw post")
}

// SendOnce ties the blog's own comment to its object and queues activity to targets in one transaction, once
// for the whole blog: it reports false when the object was sent already.
func (s *Store) SendOnce(ctx context.Context, o Object, targets []Target, activity []byte) (bool, error) {
	sent := false
	err := s.db.Write(ctx, func(ctx context.Context) error {
		sent = false
		if err := s.db.Lock(ctx, store.LockFederation, "object "+o.URI); err != nil {
			return err
		}
		n, err := s.db.Repo().Count(ctx, "fed_objects", where.Eq("uri", o.URI))
		if err != nil || n > 0 {
			return err
		}
		o.ID, o.CreatedAt, o.Outgoing = 0, time.Now().UTC(), true
		if err := s.db.Repo().Insert(ctx, &o); err != nil {
			return err
		}
		sent = true
		return s.Queue(ctx, targets, activity)
	})
	if errors.Is(repo.Translate(err, ""), repo.ErrConflict) {
		return false, nil
	}
	return sent, repo.Translate(err, "send once")
}

// SetObjectComment ties a claimed object (SaveObject with no comment yet) to the comment it became.
func (s *Store) SetObjectComment(ctx context.Context, uri string, commentID int64) error {
	_, err := s.db.Repo().UpdateAny(ctx, rel.From("fed_objects").Where(where.Eq("uri", uri)), rel.Set("comment_id", commentID))
	return repo.Translate(err, "set object comment")
}

// DropObject forgets an object (a claim whose comment could not be made).
func (s *Store) DropObject(ctx context.Context, uri string) error {
	_, err := s.db.Repo().DeleteAny(ctx, rel.From("fed_objects").Where(where.Eq("uri", uri)))
	return repo.Translate(err, "drop object")
}

// Broadcast queues activity to every follower's server once for the whole blog, under key (an announcement
// such as a move, not tied to a post); it returns how many deliveries it queued (0 when it was sent before).
func (s *Store) Broadcast(ctx context.Context, key string, activity []byte) (int, error) {
	n := 0
	err := s.db.Write(ctx, func(ctx context.Context) error {
		n = 0
		if err := s.db.Lock(ctx, store.LockFederation, "object "+key); err != nil {
			return err
		}
		c, err := s.db.Repo().Count(ctx, "fed_objects", where.Eq("uri", key))
		if err != nil || c > 0 {
			return err
		}
		// Without followers there is no one to tell yet: nothing is recorded, so a later start tells them.
		if f, err := s.db.Repo().Count(ctx, "fed_followers"); err != nil || f == 0 {
			return err
		}
		if err := s.db.Repo().Insert(ctx, &Object{URI: key, Outgoing: true, CreatedAt: time.Now().UTC()}); err != nil {
			return err
		}
		n, err = s.queueToFollowers(ctx, activity)
		return err
	})
	if errors.Is(repo.Translate(err, ""), repo.ErrConflict) {
		return 0, nil
	}
	return n, repo.Translate(err, "broadcast")
}
