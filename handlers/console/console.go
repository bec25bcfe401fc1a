// Package console is the owner's console at /admin: the comments (filtered, acted on, answered), the bans and
// the audit trail. Every route is behind the owner's sign-in (routes.go). What it does to comments and bans,
// moderation does; this is its HTTP side.
package console

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"blog/content"
	"blog/handlers/signin"
	"blog/handlers/web"
	"blog/moderation"
	"blog/publish"
	"blog/repo"
	"blog/repo/posts"
	"blog/views"
	"blog/views/console"
)

// ConsolePageSize is how many comments the owner's console shows at once.
const ConsolePageSize = 50

// Config is what the console is built from.
type Config struct {
	Content    Content
	Moderation Moderation
	Posts      Posts
	Audit      AuditLog
	// Broker is told at once about the changes the owner makes, so their next page shows them.
	Broker web.Syncer
	// SignIn gives the pages their layout, with the session's form token.
	SignIn SignIn
	// Author is the name the owner's replies are published under.
	Author string
	// Followers, when set, is the blog as an ActivityPub actor: the Followers page lists and blocks.
	Followers Followers
	// Following, when set, is the blog following others: the Following page follows, unfollows and lists.
	Following Following
}

// Handlers are the console's pages and actions.
type Handlers struct {
	cfg Config
}

// New returns the console.
func New(cfg Config) *Handlers { return &Handlers{cfg: cfg} }

// Content is what the console needs from the blog's content (publish.Store): the drafts and titles, the posts
// named by id, and the files that could not be read.
type Content interface {
	Current() *publish.Snapshot
	Slug(id int64) string
	Problems() []string
}

// Moderation is what the console needs from moderation: the owner's actions on comments and bans, the search,
// the counts, and the owner's replies.
type Moderation interface {
	Act(ctx context.Context, actor, action string, ids []int64) ([]repo.Moved, error)
	Ban(ctx context.Context, actor string, req moderation.BanRequest) (repo.Ban, []repo.Moved, error)
	Unban(ctx context.Context, actor string, id int64) (repo.Ban, error)
	Bans(ctx context.Context) ([]repo.Ban, error)
	Search(ctx context.Context, q repo.Search) ([]repo.Comment, error)
	Versions(ctx context.Context, ids []int64) (map[int64][]repo.Version, error)
	Comment(ctx context.Context, id int64) (repo.Comment, error)
	Counts(ctx context.Context) (map[string]int, error)
	ParseAddress(text string) (hash string, network bool, err error)
	// Pending counts the comments waiting for review; Reply publishes the owner's answer to one.
	Pending(ctx context.Context) (int, error)
	Reply(ctx context.Context, r moderation.Reply) (repo.Comment, repo.Stamp, []repo.Moved, error)
}

// SignIn gives a signed-in page its layout (signin.Handlers).
type SignIn interface {
	Chrome(c *fiber.Ctx) views.Chrome
}

// Posts is what the console needs to name posts.
type Posts interface {
	ListPosts(ctx context.Context) ([]repo.Post, error)
	FindPostBySlug(ctx context.Context, slug string) (repo.Post, error)
	SetComments(ctx context.Context, slug, choice string, act repo.Action) (repo.Post, error)
}

// AuditLog is what the console needs from the audit trail.
type AuditLog interface {
	List(ctx context.Context, before int64, limit int) ([]repo.AuditEntry, error)
}

var (
	_ Content    = (*publish.Store)(nil)
	_ Moderation = (*moderation.Service)(nil)
	_ SignIn     = (*signin.Handlers)(nil)
	_ Posts      = (*posts.Posts)(nil)
	_ AuditLog   = (*repo.Audit)(nil)
)

// consoleChrome is the layout's data for a signed-in page.
func (h *Handlers) consoleChrome(c *fiber.Ctx) views.Chrome { return h.cfg.SignIn.Chrome(c) }

// lib returns the current posts and pages.
func (h *Handlers) lib(c *fiber.Ctx) *content.Library { return web.Current(c, h.cfg.Content).Lib }

// filter reads the console's filter from the query.
func filter(c *fiber.Ctx) console.ConsoleFilter {
	f := console.ConsoleFilter{State: c.Query("state"), Post: c.Query("post"), Text: strings.TrimSpace(c.Query("q")),
		Email: strings.TrimSpace(c.Query("email")), Address: strings.TrimSpace(c.Query("address"))}
	if id := web.ParseID(c.Query("id")); id > 0 {
		f.ID = strconv.FormatInt(id, 10)
	}
	if !repo.ValidState(f.State) {
		f.State = "" // "all", or nothing asked
	}
	return f
}

