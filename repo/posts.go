package repo

import (
	"context"
	"errors"
	"time"

	"github.com/go-rel/rel"
	"github.com/go-rel/rel/where"

	"blog/database"
)

// Posts keeps the posts table in step with the content files.
type Posts struct {
	db *database.DB
}

// NewPosts returns the post store backed by db.
func NewPosts(db *database.DB) *Posts { return &Posts{db: db} }

// PostRef names a post found in the content files.
type PostRef struct {
	Slug  string
	Title string
}

// SyncPosts makes sure every post in refs has a row (creating it or updating its title) and returns the ids by
// slug. Rows whose file has gone are left alone, so their comments are kept.
func (s *Posts) SyncPosts(ctx context.Context, refs []PostRef) (map[string]int64, error) {
	ids := make(map[string]int64, len(refs))
	for _, ref := range refs {
		var p Post
		err := s.db.Repo().Find(ctx, &p, where.Eq("slug", ref.Slug))
		switch {
		case errors.Is(err, rel.ErrNotFound):
			p = Post{Slug: ref.Slug, Title: ref.Title, CreatedAt: time.Now().UTC()}
			if err := s.db.Repo().Insert(ctx, &p); err != nil {
				return nil, Translate(err, "create post "+ref.Slug)
			}
		case err != nil:
			return nil, Translate(err, "find post "+ref.Slug)
		case p.Title != ref.Title:
			if err := s.db.Repo().Update(ctx, &p, rel.Set("title", ref.Title)); err != nil {
				return nil, Translate(err, "update post "+ref.Slug)
			}
		}
		ids[ref.Slug] = p.ID
	}
	return ids, nil
}

// ListPosts returns every post row (including posts whose file has gone), by title.
func (s *Posts) ListPosts(ctx context.Context) ([]Post, error) {
	var out []Post
	if err := s.db.Repo().FindAll(ctx, &out, rel.SortAsc("title")); err != nil {
		return nil, Translate(err, "list posts")
	}
	return out, nil
}

// FindPostBySlug returns the post row with this slug.
func (s *Posts) FindPostBySlug(ctx context.Context, slug string) (Post, error) {
	var p Post
	err := s.db.Repo().Find(ctx, &p, where.Eq("slug", slug))
	return p, Translate(err, "find post "+slug)
}
