// Package tallies is the reaction store: a reader's reaction to a comment or a post given or taken back, the
// counts kept on the comment's or the post's row, the client's rate of reactions, and the counts the owner and
// the command line read. Every reaction records a change in its post's feed in the same transaction, so every
// open page shows the new counts; the feed's "reacted" changes are never turned into mail.
package tallies

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"time"

	"github.com/go-rel/rel"
	"github.com/go-rel/rel/where"

	"blog/database"
	"blog/repo"
	"blog/repo/internal/store"
)

// Store reads and writes reactions.
type Store struct{ db *database.DB }

// New returns the reaction store backed by db.
func New(db *database.DB) *Store { return &Store{db: db} }

// Toggle is one press of a reaction: a reader's kind of reaction to a comment (CommentID > 0) or to the post.
type Toggle struct {
	PostID, CommentID int64
	Kind              string
	Reader            string
	IPHash, NetHash   string
	// Limit, when set, refuses a new reaction (repo.RateLimitedError) when the same client reacted too often
	// lately. Taking one back is never refused.
	Limit *repo.RateLimit
}

// Result is what a toggle did: whether the reader's reaction is now on, the target's counts after it, and
// where the post's feed stands.
type Result struct {
	On    bool
	Tally repo.Tally
	Stamp repo.Stamp
}

// ErrNotShown refuses a reaction to a comment that readers do not see (held, removed, of another post, or not
// there).
var ErrNotShown = errors.New("this comment is not shown, so it takes no reactions")

// Toggle gives the reader's reaction, or takes it back when they have given it: one of each kind per reader
// and target. The reader's lock makes two presses at once count one after the other.
func (s *Store) Toggle(ctx context.Context, t Toggle) (Result, error) {
	if repo.ReactionIndex(t.Kind) < 0 || t.Reader == "" || t.PostID <= 0 || t.CommentID < 0 {
		return Result{}, errors.New("toggle a reaction: bad kind, reader or target")
	}
	var res Result
	err := s.db.Write(ctx, func(ctx context.Context) error {
		if err := s.db.Lock(ctx, store.LockReader, t.Reader); err != nil {
			return err
		}
		target := rel.From("posts").Where(where.Eq("id", t.PostID))
		if t.CommentID > 0 {
			c, err := repo.LockComment(ctx, s.db, t.CommentID)
			if errors.Is(err, rel.ErrNotFound) || err == nil && (c.PostID != t.PostID || !c.Visible()) {
				return ErrNotShown
			}
			if err != nil {
				return err
			}
			target = rel.From("comments").Where(where.Eq("id", t.CommentID))
		}
		var given repo.Reaction
		err := s.db.Repo().Find(ctx, &given, rel.Where(where.Eq("reader", t.Reader), where.Eq("post_id", t.PostID),
			where.Eq("comment_id", t.CommentID), where.Eq("kind", t.Kind), where.Nil("withdrawn_at")))
		now := time.Now().UTC()
		delta := 1
		switch {
		case err == nil:
			delta = -1
			if err := s.withdraw(ctx, given, t.Limit, now); err != nil {
				return err
			}
		case errors.Is(err, rel.ErrNotFound):
			if err := s.checkRate(ctx, t.Limit, now); err != nil {
				return err
			}
			r := repo.Reaction{PostID: t.PostID, CommentID: t.CommentID, Kind: t.Kind, Reader: t.Reader,
				IPHash: t.IPHash, NetHash: t.NetHash, CreatedAt: now}
			if err := s.db.Repo().Insert(ctx, &r); err != nil {
				return err
			}
		default:
			return err
		}
		n, err := s.db.Repo().UpdateAny(ctx, target, rel.IncBy(repo.ReactionColumn(t.Kind), delta), rel.IncBy("reactions", delta))
		if err != nil {
			return err
		}
		if n != 1 {
			return ErrNotShown
		}
		var counts repo.ReactionCounts
		if err := s.db.Repo().Find(ctx, &counts, target); err != nil {
			return err
		}
		st, err := repo.Record(ctx, s.db, t.PostID, t.CommentID, repo.ChangeReacted, 0)
		if err != nil {
			return err
		}
		res = Result{On: delta > 0, Tally: counts.Tally(), Stamp: st}
		return nil
	})
	var limited repo.RateLimitedError
	if errors.Is(err, ErrNotShown) || errors.As(err, &limited) {
		return Result{}, err
	}
	return res, repo.Translate(err, "toggle a reaction")
}

