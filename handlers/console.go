package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"blog/handlers/web"
	"blog/moderation"
	"blog/repo"
	"blog/views"
)

// ConsolePageSize is how many comments the owner's console shows at once.
const ConsolePageSize = 50

// Posts is what the console needs to name posts.
type Posts interface {
	ListPosts(ctx context.Context) ([]repo.Post, error)
	FindPostBySlug(ctx context.Context, slug string) (repo.Post, error)
}

// AuditLog is what the console needs from the audit trail.
type AuditLog interface {
	List(ctx context.Context, before int64, limit int) ([]repo.AuditEntry, error)
}

var (
	_ Posts    = (*repo.Posts)(nil)
	_ AuditLog = (*repo.Audit)(nil)
)

// The owner's console at /admin: comments, bans and the audit trail, every route behind the owner's sign-in
// (routes.go). What it does to comments and bans, moderation does; this is its HTTP side.

// consoleChrome is the layout's data for a signed-in page.
func (s *Server) consoleChrome(c *fiber.Ctx) views.Chrome { return s.signin.Chrome(c) }

// filter reads the console's filter from the query.
func filter(c *fiber.Ctx) views.ConsoleFilter {
	f := views.ConsoleFilter{State: c.Query("state"), Post: c.Query("post"), Text: strings.TrimSpace(c.Query("q")),
		Email: strings.TrimSpace(c.Query("email")), Address: strings.TrimSpace(c.Query("address"))}
	if id := web.ParseID(c.Query("id")); id > 0 {
		f.ID = strconv.FormatInt(id, 10)
	}
	if !repo.ValidState(f.State) {
		f.State = "" // "all", or nothing asked
	}
	return f
}

// consolePage lists the comments that match the filter, newest first, ConsolePageSize at a time. Asked for no
// state at all (the console's own address), it shows the comments waiting for review when there are any.
func (s *Server) consolePage(c *fiber.Ctx) error {
	f, waiting := filter(c), false
	if c.Query("state") == "" && f.Active() == 0 && f.ID == "" && c.Query("before") == "" {
		n, err := s.cfg.Moderation.Pending(c.UserContext())
		if err != nil {
			return err
		}
		if n > 0 {
			f.State, waiting = repo.StatePending, true
		}
	}
	v, status, err := s.consoleView(c, f, web.ParseID(c.Query("before")))
	if err != nil {
		return err
	}
	v.Waiting, v.SelectAll = waiting, c.Query("select") == "all"
	v.Notice = doneNotice(c.Query("done"))
	if id, ok := repliedDone(c.Query("done")); ok {
		if v.Replied, err = s.consoleComment(c, id); err != nil {
			return err
		}
	}
	v.ContentProblems = s.cfg.Content.Problems()
	return views.Render(c, status, views.ConsolePage(s.consoleChrome(c), v))
}