// Page lists the comments that match the filter, newest first, ConsolePageSize at a time. Asked for no state at
// all (the console's own address), it shows the comments waiting for review when there are any.
func (h *Handlers) Page(c *fiber.Ctx) error {
	f, waiting := filter(c), false
	if c.Query("state") == "" && f.Active() == 0 && f.ID == "" && c.Query("before") == "" {
		n, err := h.cfg.Moderation.Pending(c.UserContext())
		if err != nil {
			return err
		}
		if n > 0 {
			f.State, waiting = repo.StatePending, true
		}
	}
	v, status, err := h.consoleView(c, f, web.ParseID(c.Query("before")))
	if err != nil {
		return err
	}
	v.Waiting, v.SelectAll = waiting, c.Query("select") == "all"
	v.Notice = doneNotice(c.Query("done"))
	if id, ok := repliedDone(c.Query("done")); ok {
		if v.Replied, err = h.consoleComment(c, id); err != nil {
			return err
		}
	}
	v.ContentProblems = h.cfg.Content.Problems()
	return views.Render(c, status, console.ConsolePage(h.consoleChrome(c), v))
}

// consoleComment returns one comment as the console shows it (nil when it is gone).
func (h *Handlers) consoleComment(c *fiber.Ctx, id int64) (*console.ConsoleComment, error) {
	cm, err := h.cfg.Moderation.Comment(c.UserContext(), id)
	if errors.Is(err, repo.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	slug := h.cfg.Content.Slug(cm.PostID)
	title := slug
	if p, ok := h.lib(c).PostBySlug(slug); ok {
		title = p.Title
	}
	return &console.ConsoleComment{Comment: cm, PostSlug: slug, PostTitle: title}, nil
}

// view loads the console for a filter and page. A filter that cannot work (an unknown post, an address that is
// not one) comes back as the view's error with status 422, listing nothing.
func (h *Handlers) consoleView(c *fiber.Ctx, f console.ConsoleFilter, before int64) (console.ConsoleView, int, error) {
	ctx := c.UserContext()
	v := console.ConsoleView{Filter: f, Before: before, Author: h.cfg.Author}
	for _, d := range h.lib(c).Drafts {
		v.Drafts = append(v.Drafts, console.DraftView{Slug: d.Slug, Title: d.Title, Date: d.Date})
	}
	posts, err := h.cfg.Posts.ListPosts(ctx)
	if err != nil {
		return v, 0, err
	}
	for _, p := range posts {
		v.Posts = append(v.Posts, console.PostOption{Slug: p.Slug, Title: p.Title})
	}
	if v.Counts, err = h.cfg.Moderation.Counts(ctx); err != nil {
		return v, 0, err
	}
	q := repo.Search{State: f.State, Text: f.Text, Email: strings.ToLower(f.Email), BeforeID: before, Limit: ConsolePageSize + 1,
		ID: web.ParseID(f.ID)}
	if f.Post != "" {
		p, err := h.cfg.Posts.FindPostBySlug(ctx, f.Post)
		if errors.Is(err, repo.ErrNotFound) {
			v.Error = "There is no post " + f.Post + "."
			return v, fiber.StatusUnprocessableEntity, nil
		} else if err != nil {
			return v, 0, err
		}
		q.PostID = p.ID
	}
	if f.Address != "" {
		hash, network, err := h.cfg.Moderation.ParseAddress(f.Address)
		if err != nil {
			v.Error = err.Error()
			return v, fiber.StatusUnprocessableEntity, nil
		}
		if network {
			q.NetHash = hash
		} else {
			q.IPHash = hash
		}
	}
	found, err := h.cfg.Moderation.Search(ctx, q)
	if err != nil {
		return v, 0, err
	}
	if len(found) > ConsolePageSize {
		found = found[:ConsolePageSize]
		v.Older = found[len(found)-1].ID
	}
	var edited []int64
	for _, cm := range found {
		if cm.EditedAt != nil {
			edited = append(edited, cm.ID)
		}
	}
	versions, err := h.cfg.Moderation.Versions(ctx, edited)
	if err != nil {
		return v, 0, err
	}
	for _, cm := range found {
		v.Comments = append(v.Comments, console.ConsoleComment{Comment: cm, PostSlug: cm.Post.Slug, PostTitle: cm.Post.Title,
			Versions: versions[cm.ID]})
	}
	return v, fiber.StatusOK, nil
}

// Act applies an action to the selected comments (or to one, from its own button), then shows the console
// again: a redirect for a plain form, the refreshed results for htmx.
func (h *Handlers) Act(c *fiber.Ctx) error {
	action := c.FormValue("action")
	var ids []int64
	if one := c.FormValue("one"); one != "" {
		a, id, _ := strings.Cut(one, ":")
		action, ids = a, []int64{web.ParseID(id)}
	} else {
		for _, raw := range c.Request().PostArgs().PeekMulti("id") {
			if id := web.ParseID(string(raw)); id > 0 {
				ids = append(ids, id)
			}
		}
	}
	back := returnPath(c.FormValue("return"))
	msg, status := "", fiber.StatusOK
	switch {
	case len(ids) == 0 || ids[0] <= 0:
		msg, status = "Select at least one comment first.", fiber.StatusUnprocessableEntity
	default:
		moved, err := h.cfg.Moderation.Act(c.UserContext(), repo.ActorOwner, action, ids)
		var refused repo.PinRefusedError
		if errors.Is(err, moderation.ErrUnknownAction) {
			msg, status = "Unknown action.", fiber.StatusUnprocessableEntity
			break
		} else if errors.As(err, &refused) {
			msg, status = refused.Msg, fiber.StatusUnprocessableEntity
			break
		} else if err != nil {
			return err
		}
		web.SyncMoved(c, h.cfg.Broker, moved) // the owner's next page shows what they did
		msg = fmt.Sprintf("%s: %d comment%s changed.", actionWords[action], len(moved), plural(len(moved)))
	}
	if c.Get("HX-Request") != "true" {
		if status != fiber.StatusOK {
			return h.consoleWith(c, back, status, "", msg)
		}
		if strings.HasPrefix(back, "/posts/") {
			return c.Redirect(back, fiber.StatusSeeOther) // back to the comment, which shows what was done
		}
		return c.Redirect(withDone(back, action, len(ids)), fiber.StatusSeeOther)
	}
	if status != fiber.StatusOK {
		return h.consoleWith(c, back, status, "", msg)
	}
	return h.consoleWith(c, back, fiber.StatusOK, msg, "")
}

// consoleWith shows the console at the path back (a console URL) with a notice or an error; more, when given,
// adds to what it shows (a reply's outcome).
func (h *Handlers) consoleWith(c *fiber.Ctx, back string, status int, notice, errMsg string, more ...func(*console.ConsoleView)) error {
	u, _ := url.Parse(back)
	q := u.Query()
	f := console.ConsoleFilter{State: q.Get("state"), Post: q.Get("post"), Text: q.Get("q"), Email: q.Get("email"), Address: q.Get("address")}
	if !repo.ValidState(f.State) {
		f.State = ""
	}
	v, st, err := h.consoleView(c, f, web.ParseID(q.Get("before")))
	if err != nil {
		return err
	}
	if st != fiber.StatusOK {
		status = st
	}
	v.Notice = notice
	if errMsg != "" {
		v.Error = errMsg
	}
	for _, fn := range more {
		fn(&v)
	}
	return views.Render(c, status, console.ConsolePage(h.consoleChrome(c), v))
}

var actionWords = map[string]string{"approve": "Approved", "restore": "Restored", "spam": "Marked as spam", "delete": "Deleted",
	"pin": "Pinned", "unpin": "Unpinned"}

func doneNotice(done string) string {
	action, n, ok := strings.Cut(done, ":")
	if w, known := actionWords[action]; ok && known {
		return w + ": " + n + " selected."
	}
	return ""
}

func withDone(back, action string, n int) string {
	return withDoneCode(back, action+":"+strconv.Itoa(n))
}

// returnPath keeps a return address only when it is the console.
func returnPath(p string) string {
	if p == "/admin" || strings.HasPrefix(p, "/admin?") {
		return p
	}
	// A post page's pin control returns to the comment: a path on this site, nothing else.
	if strings.HasPrefix(p, "/posts/") && !strings.ContainsAny(p, "\\\r\n?") && !strings.Contains(p, "//") && len(p) < 300 {
		return p
	}
	return "/admin"
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// AuditPage lists the audit trail, newest first.
func (h *Handlers) AuditPage(c *fiber.Ctx) error {
	entries, err := h.cfg.Audit.List(c.UserContext(), web.ParseID(c.Query("before")), ConsolePageSize+1)
	if err != nil {
		return err
	}
	v := console.AuditView{Entries: entries}
	if len(entries) > ConsolePageSize {
		v.Entries = entries[:ConsolePageSize]
		v.Older = v.Entries[ConsolePageSize-1].ID
	}
	return views.Render(c, fiber.StatusOK, console.AuditPage(h.consoleChrome(c), v))
}
