package comments

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"

	"blog/authorship"
	"blog/clientip"
	"blog/content"
	"blog/handlers/pagecache"
	"blog/handlers/web"
	"blog/limits"
	"blog/live/lists"
	"blog/moderation"
	"blog/observe"
	"blog/publish"
	"blog/repo"
	"blog/repo/discussion"
	"blog/spam"
	"blog/views"
)

// PreviewRate is how often one client (an IPv6 /64 counts as one) may ask for a preview: enough for a person
// who checks their text a few times, not for a program that makes the server render Markdown all day.
var PreviewRate = limits.Rate{Every: 3 * time.Second, Burst: 10}

// Config is what the comment handlers are built from.
type Config struct {
	Content    Content
	Comments   CommentStore
	Moderation Moderation
	// Broker is told at once about a comment posted, edited or deleted here, so the writer's next page shows it.
	Broker web.Syncer
	// Lists are the posts' rendered conversations, kept current by the broker.
	Lists *lists.Lists
	// Chrome is what every page's layout shows.
	Chrome views.Chrome
	// Pages keeps the list a page reloads, shared by every reader; Fragments the older conversations and more
	// replies, which a reader may ask for with any id (so they cannot push the pages out).
	Pages, Fragments *pagecache.Cache
	// Mine reads and writes the signed record of the comments a browser posted.
	Mine    *authorship.Signer
	Clients web.Clients
	// Hasher turns client addresses into the keyed hashes stored with a comment.
	Hasher clientip.Hasher
	// Stamps signs the comment form's timestamp.
	Stamps spam.Stamper
	// RateLimit limits how often one client may post a comment.
	RateLimit limits.Rate
	// EditWindow is how long the browser that posted a comment may edit or delete it.
	EditWindow time.Duration
	// FormMaxAge is how old a comment form may be before a post from it is sent back to be posted again.
	FormMaxAge time.Duration
	// MailReplies offers commenters an email when someone replies.
	MailReplies bool
	Metrics     *observe.Metrics
	// Elsewhere, when set, reads a post's likes and reposts from other sites, which the reloaded list carries.
	Elsewhere func(ctx context.Context, postID int64) views.ElsewhereView
}

// Content is what the comment handlers need from the blog's content (publish.Store): the posts, and a post
// named by its id.
type Content interface {
	Current() *publish.Snapshot
	Slug(id int64) string
}

// CommentStore is what the comment handlers need from the comment store.
type CommentStore interface {
	FindCommentsByID(ctx context.Context, ids []int64) ([]repo.Comment, error)
	FindThreads(ctx context.Context, postID, beforeID int64, limit int) ([]repo.Thread, error)
	FindReplies(ctx context.Context, threadID, afterID int64, limit int) ([]repo.Comment, error)
	ThreadStartingAt(ctx context.Context, postID, id int64) (int64, error)
	RepliesThrough(ctx context.Context, threadID, id int64) (int, int64, error)
	NthReply(ctx context.Context, threadID int64, n int) (int64, error)
	FindComment(ctx context.Context, id int64) (repo.Comment, error)
	Answered(ctx context.Context, id int64) (bool, error)
	PostStamp(ctx context.Context, postID int64) (repo.Stamp, error)
}

// Moderation is the door every change of a comment passes: a new comment is screened and stored, published or
// held; an author's edit is screened the same way; an author's delete is checked against what the owner did.
type Moderation interface {
	Post(ctx context.Context, n repo.NewComment, c moderation.Candidate) (repo.Comment, repo.Stamp, moderation.Decision, error)
	EditOwn(ctx context.Context, e moderation.OwnEdit) (repo.Comment, repo.Stamp, moderation.Decision, error)
	DeleteOwn(ctx context.Context, id int64) (repo.Moved, error)
}

var (
	_ Content      = (*publish.Store)(nil)
	_ CommentStore = (*discussion.Comments)(nil)
	_ Moderation   = (*moderation.Service)(nil)
)

// Handlers are the comment handlers.
type Handlers struct {
	cfg Config
	// previews bounds how often one client may have a comment rendered without posting it.
	previews *limits.Limiter
	// stamp is the form timestamp of the current step (FormStamp).
	stamp atomic.Pointer[signedStamp]
}

// New returns the comment handlers.
func New(cfg Config) *Handlers {
	return &Handlers{cfg: cfg, previews: limits.NewLimiter(PreviewRate)}
}

// lib returns the current posts and pages.
func (h *Handlers) lib(c *fiber.Ctx) *content.Library { return web.Current(c, h.cfg.Content).Lib }

// lookupPost finds the published post named by the :slug parameter (web.LookupPost).
func (h *Handlers) lookupPost(c *fiber.Ctx) (content.Post, int64, error) {
	return web.LookupPost(c, web.Current(c, h.cfg.Content))
}

// chromeFor returns the layout's data for this request (web.Chrome), with the navigation of the content the
// request is answered from (web.Current).
func (h *Handlers) chromeFor(c *fiber.Ctx) views.Chrome { return web.Chrome(c, h.cfg.Chrome, h.lib(c)) }
