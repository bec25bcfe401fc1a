package console

import (
	"context"
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"blog/activitypub/following"
	"blog/handlers/web"
	"blog/repo"
	"blog/repo/federation"
	"blog/views"
	"blog/views/console"
)

// Following is what the Following page needs of the blog following others (following.Service).
type Following interface {
	Follow(ctx context.Context, target string) (federation.Followee, error)
	Unfollow(ctx context.Context, id int64) (federation.Followee, error)
	Following(ctx context.Context, n, offset int) ([]federation.Followee, int, error)
	Timeline(ctx context.Context, n int) ([]federation.TimelineItem, error)
}

var _ Following = (*following.Service)(nil)

// Bounds of the Following page: the followed accounts shown, and their newest posts.
const (
	FollowingPageSize = 200
	TimelinePageSize  = 100
)

// FollowingPage lists the accounts the blog follows and their newest posts, with the form to follow one more.
func (h *Handlers) FollowingPage(c *fiber.Ctx) error {
	v := console.FollowingView{}
	switch c.Query("done") {
	case "followed":
		v.Notice = "Follow sent: the account is followed once its server accepts."
	case "unfollowed":
		v.Notice = "Unfollowed: their server is told."
	}
	return h.renderFollowing(c, fiber.StatusOK, v)
}

func (h *Handlers) renderFollowing(c *fiber.Ctx, status int, v console.FollowingView) error {
	ctx := c.UserContext()
	fs, total, err := h.cfg.Following.Following(ctx, FollowingPageSize, 0)
	if err != nil {
		return err
	}
	posts, err := h.cfg.Following.Timeline(ctx, TimelinePageSize)
	if err != nil {
		return err
	}
	v.Following, v.Total, v.Posts, v.Names = fs, total, posts, map[string]string{}
	for _, f := range fs {
		v.Names[f.ActorURI] = f.Handle
		if f.Name != "" {
			v.Names[f.ActorURI] = f.Name + " (" + f.Handle + ")"
		}
	}
	if h.cfg.Followers != nil {
		v.Handle = h.cfg.Followers.Handle()
	}
	return views.Render(c, status, console.FollowingPage(h.consoleChrome(c), v))
}

// Follow follows the account a handle or an address names.
func (h *Handlers) Follow(c *fiber.Ctx) error {
	target := strings.TrimSpace(strings.Clone(c.FormValue("target")))
	if len(target) > 2048 {
		target = target[:2048]
	}
	_, err := h.cfg.Following.Follow(c.UserContext(), target)
	var bad following.BadTarget
	if errors.As(err, &bad) {
		return h.renderFollowing(c, fiber.StatusUnprocessableEntity, console.FollowingView{Target: target, Error: bad.Msg})
	}
	if err != nil {
		return err
	}
	return c.Redirect("/admin/following?done=followed", fiber.StatusSeeOther)
}

// Unfollow stops following one account.
func (h *Handlers) Unfollow(c *fiber.Ctx) error {
	_, err := h.cfg.Following.Unfollow(c.UserContext(), web.ParseID(c.Params("id")))
	if errors.Is(err, repo.ErrNotFound) {
		return h.renderFollowing(c, fiber.StatusNotFound, console.FollowingView{Error: "The blog does not follow that account (unfollowed already?)."})
	}
	if err != nil {
		return err
	}
	return c.Redirect("/admin/following?done=unfollowed", fiber.StatusSeeOther)
}