// withdraw takes a reaction back. While it still counts towards its client's rate it keeps its row, marked
// withdrawn, so reacting and taking back in a loop stays within the limit; afterwards the row goes.
func (s *Store) withdraw(ctx context.Context, r repo.Reaction, l *repo.RateLimit, now time.Time) error {
	if l == nil || r.CreatedAt.Before(now.Add(-l.Window)) {
		return s.db.Repo().Delete(ctx, &r)
	}
	_, err := s.db.Repo().UpdateAny(ctx, rel.From("reactions").Where(where.Eq("id", r.ID)), rel.Set("withdrawn_at", now))
	return err
}

// checkRate refuses a new reaction over its client's limit: counted in the database (every instance shares it),
// given or taken back alike, one after the other per client.
func (s *Store) checkRate(ctx context.Context, l *repo.RateLimit, now time.Time) error {
	return repo.CheckRate(ctx, s.db, store.LockReacting, "reactions", l, now)
}

// Given returns the reactions a reader has given on a post and not taken back (comment id 0: to the post).
// Tests read it; pages read the browser's record.
func (s *Store) Given(ctx context.Context, reader string, postID int64) ([]repo.Reaction, error) {
	var out []repo.Reaction
	err := s.db.Repo().FindAll(ctx, &out, rel.Where(where.Eq("reader", reader), where.Eq("post_id", postID), where.Nil("withdrawn_at")).SortAsc("id"))
	return out, repo.Translate(err, "read a reader's reactions")
}

// PostTally is one post's reactions and those of its comments, for the owner.
type PostTally struct {
	PostID   int64
	Slug     string
	Title    string
	Post     repo.Tally
	Comments int // reactions to its comments, all kinds
}

// Summary returns the posts that have reactions (to themselves or their comments), most first, at most limit.
func (s *Store) Summary(ctx context.Context, limit int) ([]PostTally, error) {
	var posts []repo.Post
	if err := s.db.Repo().FindAll(ctx, &posts); err != nil {
		return nil, repo.Translate(err, "read posts' reactions")
	}
	type sum struct {
		PostID int64
		Total  int
	}
	var sums []sum
	q := rel.Select("post_id", "^SUM(reactions) AS total").From("comments").Where(where.Gt("reactions", 0)).Group("post_id")
	if err := s.db.Repo().FindAll(ctx, &sums, q); err != nil {
		return nil, repo.Translate(err, "sum comments' reactions")
	}
	byPost := map[int64]int{}
	for _, x := range sums {
		byPost[x.PostID] = x.Total
	}
	var out []PostTally
	for _, p := range posts {
		if p.Reactions == 0 && byPost[p.ID] == 0 {
			continue
		}
		out = append(out, PostTally{PostID: p.ID, Slug: p.Slug, Title: p.Title, Post: p.Tally(), Comments: byPost[p.ID]})
	}
	slices.SortStableFunc(out, func(a, b PostTally) int {
		return cmp.Compare(b.Post.Total()+b.Comments, a.Post.Total()+a.Comments)
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// TopComments returns the published comments with the most reactions, of one post (postID > 0) or of all,
// most first, at most limit.
func (s *Store) TopComments(ctx context.Context, postID int64, limit int) ([]repo.Comment, error) {
	q := rel.Where(where.Gt("reactions", 0), where.Eq("state", repo.StatePublished)).SortDesc("reactions").SortAsc("id").Limit(limit)
	if postID > 0 {
		q = q.Where(where.Eq("post_id", postID))
	}
	var out []repo.Comment
	err := s.db.Repo().FindAll(ctx, &out, q)
	return out, repo.Translate(err, "read the most reacted comments")
}
