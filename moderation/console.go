package moderation

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"blog/repo"
	"blog/views"
)

// PageSize is how many comments the console shows at once.
const PageSize = 50

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

// Console serves the owner's pages for comments, bans and the audit trail. Every route is behind the owner's
// sign-in (handlers/routes.go).
type Console struct {
	// ContentProblems, when set, lists the content files skipped because they could not be read.
	ContentProblems func() []string
	service         *Service
	posts           Posts
	audit           AuditLog
	chrome          func(c *fiber.Ctx) views.Chrome
}

// NewConsole returns the console; chrome gives the layout's data for a signed-in request.
func NewConsole(service *Service, posts Posts, audit AuditLog, chrome func(c *fiber.Ctx) views.Chrome) *Console {
	return &Console{service: service, posts: posts, audit: audit, chrome: chrome}
}

// filter reads the console's filter from the query.
func filter(c *fiber.Ctx) views.ConsoleFilter {
	f := views.ConsoleFilter{State: c.Query("state"), Post: c.Query("post"), Text: strings.TrimSpace(c.Query("q")),
		Email: strings.TrimSpace(c.Query("email")), Address: strings.TrimSpace(c.Query("address"))}
	if id := parseID(c.Query("id")); id > 0 {
		f.ID = strconv.FormatInt(id, 10)
	}
	if !repo.ValidState(f.State) {
		f.State = ""
	}
	return f
}

// Page lists the comments that match the filter, newest first, PageSize at a time.
func (k *Console) Page(c *fiber.Ctx) error {
	v, status, err := k.view(c, filter(c), parseID(c.Query("before")))
	if err != nil {
		return err
	}
	v.Notice = doneNotice(c.Query("done"))
	if k.ContentProblems != nil {
		v.ContentProblems = k.ContentProblems()
	}
	return views.Render(c, status, views.ConsolePage(k.chrome(c), v))
}

