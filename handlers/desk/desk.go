// Package desk is the owner's writing desk over HTTP (/admin/posts): the list of every post and page, the editor
// with its preview and autosave, publishing, scheduling, deleting, versions, and the posts' comments closed or
// opened. Every route is behind the owner's sign-in (routes.go); the rules are package desk's.
package desk

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"blog/desk"
	"blog/handlers/web"
	"blog/publish"
	"blog/repo"
	"blog/repo/posts"
	"blog/repo/writing"
	"blog/views"
	deskviews "blog/views/desk"
)

// Config is what the desk's handlers are built from.
type Config struct {
	Content Content
	Desk    Service
	Posts   Posts
	// Broker is told at once about the changes made here, so that the owner's next page shows them.
	Broker web.Syncer
	// Chrome gives the pages their layout, with the session's form token (signin.Handlers.Chrome).
	Chrome func(c *fiber.Ctx) views.Chrome
	// PurgeAfter is how long a deleted post can be restored.
	PurgeAfter time.Duration
}

// Content is the blog's current content (publish.Store).
type Content interface {
	Current() *publish.Snapshot
	Problems() []string
}

// Service is the desk's rules (desk.Service).
type Service interface {
	List(ctx context.Context) ([]writing.Writing, error)
	Find(ctx context.Context, id int64) (writing.Writing, error)
	Versions(ctx context.Context, id int64) ([]writing.Version, error)
	Create(ctx context.Context, in desk.Input) (writing.Writing, desk.Errors, error)
	Save(ctx context.Context, id int64, in desk.Input, kind string) (writing.Writing, desk.Errors, error)
	Publish(ctx context.Context, id int64, at *time.Time) (writing.Writing, desk.Errors, error)
	Unpublish(ctx context.Context, id int64) (writing.Writing, error)
	Delete(ctx context.Context, id int64) (writing.Writing, error)
	Restore(ctx context.Context, id int64) (writing.Writing, error)
	RestoreVersion(ctx context.Context, id, versionID int64) (writing.Writing, error)
}

// Posts is the posts' rows: their comments, and the owner's choice to close or open them.
type Posts interface {
	ListPosts(ctx context.Context) ([]repo.Post, error)
	SetComments(ctx context.Context, slug, choice string, act repo.Action) (repo.Post, error)
}

var (
	_ Service = (*desk.Service)(nil)
	_ Posts   = (*posts.Posts)(nil)
	_ Content = (*publish.Store)(nil)
)

// Handlers are the desk's pages and actions.
type Handlers struct{ cfg Config }

// New returns the desk's handlers.
func New(cfg Config) *Handlers { return &Handlers{cfg: cfg} }

// input reads the editor's form.
func input(c *fiber.Ctx) desk.Input {
	return desk.Input{Slug: c.FormValue("slug"), Title: c.FormValue("title"), Date: c.FormValue("date"),
		Summary: c.FormValue("summary"), Tags: c.FormValue("tags"), Image: c.FormValue("image"),
		Comments: c.FormValue("comments"), Lang: c.FormValue("lang"), InReplyTo: c.FormValue("in_reply_to"), Body: c.FormValue("body"), Kind: c.FormValue("kind"), Order: c.FormValue("order")}
}

// id reads the :id parameter; 0 is no post.
func id(c *fiber.Ctx) int64 { return web.ParseID(c.Params("id")) }

// sync waits until this instance took in a change the desk recorded (read-your-writes).
func (h *Handlers) sync(c *fiber.Ctx, w writing.Writing) {
	if w.Seq > 0 && h.cfg.Broker != nil {
		web.Sync(c, h.cfg.Broker, w.PostID, w.Seq)
	}
}

// find returns the desk post the URL names, or 404.
func (h *Handlers) find(c *fiber.Ctx) (writing.Writing, error) {
	w, err := h.cfg.Desk.Find(c.UserContext(), id(c))
	if desk.IsNotFound(err) {
		return w, fiber.ErrNotFound
	}
	return w, err
}

// stamp is a time as the desk shows it.
func stamp(t *time.Time) string {
	if t == nil {
		return ""
	}
	return views.ExactTime(*t)
}

// state is a desk post's state on the list.
func state(w writing.Writing, now time.Time) string {
	switch {
	case w.RemovedAt != nil:
		return deskviews.DeskDeleted
	case w.Published(now):
		return deskviews.DeskPublished
	case w.Scheduled(now):
		return deskviews.DeskScheduled
	}
	return deskviews.DeskDraft
}

// List shows every post and page: the desk's (any state) and the content folder's files, filtered by ?show=.
func (h *Handlers) List(c *fiber.Ctx) error {
	return h.renderList(c, fiber.StatusOK, deskviews.DeskView{Notice: notice(c.Query("done"), c.Query("post"))})
}

