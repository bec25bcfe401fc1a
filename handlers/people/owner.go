package people

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"blog/people"
	"blog/repo"
	"blog/views"
)

// OwnerPage is /admin/people: an address to look up, and what is held about it.
func (h *Handlers) OwnerPage(c *fiber.Ctx) error {
	v := views.PeopleView{Query: strings.TrimSpace(strings.Clone(c.Query("email")))}
	if n, err := strconv.Atoi(c.Query("erased")); err == nil && n >= 0 {
		v.Notice = "Erased: " + strconv.Itoa(n) + " comment" + plural(n) + " and everything else held about that address. Open pages have been updated."
	}
	status := fiber.StatusOK
	if v.Query != "" {
		email, ok := people.ValidEmail(v.Query)
		if !ok {
			v.Error, status = "That is not an email address.", fiber.StatusUnprocessableEntity
		} else {
			held, err := h.cfg.People.Held(c.UserContext(), email)
			if err != nil {
				return err
			}
			hv := heldView(held, "/admin/people/export?email="+url.QueryEscape(email), "/admin/people/erase")
			v.Held = &hv
		}
	}
	return views.Render(c, status, views.AdminPeoplePage(h.cfg.OwnerChrome(c), v))
}

// OwnerExport downloads what is held about ?email=.
func (h *Handlers) OwnerExport(c *fiber.Ctx) error {
	email, ok := people.ValidEmail(c.Query("email"))
	if !ok {
		return fiber.NewError(fiber.StatusUnprocessableEntity, "That is not an email address.")
	}
	return h.download(c, email)
}

// OwnerErase erases what is held about the form's address, once the box is checked.
func (h *Handlers) OwnerErase(c *fiber.Ctx) error {
	email, ok := people.ValidEmail(c.FormValue("email"))
	if !ok {
		return views.Render(c, fiber.StatusUnprocessableEntity, views.AdminPeoplePage(h.cfg.OwnerChrome(c),
			views.PeopleView{Error: "That is not an email address."}))
	}
	if c.FormValue("confirm") == "" {
		held, err := h.cfg.People.Held(c.UserContext(), email)
		if err != nil {
			return err
		}
		hv := heldView(held, "/admin/people/export?email="+url.QueryEscape(email), "/admin/people/erase")
		return views.Render(c, fiber.StatusUnprocessableEntity, views.AdminPeoplePage(h.cfg.OwnerChrome(c),
			views.PeopleView{Query: email, Held: &hv, Error: "Check the box first: erasing cannot be undone."}))
	}
	res, err := h.cfg.People.Erase(c.UserContext(), repo.ActorOwner, email)
	if err != nil {
		return err
	}
	return c.Redirect("/admin/people?erased="+strconv.Itoa(res.Comments), fiber.StatusSeeOther)
}