// view loads the console for a filter and page. A filter that cannot work (an unknown post, an address that is
// not one) comes back as the view's error with status 422, listing nothing.
func (k *Console) view(c *fiber.Ctx, f views.ConsoleFilter, before int64) (views.ConsoleView, int, error) {
	ctx := c.UserContext()
	v := views.ConsoleView{Filter: f, Before: before}
	posts, err := k.posts.ListPosts(ctx)
	if err != nil {
		return v, 0, err
	}
	for _, p := range posts {
		v.Posts = append(v.Posts, views.PostOption{Slug: p.Slug, Title: p.Title})
	}
	if v.Counts, err = k.service.Comments.CountByState(ctx); err != nil {
		return v, 0, err
	}
	q := repo.Search{State: f.State, Text: f.Text, Email: strings.ToLower(f.Email), BeforeID: before, Limit: PageSize + 1,
		ID: parseID(f.ID)}
	if f.Post != "" {
		p, err := k.posts.FindPostBySlug(ctx, f.Post)
		if errors.Is(err, repo.ErrNotFound) {
			v.Error = "There is no post " + f.Post + "."
			return v, fiber.StatusUnprocessableEntity, nil
		} else if err != nil {
			return v, 0, err
		}
		q.PostID = p.ID
	}
	if f.Address != "" {
		hash, network, _, err := k.service.Hasher.ParseBan(f.Address)
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
	found, err := k.service.Comments.SearchComments(ctx, q)
	if err != nil {
		return v, 0, err
	}
	if len(found) > PageSize {
		found = found[:PageSize]
		v.Older = found[len(found)-1].ID
	}
	var edited []int64
	for _, cm := range found {
		if cm.EditedAt != nil {
			edited = append(edited, cm.ID)
		}
	}
	versions, err := k.service.Comments.Versions(ctx, edited)
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
func (k *Console) Act(c *fiber.Ctx) error {
	action := c.FormValue("action")
	var ids []int64
	if one := c.FormValue("one"); one != "" {
		a, id, _ := strings.Cut(one, ":")
		action, ids = a, []int64{parseID(id)}
	} else {
		for _, raw := range c.Request().PostArgs().PeekMulti("id") {
			if id := parseID(string(raw)); id > 0 {
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
		moved, err := k.service.Act(c.UserContext(), repo.ActorOwner, action, ids)
		if errors.Is(err, ErrUnknownAction) {
			msg, status = "Unknown action.", fiber.StatusUnprocessableEntity
			break
		} else if err != nil {
			return err
		}
		msg = fmt.Sprintf("%s: %d comment%s changed.", actionWords[action], len(moved), plural(len(moved)))
	}
	if c.Get("HX-Request") != "true" {
		if status != fiber.StatusOK {
			return k.renderWith(c, back, status, "", msg)
		}
		return c.Redirect(withDone(back, action, len(ids)), fiber.StatusSeeOther)
	}
	if status != fiber.StatusOK {
		return k.renderWith(c, back, status, "", msg)
	}
	return k.renderWith(c, back, fiber.StatusOK, msg, "")
}

// renderWith shows the console at the path back (a console URL) with a notice or an error.
func (k *Console) renderWith(c *fiber.Ctx, back string, status int, notice, errMsg string) error {
	u, _ := url.Parse(back)
	q := u.Query()
	f := views.ConsoleFilter{State: q.Get("state"), Post: q.Get("post"), Text: q.Get("q"), Email: q.Get("email"), Address: q.Get("address")}
	v, st, err := k.view(c, f, parseID(q.Get("before")))
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
	return views.Render(c, status, views.ConsolePage(k.chrome(c), v))
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
	sep := "?"
	if strings.Contains(back, "?") {
		sep = "&"
	}
	return back + sep + "done=" + action + ":" + strconv.Itoa(n)
}

// returnPath keeps a return address only when it is the console.
func returnPath(p string) string {
	if p == "/admin" || strings.HasPrefix(p, "/admin?") {
		return p
	}
	return "/admin"
}

func parseID(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// BansPage lists the bans, and offers to ban the author of ?comment=ID.
func (k *Console) BansPage(c *fiber.Ctx) error {
	return k.renderBans(c, fiber.StatusOK, views.BansView{Notice: c.Query("done")}, parseID(c.Query("comment")))
}

func (k *Console) renderBans(c *fiber.Ctx, status int, v views.BansView, commentID int64) error {
	bans, err := k.service.Bans.List(c.UserContext())
	if err != nil {
		return err
	}
	v.Bans = bans
	if commentID > 0 {
		cm, err := k.service.Comments.FindComment(c.UserContext(), commentID)
		if err == nil {
			v.FromComment = &views.ConsoleComment{Comment: cm}
		} else if !errors.Is(err, repo.ErrNotFound) {
			return err
		}
	}
	v.Notice = banNotice(v.Notice)
	return views.Render(c, status, views.BansPage(k.chrome(c), v))
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
func (k *Console) AddBan(c *fiber.Ctx) error {
	req := BanRequest{Kind: c.FormValue("kind"), Value: strings.Clone(c.FormValue("value")),
		FromComment: parseID(c.FormValue("comment")), RemovePast: c.FormValue("remove_past") != ""}
	_, removed, err := k.service.Ban(c.UserContext(), repo.ActorOwner, req)
	var bad ErrBadBan
	switch {
	case errors.As(err, &bad):
		return k.renderBans(c, fiber.StatusUnprocessableEntity, views.BansView{Error: bad.Msg, Kind: req.Kind, Value: req.Value}, req.FromComment)
	case errors.Is(err, repo.ErrExists):
		return k.renderBans(c, fiber.StatusConflict, views.BansView{Error: "That ban is in place already."}, 0)
	case errors.Is(err, repo.ErrNotFound):
		return k.renderBans(c, fiber.StatusUnprocessableEntity, views.BansView{Error: "There is no such comment."}, 0)
	case err != nil:
		return err
	}
	return c.Redirect("/admin/bans?done=added:"+strconv.Itoa(removed), fiber.StatusSeeOther)
}

// RemoveBan lifts a ban.
func (k *Console) RemoveBan(c *fiber.Ctx) error {
	_, err := k.service.Unban(c.UserContext(), repo.ActorOwner, parseID(c.Params("id")))
	if errors.Is(err, repo.ErrNotFound) {
		return k.renderBans(c, fiber.StatusNotFound, views.BansView{Error: "There is no such ban (removed already?)."}, 0)
	}
	if err != nil {
		return err
	}
	return c.Redirect("/admin/bans?done=removed", fiber.StatusSeeOther)
}

// AuditPage lists the audit trail, newest first.
func (k *Console) AuditPage(c *fiber.Ctx) error {
	entries, err := k.audit.List(c.UserContext(), parseID(c.Query("before")), PageSize+1)
	if err != nil {
		return err
	}
	v := views.AuditView{Entries: entries}
	if len(entries) > PageSize {
		v.Entries = entries[:PageSize]
		v.Older = v.Entries[PageSize-1].ID
	}
	return views.Render(c, fiber.StatusOK, views.AuditPage(k.chrome(c), v))
}
