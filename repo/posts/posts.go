// Package posts is the post store: each post's row kept in step with the content files, and its comments
// closed or opened (by its file, by COMMENTS_CLOSE_AFTER, by the owner) with each closing recorded in its feed.
package posts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-rel/rel"
	"github.com/go-rel/rel/where"

	"blog/database"
	"blog/repo"
	"blog/repo/internal/store"
)

// Posts keeps the posts table in step with the content files.
type Posts struct {
	db *database.DB
}

// NewPosts returns the post store backed by db.
func NewPosts(db *database.DB) *Posts { return &Posts{db: db} }

// PostRef names a post found in the content files, with what they say about its comments: Closed for
// `comments: closed` in its front matter, CloseAt when COMMENTS_CLOSE_AFTER closes it (nil: never).
type PostRef struct {
	Slug    string
	Title   string
	Closed  bool
	CloseAt *time.Time
}

// SyncPosts makes sure every post in refs has a row (creating it or updating its title and what its file says
// about comments) and returns the ids by slug. A post that closes or opens by what its file now says has that
// recorded in its change feed, so open pages follow. Rows whose file has gone are left alone, so their comments
// are kept.
func (s *Posts) SyncPosts(ctx context.Context, refs []PostRef) (map[string]int64, error) {
	ids := make(map[string]int64, len(refs))
	for _, ref := range refs {
		var p repo.Post
		err := s.db.Repo().Find(ctx, &p, where.Eq("slug", ref.Slug))
		switch {
		case errors.Is(err, rel.ErrNotFound):
			p = repo.Post{Slug: ref.Slug, Title: ref.Title, CreatedAt: time.Now().UTC(), CommentsClosed: ref.Closed, CommentsCloseAt: store.UTC(ref.CloseAt)}
			if err := s.db.Repo().Insert(ctx, &p); err != nil {
				// Another instance loading the same content created it a moment ago: that row is the post's.
				var ce rel.ConstraintError
				if !errors.As(err, &ce) {
					return nil, repo.Translate(err, "create post "+ref.Slug)
				}
				p = repo.Post{}
				if err := s.db.Repo().Find(ctx, &p, where.Eq("slug", ref.Slug)); err != nil {
					return nil, repo.Translate(err, "find post "+ref.Slug)
				}
			}
		case err != nil:
			return nil, repo.Translate(err, "find post "+ref.Slug)
		case p.Title != ref.Title:
			if err := s.db.Repo().Update(ctx, &p, rel.Set("title", ref.Title)); err != nil {
				return nil, repo.Translate(err, "update post "+ref.Slug)
			}
		}
		if p.CommentsClosed != ref.Closed || !sameTime(p.CommentsCloseAt, ref.CloseAt) || p.Closed(time.Now()) != p.CommentsClosedNoted {
			err := s.db.Write(ctx, func(ctx context.Context) error {
				if _, err := s.db.Repo().UpdateAny(ctx, rel.From("posts").Where(where.Eq("id", p.ID)),
					rel.Set("comments_closed", ref.Closed), rel.Set("comments_close_at", store.UTC(ref.CloseAt))); err != nil {
					return err
				}
				_, _, err := notePost(ctx, s.db, p.ID)
				return err
			})
			if err != nil {
				return nil, repo.Translate(err, "update post "+ref.Slug)
			}
		}
		ids[ref.Slug] = p.ID
	}
	return ids, nil
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return store.UTC(a).Equal(*store.UTC(b))
}

// SetComments records the owner's choice for a post's comments (repo.CommentsOpen, repo.CommentsClosed, or
// repo.CommentsFollow to follow its file and COMMENTS_CLOSE_AFTER again) in one transaction with the audit
// trail's entry and, when the post closes or opens by it, the change in its feed that open pages follow. It
// returns the post as it is now; repo.ErrNotFound when no post has the slug.
func (s *Posts) SetComments(ctx context.Context, slug, choice string, act repo.Action) (repo.Post, error) {
	if choice != repo.CommentsOpen && choice != repo.CommentsClosed && choice != repo.CommentsFollow {
		return repo.Post{}, fmt.Errorf("comments %q: want open, closed or nothing", choice)
	}
	var p repo.Post
	err := s.db.Write(ctx, func(ctx context.Context) error {
		if err := s.db.Repo().Find(ctx, &p, s.db.ForUpdate(rel.Where(where.Eq("slug", slug)))); err != nil {
			return err
		}
		if _, err := s.db.Repo().UpdateAny(ctx, rel.From("posts").Where(where.Eq("id", p.ID)), rel.Set("comments_override", choice)); err != nil {
			return err
		}
		var err error
		if p, _, err = notePost(ctx, s.db, p.ID); err != nil {
			return err
		}
		return repo.InsertAudit(ctx, s.db, repo.AuditEntry{Actor: act.Actor, Action: act.Name, Detail: slug + ": " + closedWords(p)})
	})
	return p, repo.Translate(err, "set comments of post "+slug)
}

