package console

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"blog/handlers/web"
	"blog/moderation"
	"blog/repo"
	"blog/views"
	"blog/views/console"
)

// BansPage lists the bans, and offers to ban the author of ?comment=ID.
func (h *Handlers) BansPage(c *fiber.Ctx) error {
	return h.renderBans(c, fiber.StatusOK, console.BansView{Notice: c.Query("done")}, web.ParseID(c.Query("comment")))
}

func (h *Handlers) renderBans(c *fiber.Ctx, status int, v console.BansView, commentID int64) error {
	bans, err := h.cfg.Moderation.Bans(c.UserContext())
	if err != nil {
		return err
	}
	v.Bans = bans
	if commentID > 0 {
		cm, err := h.cfg.Moderation.Comment(c.UserContext(), commentID)
		if err == nil {
			v.FromComment = &console.ConsoleComment{Comment: cm}
		} else if !errors.Is(err, repo.ErrNotFound) {
			return err
		}
	}
	v.Notice = banNotice(v.Notice)
	return views.Render(c, status, console.BansPage(h.consoleChrome(c), v))
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
func (h *Handlers) AddBan(c *fiber.Ctx) error {
	req := moderation.BanRequest{Kind: c.FormValue("kind"), Value: strings.Clone(c.FormValue("value")),
		FromComment: web.ParseID(c.FormValue("comment")), RemovePast: c.FormValue("remove_past") != ""}
	_, moved, err := h.cfg.Moderation.Ban(c.UserContext(), repo.ActorOwner, req)
	var bad moderation.ErrBadBan
	switch {
	case errors.As(err, &bad):
		return h.renderBans(c, fiber.StatusUnprocessableEntity, console.BansView{Error: bad.Msg, Kind: req.Kind, Value: req.Value}, req.FromComment)
	case errors.Is(err, repo.ErrExists):
		return h.renderBans(c, fiber.StatusConflict, console.BansView{Error: "That ban is in place already."}, 0)
	case errors.Is(err, repo.ErrNotFound):
		return h.renderBans(c, fiber.StatusUnprocessableEntity, console.BansView{Error: "There is no such comment."}, 0)
	case err != nil:
		return err
	}
	web.SyncMoved(c, h.cfg.Broker, moved)
	return c.Redirect("/admin/bans?done=added:"+strconv.Itoa(len(moved)), fiber.StatusSeeOther)
}

// RemoveBan lifts a ban.
func (h *Handlers) RemoveBan(c *fiber.Ctx) error {
	_, err := h.cfg.Moderation.Unban(c.UserContext(), repo.ActorOwner, web.ParseID(c.Params("id")))
	if errors.Is(err, repo.ErrNotFound) {
		return h.renderBans(c, fiber.StatusNotFound, console.BansView{Error: "There is no such ban (removed already?)."}, 0)
	}
	if err != nil {
		return err
	}
	return c.Redirect("/admin/bans?done=removed", fiber.StatusSeeOther)
}