// consoleComment returns one comment as the console shows it (nil when it is gone).
func (s *Server) consoleComment(c *fiber.Ctx, id int64) (*views.ConsoleComment, error) {
	cm, err := s.cfg.Moderation.Comment(c.UserContext(), id)
	if errors.Is(err, repo.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	slug := s.slugOf(cm.PostID)
	title := slug
	if p, ok := s.lib().PostBySlug(slug); ok {
		title = p.Title
	}
	return &views.ConsoleComment{Comment: cm, PostSlug: slug, PostTitle: title}, nil
}

// view loads the console for a filter and page. A filter that cannot work (an unknown post, an address that is
// not one) comes back as the view's error with status 422, listing nothing.
func (s *Server) consoleView(c *fiber.Ctx, f views.ConsoleFilter, before int64) (views.ConsoleView, int, error) {
	ctx := c.UserContext()
	v := views.ConsoleView{Filter: f, Before: before, Author: s.chrome.Author}
	for _, d := range s.lib().Drafts {
		v.Drafts = append(v.Drafts, views.DraftView{Slug: d.Slug, Title: d.Title, Date: d.Date})
	}
	posts, err := s.cfg.Posts.ListPosts(ctx)
	if err != nil {
		return v, 0, err
	}
	for _, p := range posts {
		v.Posts = append(v.Posts, views.PostOption{Slug: p.Slug, Title: p.Title})
	}
	if v.Counts, err = s.cfg.Moderation.Counts(ctx); err != nil {
		return v, 0, err
	}
	q := repo.Search{State: f.State, Text: f.Text, Email: strings.ToLower(f.Email), BeforeID: before, Limit: ConsolePageSize + 1,
		ID: web.ParseID(f.ID)}
	if f.Post != "" {
		p, err := s.cfg.Posts.FindPostBySlug(ctx, f.Post)
		if errors.Is(err, repo.ErrNotFound) {
			v.Error = "There is no post " + f.Post + "."
			return v, fiber.StatusUnprocessableEntity, nil
		} else if err != nil {
			return v, 0, err
		}
		q.PostID = p.ID
	}
	if f.Address != "" {
		hash, network, err := s.cfg.Moderation.ParseAddress(f.Address)
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
	found, err := s.cfg.Moderation.Search(ctx, q)
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
	versions, err := s.cfg.Moderation.Versions(ctx, edited)
	if err != nil {
		return v, 0, err
	}
	for _, cm := range found {
		v.Comments = append(v.Comments, views.ConsoleComment{Comment: cm, PostSlug: cm.Post.Slug, PostTitle: cm.Post.Title,
			Versions: versions[cm.ID]})
	}
	return v, fiber.StatusOK, nil
}

// Act applies an action to the selected comments (or to one, from its own button), then shows the console
// again: a redirect for a plain form, the refreshed results for htmx.
func (s *Server) consoleAct(c *fiber.Ctx) error {
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
		moved, err := s.cfg.Moderation.Act(c.UserContext(), repo.ActorOwner, action, ids)
		if errors.Is(err, moderation.ErrUnknownAction) {
			msg, status = "Unknown action.", fiber.StatusUnprocessableEntity
			break
		} else if err != nil {
			return err
		}
		web.SyncMoved(c, s.cfg.Broker, moved) // the owner's next page shows what they did
		msg = fmt.Sprintf("%s: %d comment%s changed.", actionWords[action], len(moved), plural(len(moved)))
	}
	if c.Get("HX-Request") != "true" {
		if status != fiber.StatusOK {
			return s.consoleWith(c, back, status, "", msg)
		}
		return c.Redirect(withDone(back, action, len(ids)), fiber.StatusSeeOther)
	}
	if status != fiber.StatusOK {
		return s.consoleWith(c, back, status, "", msg)
	}
	return s.consoleWith(c, back, fiber.StatusOK, msg, "")
}

// consoleWith shows the console at the path back (a console URL) with a notice or an error; more, when given,
// adds to what it shows (a reply's outcome).
func (s *Server) consoleWith(c *fiber.Ctx, back string, status int, notice, errMsg string, more ...func(*views.ConsoleView)) error {
	u, _ := url.Parse(back)
	q := u.Query()
	f := views.ConsoleFilter{State: q.Get("state"), Post: q.Get("post"), Text: q.Get("q"), Email: q.Get("email"), Address: q.Get("address")}
	if !repo.ValidState(f.State) {
		f.State = ""
	}
	v, st, err := s.consoleView(c, f, web.ParseID(q.Get("before")))
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
	return views.Render(c, status, views.ConsolePage(s.consoleChrome(c), v))
}

var actionWords = map[string]string{"approve": "Approved", "restore": "Restored", "spam": "Marked as spam", "delete": "Deleted"}

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
	return "/admin"
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// BansPage lists the bans, and offers to ban the author of ?comment=ID.
func (s *Server) bansPage(c *fiber.Ctx) error {
	return s.renderBans(c, fiber.StatusOK, views.BansView{Notice: c.Query("done")}, web.ParseID(c.Query("comment")))
}

func (s *Server) renderBans(c *fiber.Ctx, status int, v views.BansView, commentID int64) error {
	bans, err := s.cfg.Moderation.Bans(c.UserContext())
	if err != nil {
		return err
	}
	v.Bans = bans
	if commentID > 0 {
		cm, err := s.cfg.Moderation.Comment(c.UserContext(), commentID)
		if err == nil {
			v.FromComment = &views.ConsoleComment{Comment: cm}
		} else if !errors.Is(err, repo.ErrNotFound) {
			return err
		}
	}
	v.Notice = banNotice(v.Notice)
	return views.Render(c, status, views.BansPage(s.consoleChrome(c), v))
}

// banNotice turns the done= code of the bans page into words.
func banNotice(done string) string {
	if done == "removed" {
		return "Ban removed."
	}
	code, n, _ := strings.Cut(done, ":")
	removed, err := strconv.Atoi(n)
	switch {
	case code != "added" || err != nil:
		return ""
	case removed > 0:
		return fmt.Sprintf("Ban added; %d earlier comment%s marked as spam.", removed, plural(removed))
	}
	return "Ban added."
}

// AddBan adds a ban from the form (kind and value, or a comment's email, address or network).
func (s *Server) addBan(c *fiber.Ctx) error {
	req := moderation.BanRequest{Kind: c.FormValue("kind"), Value: strings.Clone(c.FormValue("value")),
		FromComment: web.ParseID(c.FormValue("comment")), RemovePast: c.FormValue("remove_past") != ""}
	_, moved, err := s.cfg.Moderation.Ban(c.UserContext(), repo.ActorOwner, req)
	var bad moderation.ErrBadBan
	switch {
	case errors.As(err, &bad):
		return s.renderBans(c, fiber.StatusUnprocessableEntity, views.BansView{Error: bad.Msg, Kind: req.Kind, Value: req.Value}, req.FromComment)
	case errors.Is(err, repo.ErrExists):
		return s.renderBans(c, fiber.StatusConflict, views.BansView{Error: "That ban is in place already."}, 0)
	case errors.Is(err, repo.ErrNotFound):
		return s.renderBans(c, fiber.StatusUnprocessableEntity, views.BansView{Error: "There is no such comment."}, 0)
	case err != nil:
		return err
	}
	web.SyncMoved(c, s.cfg.Broker, moved)
	return c.Redirect("/admin/bans?done=added:"+strconv.Itoa(len(moved)), fiber.StatusSeeOther)
}

// RemoveBan lifts a ban.
func (s *Server) removeBan(c *fiber.Ctx) error {
	_, err := s.cfg.Moderation.Unban(c.UserContext(), repo.ActorOwner, web.ParseID(c.Params("id")))
	if errors.Is(err, repo.ErrNotFound) {
		return s.renderBans(c, fiber.StatusNotFound, views.BansView{Error: "There is no such ban (removed already?)."}, 0)
	}
	if err != nil {
		return err
	}
	return c.Redirect("/admin/bans?done=removed", fiber.StatusSeeOther)
}

// AuditPage lists the audit trail, newest first.
func (s *Server) auditPage(c *fiber.Ctx) error {
	entries, err := s.cfg.Audit.List(c.UserContext(), web.ParseID(c.Query("before")), ConsolePageSize+1)
	if err != nil {
		return err
	}
	v := views.AuditView{Entries: entries}
	if len(entries) > ConsolePageSize {
		v.Entries = entries[:ConsolePageSize]
		v.Older = v.Entries[ConsolePageSize-1].ID
	}
	return views.Render(c, fiber.StatusOK, views.AuditPage(s.consoleChrome(c), v))
}