func closedWords(p repo.Post) string {
	if why := p.ClosedBecause(time.Now()); why != "" {
		return why
	}
	return "open to comments"
}

// NoteClosings records in their feeds the posts that COMMENTS_CLOSE_AFTER has closed since their state was last
// announced (their time passed at or before now), so that open pages and kept lists close too. Each is recorded
// once, whichever instance gets there first (the post's row is locked while deciding). It returns how many
// closed.
func (s *Posts) NoteClosings(ctx context.Context, now time.Time) (int, error) {
	var due []repo.Post
	q := rel.Select("id").Where(where.Lte("comments_close_at", now.UTC()), where.Eq("comments_closed_noted", false),
		where.Ne("comments_override", repo.CommentsOpen)).Limit(100)
	if err := s.db.Repo().FindAll(ctx, &due, q); err != nil {
		return 0, repo.Translate(err, "find posts to close")
	}
	n := 0
	for _, d := range due {
		var moved bool
		err := s.db.Write(ctx, func(ctx context.Context) error {
			var err error
			_, moved, err = notePost(ctx, s.db, d.ID)
			return err
		})
		if err != nil {
			return n, repo.Translate(err, "close post")
		}
		if moved {
			n++
		}
	}
	return n, nil
}

// notePost compares whether a post is closed now with what its feed last announced and, when they differ,
// records the post's change in its feed (inside the caller's write transaction, the post's row locked first).
// It returns the post as it is afterwards, and whether it recorded a change.
func notePost(ctx context.Context, db *database.DB, postID int64) (repo.Post, bool, error) {
	var p repo.Post
	if err := db.Repo().Find(ctx, &p, db.ForUpdate(rel.Where(where.Eq("id", postID)))); err != nil {
		return repo.Post{}, false, err
	}
	closed := p.Closed(time.Now())
	if closed == p.CommentsClosedNoted {
		return p, false, nil
	}
	if _, err := db.Repo().UpdateAny(ctx, rel.From("posts").Where(where.Eq("id", postID)), rel.Set("comments_closed_noted", closed)); err != nil {
		return repo.Post{}, false, err
	}
	p.CommentsClosedNoted = closed
	st, err := repo.Record(ctx, db, postID, 0, repo.ChangePost, 0)
	p.LastSeq = st.Seq
	return p, err == nil, err
}

// LockOpenPost refuses, with repo.ErrClosed, a new comment on a post closed to comments. It runs inside the
// comment's write transaction and locks the post's row, so the comment and the post's closing never both commit
// with the comment after the close.
func LockOpenPost(ctx context.Context, db *database.DB, postID int64) error {
	var p repo.Post
	err := db.Repo().Find(ctx, &p, db.ForUpdate(rel.Where(where.Eq("id", postID))))
	if errors.Is(err, rel.ErrNotFound) {
		return fmt.Errorf("post %d: %w", postID, repo.ErrConflict)
	}
	if err != nil {
		return err
	}
	if p.Closed(time.Now()) {
		return repo.ErrClosed
	}
	return nil
}

// ListPosts returns every post row (including posts whose file has gone), by title.
func (s *Posts) ListPosts(ctx context.Context) ([]repo.Post, error) {
	var out []repo.Post
	if err := s.db.Repo().FindAll(ctx, &out, rel.SortAsc("title")); err != nil {
		return nil, repo.Translate(err, "list posts")
	}
	return out, nil
}

// FindPostBySlug returns the post row with this slug.
func (s *Posts) FindPostBySlug(ctx context.Context, slug string) (repo.Post, error) {
	var p repo.Post
	err := s.db.Repo().Find(ctx, &p, where.Eq("slug", slug))
	return p, repo.Translate(err, "find post "+slug)
}
