// Package mentions is the store of received Webmentions: each source and target's row in the verification
// queue (stored pending before the request is answered, so a restart loses none), what verification found, and
// the likes and reposts that are counted under a post. Replies and mentions become comments through moderation;
// their rows here keep the comment's id so that a re-sent or deleted source updates or removes it.
package mentions

import (
	"context"
	"errors"
	"time"

	"github.com/go-rel/rel"
	"github.com/go-rel/rel/where"

	"blog/database"
	"blog/repo"
	"blog/repo/federation"
	"blog/repo/internal/store"
)

// The states of a received mention.
const (
	StatusPending  = "pending"  // waiting for verification (again, when it was sent again)
	StatusVerified = "verified" // the source links to the target; Kind says how
	StatusFailed   = "failed"   // the source could not be fetched after every try
	StatusRemoved  = "removed"  // the source is gone or no longer links: its comment or count removed
)

// Webmention is one source's row for one target.
type Webmention struct {
	ID         int64
	Source     string
	Target     string
	PostID     int64
	Status     string
	Kind       string
	CommentID  *int64
	AuthorName string
	AuthorURL  string
	URL        string
	Attempts   int
	NextTryAt  time.Time
	LastError  string
	IPHash     string
	NetHash    string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Table names the table of Webmention for rel.
func (Webmention) Table() string { return "webmentions" }

// Store reads and writes received mentions.
type Store struct{ db *database.DB }

// New returns the store backed by db.
func New(db *database.DB) *Store { return &Store{db: db} }

// Received is a request that passed the endpoint's checks.
type Received struct {
	Source, Target  string
	PostID          int64
	IPHash, NetHash string
}

// MaxPending bounds the verification queue: past it, new requests are refused (ErrQueueFull) until it drains,
// so that senders at many addresses cannot make the blog hold an unbounded queue.
const MaxPending = 10000

// ErrQueueFull refuses a mention while MaxPending wait for verification.
var ErrQueueFull = errors.New("too many Webmentions are waiting for verification")

// Receive queues a mention for verification: a new row, or the existing one for the same source and target
// set pending again (a re-sent mention is verified again and updates what it became).
func (s *Store) Receive(ctx context.Context, r Received) (Webmention, error) {
	var w Webmention
	err := s.db.Write(ctx, func(ctx context.Context) error {
		if err := s.db.Lock(ctx, store.LockMention, r.Source+" "+r.Target); err != nil {
			return err
		}
		now := time.Now().UTC()
		err := s.db.Repo().Find(ctx, &w, rel.Where(where.Eq("source", r.Source), where.Eq("target", r.Target)))
		switch {
		case errors.Is(err, rel.ErrNotFound):
			w = Webmention{Source: r.Source, Target: r.Target, PostID: r.PostID, CreatedAt: now}
		case err != nil:
			return err
		}
		if w.Status != StatusPending {
			n, err := s.db.Repo().Count(ctx, "webmentions", where.Eq("status", StatusPending))
			if err != nil {
				return err
			}
			if n >= MaxPending {
				return ErrQueueFull
			}
		}
		w.Status, w.Attempts, w.NextTryAt, w.LastError = StatusPending, 0, now, ""
		w.IPHash, w.NetHash, w.UpdatedAt = r.IPHash, r.NetHash, now
		if w.ID == 0 {
			return s.db.Repo().Insert(ctx, &w)
		}
		return s.db.Repo().Update(ctx, &w)
	})
	if errors.Is(err, ErrQueueFull) {
		return Webmention{}, err
	}
	return w, repo.Translate(err, "receive webmention")
}

// Due returns up to n pending mentions whose time to be tried has come, oldest first.
func (s *Store) Due(ctx context.Context, now time.Time, n int) ([]Webmention, error) {
	var ws []Webmention
	err := s.db.Repo().FindAll(ctx, &ws, where.Eq("status", StatusPending).AndLte("next_try_at", now.UTC()),
		rel.SortAsc("next_try_at"), rel.Limit(n))
	return ws, repo.Translate(err, "due webmentions")
}

// Save writes what verification made of w, read when its UpdatedAt was read. A mention sent again while it was
// being verified stays pending (its row changed since it was read): the newer request is verified next, and
// only the comment this verification made or took away is kept with it.
func (s *Store) Save(ctx context.Context, w Webmention, read time.Time) (bool, error) {
	saved := false
	err := s.db.Write(ctx, func(ctx context.Context) error {
		if err := s.db.Lock(ctx, store.LockMention, w.Source+" "+w.Target); err != nil {
			return err
		}
		var now Webmention
		if err := s.db.Repo().Find(ctx, &now, where.Eq("id", w.ID)); err != nil {
			return err
		}
		if !now.UpdatedAt.Equal(read) || now.Attempts != w.Attempts { // queued again meanwhile (attempts back to 0)
			// The newer request is verified next, but what this verification did to the comments stands: the
			// comment it made (or took away) is the mention's, so that the next verification edits that comment
			// instead of making a second one.
			if sameID(now.CommentID, w.CommentID) {
				return nil
			}
			var id any
			if w.CommentID != nil {
				id = *w.CommentID
			}
			_, err := s.db.Repo().UpdateAny(ctx, rel.From("webmentions").Where(where.Eq("id", w.ID)), rel.Set("comment_id", id))
			return err
		}
		w.UpdatedAt = time.Now().UTC()
		saved = true
		if err := s.db.Repo().Update(ctx, &w); err != nil {
			return err
		}
		if counted(now) != counted(w) || (counted(w) != "" && now.AuthorName != w.AuthorName) {
			// The post's page shows the likes and reposts: a change in its feed renders the page again and carries
			// the new counts to its open streams, on every instance.
			_, err := repo.Record(ctx, s.db, w.PostID, 0, repo.ChangeMentioned, 0)
			return err
		}
		return nil
	})
	return saved, repo.Translate(err, "save webmention")
}

func sameID(a, b *int64) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }

