// Package feeds serves what other programs read rather than people: the Atom feeds of the posts and of the
// comments, the sitemap and robots.txt for search engines, and the posts' share cards for link previews.
package feeds

import (
	"context"

	"blog/content"
	"blog/handlers/pagecache"
	"blog/handlers/web"
	"blog/publish"
	"blog/repo"
	"blog/repo/discussion"
	"blog/sharecard"
	"blog/views"

	"github.com/gofiber/fiber/v2"
)

// Config is what the feeds are built from.
type Config struct {
	Content  Content
	Comments CommentStore
	// Chrome names the blog, its author and its address.
	Chrome views.Chrome
	// Pages keeps the comments feeds, built once for every reader while the comments they list are unchanged.
	Pages *pagecache.Cache
}

// Content is what the feeds need from the blog's content (publish.Store).
type Content interface {
	Current() *publish.Snapshot
}

// CommentStore is what the comments feeds need from the comment store: the newest published comments, and
// where the feed of changes stands.
type CommentStore interface {
	SearchComments(ctx context.Context, q repo.Search) ([]repo.Comment, error)
	PostStamp(ctx context.Context, postID int64) (repo.Stamp, error)
	FeedHead(ctx context.Context) (int64, error)
}

var (
	_ Content      = (*publish.Store)(nil)
	_ CommentStore = (*discussion.Comments)(nil)
)

// Handlers serve the feeds, the sitemap, robots.txt and the share cards.
type Handlers struct {
	cfg Config
	// cards are the posts' share cards, drawn once per title.
	cards *sharecard.Cards
}

// New returns the feeds' handlers.
func New(cfg Config) (*Handlers, error) {
	cards, err := sharecard.New(cfg.Chrome.SiteTitle)
	if err != nil {
		return nil, err
	}
	return &Handlers{cfg: cfg, cards: cards}, nil
}

// lib returns the current posts and pages.
func (h *Handlers) lib(c *fiber.Ctx) *content.Library { return web.Current(c, h.cfg.Content).Lib }
