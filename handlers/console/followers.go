package console

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"blog/handlers/web"
	"blog/repo"
	"blog/repo/federation"
	"blog/views"
	"blog/views/console"
)

// Followers is what the Followers page needs of the blog as an ActivityPub actor (activitypub.Service).
type Followers interface {
	Handle() string
	FollowerList(ctx context.Context, n, offset int) ([]federation.Follower, int, error)
	RemoveFollower(ctx context.Context, id int64) (federation.Follower, error)
	Block(ctx context.Context, domain string) (int, []repo.Moved, error)
}

// FollowersPageSize is how many followers the page shows at once.
const FollowersPageSize = 100

// FollowersPage lists the blog's followers on the fediverse (?offset= pages them).
func (h *Handlers) FollowersPage(c *fiber.Ctx) error {
	return h.renderFollowers(c, fiber.StatusOK, console.FollowersView{Notice: followersNotice(c.Query("done"))})
}

func (h *Handlers) renderFollowers(c *fiber.Ctx, status int, v console.FollowersView) error {
	offset, _ := strconv.Atoi(c.Query("offset"))
	offset = max(0, min(offset, 1<<30))
	fs, total, err := h.cfg.Followers.FollowerList(c.UserContext(), FollowersPageSize, offset)
	if err != nil {
		return err
	}
	v.Handle, v.Followers, v.Total = h.cfg.Followers.Handle(), fs, total
	if offset+len(fs) < total {
		v.Next = offset + len(fs)
	}
	return views.Render(c, status, console.FollowersPage(h.consoleChrome(c), v))
}

func followersNotice(done string) string {
	if done == "removed" {
		return "Follower removed: their server is told."
	}
	if n, ok := strings.CutPrefix(done, "blocked:"); ok {
		return "Server blocked; " + n + " follower(s) removed."
	}
	return ""
}

// RemoveFollower removes one follower.
func (h *Handlers) RemoveFollower(c *fiber.Ctx) error {
	_, err := h.cfg.Followers.RemoveFollower(c.UserContext(), web.ParseID(c.Params("id")))
	if errors.Is(err, repo.ErrNotFound) {
		return h.renderFollowers(c, fiber.StatusNotFound, console.FollowersView{Error: "There is no such follower (removed already?)."})
	}
	if err != nil {
		return err
	}
	return c.Redirect("/admin/followers?done=removed", fiber.StatusSeeOther)
}

// BlockServer blocks a server by its domain: its followers removed, its activities and replies refused.
func (h *Handlers) BlockServer(c *fiber.Ctx) error {
	n, moved, err := h.cfg.Followers.Block(c.UserContext(), strings.Clone(c.FormValue("domain")))
	if err != nil && strings.HasPrefix(err.Error(), "Give a server") {
		return h.renderFollowers(c, fiber.StatusUnprocessableEntity, console.FollowersView{Error: err.Error()})
	}
	if err != nil {
		return err
	}
	web.SyncMoved(c, h.cfg.Broker, moved)
	return c.Redirect("/admin/followers?done=blocked:"+strconv.Itoa(n), fiber.StatusSeeOther)
}