// Claim takes a due mention for verification until lease: its next try is moved there (so another worker, or
// another instance, does not take it meanwhile, and a worker that dies leaves it to be tried again) and its
// attempts counted. It reports false when someone else claimed it first.
func (s *Store) Claim(ctx context.Context, w Webmention, now, lease time.Time) (bool, error) {
	n, err := s.db.Repo().UpdateAny(ctx, rel.From("webmentions").Where(where.Eq("id", w.ID), where.Eq("status", StatusPending),
		where.Lte("next_try_at", now.UTC())), rel.Set("next_try_at", lease.UTC()), rel.IncBy("attempts", 1))
	return n == 1, repo.Translate(err, "claim webmention")
}

// The kinds of mention counted under a post rather than shown as comments.
const (
	KindLike   = "like"
	KindRepost = "repost"
)

// counted reports a like or repost the post's page counts: verified, or verified before and sent again (it is
// pending with the kind it was found to be, and stays counted until verification says otherwise: a like sent
// again must not vanish meanwhile, and its removal must be seen as a change from counted to not).
func counted(w Webmention) string {
	if (w.Status == StatusVerified || w.Status == StatusPending) && (w.Kind == KindLike || w.Kind == KindRepost) {
		return w.Kind
	}
	return ""
}

// Find returns the mention by id.
func (s *Store) Find(ctx context.Context, id int64) (Webmention, error) {
	var w Webmention
	err := s.db.Repo().Find(ctx, &w, where.Eq("id", id))
	return w, repo.Translate(err, "find webmention")
}

// MaxFaces is how many names of people on other sites a post shows per kind; the rest are counted.
const MaxFaces = 12

// Elsewhere returns the likes and reposts other sites sent to a post, by Webmention and from the fediverse
// (federation's likes and boosts, whose kinds are named as these are): how many of each, and the newest
// MaxFaces people of each, those sent by Webmention first.
func (s *Store) Elsewhere(ctx context.Context, postID int64) (repo.Elsewhere, error) {
	var e repo.Elsewhere
	for _, k := range []struct {
		kind  string
		n     *int
		faces *[]repo.Face
	}{{KindLike, &e.Likes, &e.Likers}, {KindRepost, &e.Reposts, &e.Reposters}} {
		ws, total, err := s.Counted(ctx, postID, k.kind, MaxFaces)
		if err != nil {
			return repo.Elsewhere{}, err
		}
		*k.n = total
		for _, w := range ws {
			*k.faces = append(*k.faces, repo.Face{Name: w.AuthorName, URL: w.AuthorURL})
		}
		rs, total, err := federation.New(s.db).Reactions(ctx, postID, k.kind, MaxFaces-len(*k.faces))
		if err != nil {
			return repo.Elsewhere{}, err
		}
		*k.n += total
		for _, r := range rs {
			*k.faces = append(*k.faces, repo.Face{Name: r.Name, URL: r.ActorURI})
		}
	}
	return e, nil
}

// Counted returns a post's counted mentions of one kind (likes or reposts: verified, or sent again since; see
// counted), newest first, at most n, and how many there are in all.
func (s *Store) Counted(ctx context.Context, postID int64, kind string, n int) ([]Webmention, int, error) {
	q := where.Eq("post_id", postID).And(where.In("status", StatusVerified, StatusPending)).AndEq("kind", kind)
	total, err := s.db.Repo().Count(ctx, "webmentions", q)
	if err != nil {
		return nil, 0, repo.Translate(err, "count webmentions")
	}
	var ws []Webmention
	err = s.db.Repo().FindAll(ctx, &ws, q, rel.SortDesc("updated_at"), rel.Limit(n))
	return ws, total, repo.Translate(err, "counted webmentions")
}
