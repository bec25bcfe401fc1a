package console

import (
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"blog/handlers/web"
	"blog/repo"
	"blog/views"
)

// PostsPage lists the published posts and whether each takes new comments, with a button per post.
func (h *Handlers) PostsPage(c *fiber.Ctx) error {
	return h.renderPosts(c, fiber.StatusOK, views.PostsView{Notice: postsNotice(c.Query("done"), c.Query("post"))})
}

func (h *Handlers) renderPosts(c *fiber.Ctx, status int, v views.PostsView) error {
	rows, err := h.cfg.Posts.ListPosts(c.UserContext())
	if err != nil {
		return err
	}
	bySlug := make(map[string]repo.Post, len(rows))
	for _, p := range rows {
		bySlug[p.Slug] = p
	}
	now := time.Now()
	for _, p := range h.lib().Posts {
		row := bySlug[p.Slug]
		r := views.PostRow{Slug: p.Slug, Title: p.Title, Count: row.CommentCount, Closed: row.Closed(now),
			Why: row.ClosedBecause(now), Override: row.CommentsOverride}
		if !r.Closed && row.CommentsCloseAt != nil && row.CommentsOverride == repo.CommentsFollow {
			r.Until = views.ExactTime(*row.CommentsCloseAt)
		}
		v.Posts = append(v.Posts, r)
	}
	return views.Render(c, status, views.PostsPage(h.consoleChrome(c), v))
}

// choices are the values of the posts page's comments field, by what the store records.
var choices = map[string]string{"closed": repo.CommentsClosed, "open": repo.CommentsOpen, "reset": repo.CommentsFollow}

// SetComments closes a post to new comments, opens it again, or lets its file and COMMENTS_CLOSE_AFTER decide
// (the form's comments field: closed, open or reset), then comes back to the posts page with a notice. The
// change reaches open pages of the post through its feed.
func (h *Handlers) SetComments(c *fiber.Ctx) error {
	choice, ok := choices[c.FormValue("comments")]
	if !ok {
		return h.renderPosts(c, fiber.StatusUnprocessableEntity, views.PostsView{Error: "Choose to close comments, open them, or follow the file."})
	}
	slug := strings.Clone(c.Params("slug"))
	p, err := h.cfg.Posts.SetComments(c.UserContext(), slug, choice, repo.Action{Actor: repo.ActorOwner, Name: "comments-" + c.FormValue("comments")})
	if errors.Is(err, repo.ErrNotFound) {
		return h.renderPosts(c, fiber.StatusNotFound, views.PostsView{Error: "There is no such post."})
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

// postsNotice turns the done= code of the posts page into words.
func postsNotice(done, slug string) string {
	switch done {
	case "closed":
		return "Comments on " + slug + " are closed."
	case "open":
		return "Comments on " + slug + " are open."
	}
	return ""
}

// FormToken answers the session's form token as JSON (private, never stored): the owner's script asks for it on
// a post page, which is the same bytes for every reader and so carries no token, to send the Pin and Unpin it
// adds to the comments there.
func (h *Handlers) FormToken(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.JSON(fiber.Map{"token": h.consoleChrome(c).CSRFToken})
}