func (h *Handlers) renderList(c *fiber.Ctx, status int, v deskviews.DeskView) error {
	ctx := c.UserContext()
	rows, err := h.cfg.Posts.ListPosts(ctx)
	if err != nil {
		return err
	}
	bySlug := make(map[string]repo.Post, len(rows))
	for _, p := range rows {
		bySlug[p.Slug] = p
	}
	all, err := h.cfg.Desk.List(ctx)
	if err != nil {
		return err
	}
	now := time.Now()
	lib := web.Current(c, h.cfg.Content).Lib
	comments := func(r *deskviews.DeskRow) {
		row := bySlug[r.Slug]
		r.Count, r.Closed, r.Why, r.Override = row.CommentCount, row.Closed(now), row.ClosedBecause(now), row.CommentsOverride
		if !r.Closed && row.CommentsCloseAt != nil && row.CommentsOverride == repo.CommentsFollow {
			r.Until = views.ExactTime(*row.CommentsCloseAt)
		}
	}
	var out []deskviews.DeskRow
	for _, w := range all {
		r := deskviews.DeskRow{ID: w.ID, Slug: w.Slug, Title: w.Title, State: state(w, now), Page: w.Kind == writing.KindPage}
		switch r.State {
		case deskviews.DeskPublished:
			r.When = stamp(w.PublishAt)
			r.Changed = w.Live != desk.Document(w, false, nil)
			if !r.Page {
				comments(&r)
			}
		case deskviews.DeskScheduled:
			r.When = "for " + stamp(w.PublishAt)
		case deskviews.DeskDeleted:
			r.When = stamp(w.RemovedAt)
		default:
			r.When = "· changed " + stamp(&w.UpdatedAt)
		}
		out = append(out, r)
	}
	for _, p := range lib.Posts {
		if p.Origin == "" {
			r := deskviews.DeskRow{Slug: p.Slug, Title: p.Title, File: true, State: deskviews.DeskPublished, When: p.Date.Format(time.DateOnly)}
			comments(&r)
			out = append(out, r)
		}
	}
	for _, p := range lib.Drafts {
		if p.Origin == "" {
			out = append(out, deskviews.DeskRow{Slug: p.Slug, Title: p.Title, File: true, State: deskviews.DeskDraft})
		}
	}
	for _, p := range lib.Pages {
		if p.Origin != "" {
			continue
		}
		out = append(out, deskviews.DeskRow{Slug: p.Slug, Title: p.Title, File: true, Page: true, State: deskviews.DeskPublished})
	}
	v.Filter = c.Query("show")
	v.Counts = map[string]int{}
	for _, r := range out {
		for _, f := range deskviews.DeskFilters {
			if shows(f.Value, r) {
				v.Counts[f.Value]++
			}
		}
		if shows(v.Filter, r) {
			v.Rows = append(v.Rows, r)
		}
	}
	v.Problems = h.cfg.Content.Problems()
	v.PurgeDays = int(h.cfg.PurgeAfter / (24 * time.Hour))
	return views.Render(c, status, deskviews.DeskPage(h.cfg.Chrome(c), v))
}

// shows reports whether the list's filter shows a row: "" every one but the deleted, "files" the files, a state
// the rows in it.
func shows(filter string, r deskviews.DeskRow) bool {
	switch filter {
	case "":
		return r.State != deskviews.DeskDeleted
	case "files":
		return r.File
	}
	return r.State == filter
}

// notice turns the done= code of the list into words.
func notice(done, slug string) string {
	switch done {
	case "closed":
		return "Comments on " + slug + " are closed."
	case "open":
		return "Comments on " + slug + " are open."
	case "deleted":
		return "The post " + slug + " is deleted. It can be restored from Deleted."
	case "restored":
		return "The post " + slug + " is restored."
	}
	return ""
}

// choices are the values of the list's comments field, by what the store records.
var choices = map[string]string{"closed": repo.CommentsClosed, "open": repo.CommentsOpen, "reset": repo.CommentsFollow}

// SetComments closes a post to new comments, opens it again, or lets its file and COMMENTS_CLOSE_AFTER decide
// (the form's comments field: closed, open or reset), then comes back to the list with a notice. The change
// reaches open pages of the post through its feed.
func (h *Handlers) SetComments(c *fiber.Ctx) error {
	choice, ok := choices[c.FormValue("comments")]
	if !ok {
		return h.renderList(c, fiber.StatusUnprocessableEntity, deskviews.DeskView{Error: "Choose to close comments, open them, or follow the file."})
	}
	slug := strings.Clone(c.Params("slug"))
	p, err := h.cfg.Posts.SetComments(c.UserContext(), slug, choice, repo.Action{Actor: repo.ActorOwner, Name: "comments-" + c.FormValue("comments")})
	if errors.Is(err, repo.ErrNotFound) {
		return h.renderList(c, fiber.StatusNotFound, deskviews.DeskView{Error: "There is no such post."})
	}
	if err != nil {
		return err
	}
	web.Sync(c, h.cfg.Broker, p.ID, p.LastSeq)
	done := "open"
	if p.Closed(time.Now()) {
		done = "closed"
	}
	return c.Redirect("/admin/posts?done="+done+"&post="+slug, fiber.StatusSeeOther)
}
