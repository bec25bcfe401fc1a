// Package posts serves the reader's pages of the content: the home page and its pages, the tags, the archive,
// each post with its conversation, the standalone pages, a draft's preview for the signed-in owner, and the
// media files posts show. The pages every reader gets alike are rendered once per change and shared
// (pagecache); a post page with comments of the visitor's own is made personal by handlers/comments.
package posts

import (
	"context"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"

	"blog/authorship"
	"blog/content"
	"blog/handlers/comments"
	"blog/handlers/pagecache"
	"blog/handlers/signin"
	"blog/handlers/web"
	"blog/live/lists"
	"blog/publish"
	"blog/repo"
	"blog/repo/discussion"
	"blog/views"
)

// Config is what the reader's pages are built from.
type Config struct {
	Content  Content
	Comments CommentStore
	// Lists are the posts' rendered conversations and comment counts, kept current by the broker.
	Lists *lists.Lists
	// Pages keeps the pages every reader gets alike, rendered and compressed once per change.
	Pages *pagecache.Cache
	// Conversation is the conversation under a post (comments.Handlers): the form's timestamp, and the post
	// page made personal for a visitor with comments of their own.
	Conversation Conversation
	// Chrome is what every page's layout shows.
	Chrome views.Chrome
	// SignIn tells the owner's browser (signin.Handlers); nil without an owner.
	SignIn SignIn
	// Mine reads the signed record of the comments a browser posted.
	Mine *authorship.Signer
	// MailReplies offers commenters an email when someone replies.
	MailReplies bool
	// SecureCookies marks the order's cookie Secure.
	SecureCookies bool
	// Elsewhere reads a post's likes and reposts from other sites.
	Elsewhere func(ctx context.Context, postID int64) views.ElsewhereView
	Log       *slog.Logger
}

// Content is what the reader's pages need from the blog's content (publish.Store).
type Content interface {
	Current() *publish.Snapshot
}

// CommentStore is what the reader's pages need from the comment store: the comment a reply link answers.
type CommentStore interface {
	FindComment(ctx context.Context, id int64) (repo.Comment, error)
}

// Conversation is what a post page needs from the comment handlers (comments.Handlers).
type Conversation interface {
	FormStamp(now time.Time) string
	PostView(c *fiber.Ctx, p content.Post, id int64, form views.FormView) (views.PostView, error)
}

// SignIn tells whether a request comes from the owner's browser (signin.Handlers).
type SignIn interface {
	SignedIn(c *fiber.Ctx) bool
	OwnerToken(c *fiber.Ctx) string
}

var (
	_ Content      = (*publish.Store)(nil)
	_ CommentStore = (*discussion.Comments)(nil)
	_ Conversation = (*comments.Handlers)(nil)
	_ SignIn       = (*signin.Handlers)(nil)
)

// Handlers serve the reader's pages.
type Handlers struct {
	cfg Config
}

// New returns the reader's pages' handlers.
func New(cfg Config) *Handlers { return &Handlers{cfg: cfg} }

// lib returns the current posts and pages.
func (h *Handlers) lib(c *fiber.Ctx) *content.Library { return web.Current(c, h.cfg.Content).Lib }

// chromeFor returns the layout's data for this request (web.Chrome), with the navigation of the content the
// request is answered from (web.Current).
func (h *Handlers) chromeFor(c *fiber.Ctx) views.Chrome { return web.Chrome(c, h.cfg.Chrome, h.lib(c)) }
