// Package searchindex is the store of the search index: the posts' searchable text, written when the content
// loads, and the searches over it and over the published comments. The comments' index is kept by the database
// itself (triggers on SQLite, a generated column on PostgreSQL; see the migrations create_search and
// fold_comment_search), whichever path changed a comment. SQLite indexes new comments in batches, and a search
// of comments indexes those waiting before it looks (fold).
package searchindex

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"time"

	"github.com/go-rel/rel"
	"github.com/go-rel/rel/where"

	"blog/database"
	"blog/database/fulltext"
	"blog/repo"
	"blog/repo/internal/store"
)

// Store reads and writes the search index.
type Store struct {
	db *database.DB
	// folding, when set, is closed when the fold of waiting comments in flight ends (see fold).
	foldMu  sync.Mutex
	folding chan struct{}
}

// New returns the search index's store backed by db.
func New(db *database.DB) *Store { return &Store{db: db} }

// PostText is one post's searchable text: its title, summary, tags (separated by spaces) and its text without
// markup, with its date, which the results show.
type PostText struct {
	PostID                           int64
	Slug, Title, Summary, Tags, Body string
	Date                             time.Time
}

func (p PostText) hash() string {
	h := sha256.New()
	for _, s := range []string{p.Slug, p.Title, p.Summary, p.Tags, p.Body, p.Date.UTC().Format(time.RFC3339)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// indexed is a post's row in the index as far as syncing needs it.
type indexed struct {
	PostID int64  `db:"post_id"`
	Hash   string `db:"hash"`
}

// SyncPosts makes the index of posts hold exactly posts, in one transaction: a post that is new or whose text
// changed is written, a post no longer among them (removed, or a draft again) is taken out, and the rest is left
// as it is. It returns how many posts it wrote or took out.
func (s *Store) SyncPosts(ctx context.Context, posts []PostText) (int, error) {
	changed := 0
	err := s.db.Write(ctx, func(ctx context.Context) error {
		changed = 0
		if err := s.db.Lock(ctx, store.LockSearch, "posts"); err != nil {
			return err
		}
		var rows []indexed
		if err := s.db.Repo().FindAll(ctx, &rows, rel.SQL("SELECT post_id, hash FROM search_posts")); err != nil {
			return err
		}
		have := make(map[int64]string, len(rows))
		for _, r := range rows {
			have[r.PostID] = r.Hash
		}
		keep := make(map[int64]bool, len(posts))
		for _, p := range posts {
			keep[p.PostID] = true
			old, ok := have[p.PostID]
			if ok && old == p.hash() {
				continue
			}
			if err := writePost(ctx, s.db, p, ok); err != nil {
				return err
			}
			changed++
		}
		for id := range have {
			if keep[id] {
				continue
			}
			if err := removePost(ctx, s.db, id); err != nil {
				return err
			}
			changed++
		}
		return nil
	})
	return changed, repo.Translate(err, "index posts")
}

// WritePost indexes one published post, or indexes it again, inside the caller's write transaction (ctx from
// database.DB.Write): a store that publishes posts from the database calls it in the same transaction as the
// post's change, so the post is found from the moment it is published. The next load of the content finds its
// text unchanged and leaves it be. It waits for a load's SyncPosts on another instance to finish first.
func WritePost(ctx context.Context, db *database.DB, p PostText) error {
	if err := db.Lock(ctx, store.LockSearch, "posts"); err != nil {
		return err
	}
	n, err := db.Repo().Count(ctx, "search_posts", where.Eq("post_id", p.PostID))
	if err != nil {
		return err
	}
	return writePost(ctx, db, p, n > 0)
}

func writePost(ctx context.Context, db *database.DB, p PostText, exists bool) error {
	stmt := "INSERT INTO search_posts (slug, title, summary, tags, body, date, hash, post_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
	if exists {
		stmt = "UPDATE search_posts SET slug = ?, title = ?, summary = ?, tags = ?, body = ?, date = ?, hash = ? WHERE post_id = ?"
	}
	_, _, err := db.Repo().Exec(ctx, db.Placeholders(stmt), p.Slug, p.Title, p.Summary, p.Tags, p.Body, p.Date.UTC(), p.hash(), p.PostID)
	return err
}

// RemovePost takes a post out of the index (and with it its comments out of the results) inside the caller's
// write transaction, as WritePost writes one: for a post unpublished or removed.
func RemovePost(ctx context.Context, db *database.DB, postID int64) error {
	if err := db.Lock(ctx, store.LockSearch, "posts"); err != nil {
		return err
	}
	return removePost(ctx, db, postID)
}

func removePost(ctx context.Context, db *database.DB, postID int64) error {
	_, _, err := db.Repo().Exec(ctx, db.Placeholders("DELETE FROM search_posts WHERE post_id = ?"), postID)
	return err
}

// PostHit is a post that matches a search: its title and an excerpt of its text, with the matched words between
// fulltext.MarkStart and fulltext.MarkEnd; or, when Lexemes is set (PostgreSQL), its title and whole text
// unmarked, with the query's lexemes (fulltext.Lexemes) to mark them by. Date is the post's (nil for a row
// written before the index kept dates, until the content next loads).
type PostHit struct {
	PostID  int64      `db:"post_id"`
	Slug    string     `db:"slug"`
	Title   string     `db:"title"`
	Date    *time.Time `db:"date"`
	Excerpt string     `db:"excerpt"`
	Lexemes string     `db:"lexemes"`
}

// CommentHit is a published comment that matches a search, with an excerpt of its text marked, or its text and
// the query's lexemes, as PostHit's; its post's slug, title and date come from the index of posts.
type CommentHit struct {
	ID        int64      `db:"id"`
	PostID    int64      `db:"post_id"`
	PostSlug  string     `db:"post_slug"`
	PostTitle string     `db:"post_title"`
	PostDate  *time.Time `db:"post_date"`
	Username  string     `db:"username"`
	CreatedAt time.Time  `db:"created_at"`
	Excerpt   string     `db:"excerpt"`
	Lexemes   string     `db:"lexemes"`
}

// SearchPosts returns up to limit posts that match q, best first, after skipping offset of them.
func (s *Store) SearchPosts(ctx context.Context, q fulltext.TextQuery, limit, offset int) ([]PostHit, error) {
	ts := s.db.TextSearch(q)
	var out []PostHit
	err := s.db.Repo().FindAll(ctx, &out, rel.SQL(ts.Posts, ts.PostArgs(limit, offset)...))
	return out, repo.Translate(err, "search posts")
}

// SearchComments returns up to limit published comments on indexed posts that match q, newest first, after
// skipping offset of them. A comment that is held, deleted or erased, or whose post is not in the index (a
// draft, a removed post), is never among them.
func (s *Store) SearchComments(ctx context.Context, q fulltext.TextQuery, limit, offset int) ([]CommentHit, error) {
	ts := s.db.TextSearch(q)
	if err := s.fold(ctx, ts); err != nil {
		return nil, repo.Translate(err, "index new comments")
	}
	var out []CommentHit
	err := s.db.Repo().FindAll(ctx, &out, rel.SQL(ts.Comments, ts.CommentArgs(limit, offset)...))
	if err == nil && len(out) < limit && ts.CommentsAll != "" {
		// The newest comments hold less than a page: look through all of them (see fulltext.TextSearch), with
		// the same arguments but the window.
		out = out[:0]
		err = s.db.Repo().FindAll(ctx, &out, rel.SQL(ts.CommentsAll, ts.PostArgs(limit, offset)...))
	}
	return out, repo.Translate(err, "search comments")
}

// FoldWait is how long a search waits for the comments waiting to be indexed (see fold) before it looks at what
// is indexed already. Indexing up to 64 comments takes a few milliseconds, even on a loaded machine; the bound is
// for the write lock, which a long write (an import of thousands of comments, a restore) holds for seconds.
const FoldWait = time.Second

// fold indexes the comments waiting to be indexed, when the database indexes them in batches (SQLite; see
// fulltext.TextSearch), so that a search finds every comment committed before it started. Asking costs a read
// of one row and the newest comment's id; the write happens only when comments are waiting, once at a time for
// all the searches of this process (one in flight, the others wait for it). A search waits for it up to
// FoldWait: while a long write holds the lock, it answers from what is indexed (without at most the 63 newest
// comments), and the fold goes on and is done as soon as the lock is free. A fold that fails is tried again by
// the next search; the search answers from what is indexed.
func (s *Store) fold(ctx context.Context, ts fulltext.TextSearch) error {
	if ts.Pending == "" {
		return nil
	}
	var pending bool
	if err := s.db.SQL().QueryRowContext(ctx, ts.Pending).Scan(&pending); err != nil || !pending {
		return err
	}
	s.foldMu.Lock()
	done := s.folding
	if done == nil {
		done = make(chan struct{})
		s.folding = done
		go func() {
			// Not the search's context: a reader who leaves does not undo the work for the next one.
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			defer cancel()
			s.db.Write(ctx, func(ctx context.Context) error {
				_, _, err := s.db.Repo().Exec(ctx, ts.Fold)
				return err
			})
			s.foldMu.Lock()
			s.folding = nil
			s.foldMu.Unlock()
			close(done)
		}()
	}
	s.foldMu.Unlock()
	t := time.NewTimer(FoldWait)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}
