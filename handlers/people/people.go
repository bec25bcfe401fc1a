// Package people serves what a commenter can do about their data, and the owner's page for it: asking for a
// link mailed to their address (/your-data), the page that link opens with a download and an erasure, and
// /admin/people, where the owner does the same for an address. The rules are people's; this is HTTP only.
package people

import (
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"blog/clientip"
	"blog/content"
	"blog/handlers/web"
	"blog/notify"
	"blog/people"
	"blog/repo"
	"blog/views"
)

// Config is what the handlers need.
type Config struct {
	People *people.Service
	Tokens notify.Tokens
	// Chrome is the public pages' layout data; Lib the current content (for the navigation); OwnerChrome the
	// owner's layout data for a request (signin.Handlers.Chrome).
	Chrome      views.Chrome
	Lib         func(*fiber.Ctx) *content.Library
	OwnerChrome func(c *fiber.Ctx) views.Chrome
	Clients     web.Clients
	Hasher      clientip.Hasher
}

// Handlers serves the data pages.
type Handlers struct{ cfg Config }

// New returns the handlers.
func New(cfg Config) *Handlers { return &Handlers{cfg: cfg} }

func (h *Handlers) chrome(c *fiber.Ctx) views.Chrome {
	return web.Chrome(c, h.cfg.Chrome, h.cfg.Lib(c))
}

// RequestPage is the form that asks for a link.
func (h *Handlers) RequestPage(c *fiber.Ctx) error {
	return views.Render(c, fiber.StatusOK, views.YourDataPage(h.chrome(c), views.YourDataView{CanMail: h.cfg.People.CanMail()}))
}

// Request mails the link, and answers the same whether the address commented or not. The answer is the page
// itself rather than a redirect, so the address never travels in a URL (nor in a log).
func (h *Handlers) Request(c *fiber.Ctx) error {
	v := views.YourDataView{CanMail: h.cfg.People.CanMail(), Email: strings.Clone(c.FormValue("email"))}
	if !v.CanMail {
		return views.Render(c, fiber.StatusOK, views.YourDataPage(h.chrome(c), v))
	}
	email, ok := people.ValidEmail(v.Email)
	if !ok {
		v.Error = "Please enter the email address you commented with, like name@example.com."
		return views.Render(c, fiber.StatusUnprocessableEntity, views.YourDataPage(h.chrome(c), v))
	}
	addr := h.cfg.Clients.Of(c)
	err := h.cfg.People.Request(c.UserContext(), email, h.cfg.Hasher.Address(addr), h.cfg.Hasher.Net(addr))
	if errors.Is(err, people.ErrTooMany) {
		return web.Refusal{Status: fiber.StatusTooManyRequests, Msg: "Too many links were asked for from this connection today. Please try again tomorrow."}
	}
	if err != nil {
		return err
	}
	v.Email, v.Sent = email, true
	return views.Render(c, fiber.StatusOK, views.YourDataPage(h.chrome(c), v))
}

// linkEmail reads the signed link's token and returns the address it is for.
func (h *Handlers) linkEmail(c *fiber.Ctx) (string, string, error) {
	t := strings.Clone(c.FormValue("t"))
	if t == "" {
		t = strings.Clone(c.Query("t"))
	}
	email, err := h.cfg.Tokens.Check(notify.PurposeData, t, time.Now())
	if parts := strings.Split(t, "."); err == nil && len(parts) == 3 && parts[1] == "0" {
		err = notify.ErrBadToken // a data link always expires; one that never does was not made by MailDataLink
	}
	if err != nil {
		return "", "", web.Refusal{Status: fiber.StatusBadRequest,
			Msg: "This link is not valid: it may have been cut or changed, or it has expired (links work for 24 hours). Ask for a new one at /your-data."}
	}
	return email, t, nil
}

// Manage is the page the mailed link opens.
func (h *Handlers) Manage(c *fiber.Ctx) error {
	email, token, err := h.linkEmail(c)
	if err != nil {
		return err
	}
	held, err := h.cfg.People.Held(c.UserContext(), email)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	v := views.ManageView{Token: token, Held: heldView(held, "/your-data/export?t="+url.QueryEscape(token), "/your-data/erase")}
	return views.Render(c, fiber.StatusOK, views.YourDataManagePage(h.chrome(c), v))
}

// Export downloads what is held, from the mailed link.
func (h *Handlers) Export(c *fiber.Ctx) error {
	email, _, err := h.linkEmail(c)
	if err != nil {
		return err
	}
	return h.download(c, email)
}

func (h *Handlers) download(c *fiber.Ctx, email string) error {
	held, err := h.cfg.People.Held(c.UserContext(), email)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="comments-data.json"`)
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Status(fiber.StatusOK).Send(held.Export().JSON())
}

// Erase erases what is held, from the mailed link, once the box is checked.
func (h *Handlers) Erase(c *fiber.Ctx) error {
	email, token, err := h.linkEmail(c)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	if c.FormValue("confirm") == "" {
		held, err := h.cfg.People.Held(c.UserContext(), email)
		if err != nil {
			return err
		}
		v := views.ManageView{Token: token, Error: "Check the box first: erasing cannot be undone.",
			Held: heldView(held, "/your-data/export?t="+url.QueryEscape(token), "/your-data/erase")}
		return views.Render(c, fiber.StatusUnprocessableEntity, views.YourDataManagePage(h.chrome(c), v))
	}
	res, err := h.cfg.People.Erase(c.UserContext(), repo.ActorAuthor, email)
	if err != nil {
		return err
	}
	return views.Render(c, fiber.StatusOK, views.YourDataManagePage(h.chrome(c), views.ManageView{Erased: true, ErasedComments: res.Comments, ErasedMessages: res.Messages}))
}

// resultWords says what an erasure removed.
// heldView turns what is held into what the pages show.
func heldView(h people.Held, exportHref, eraseAction string) views.HeldView {
	e := h.Export()
	v := views.HeldView{Email: h.Email, Nothing: h.Empty(), ExportHref: exportHref, EraseAction: eraseAction,
		Messages: len(e.Mail.Messages)}
	if e.Commenter != nil {
		v.Name = e.Commenter.Name
	}
	if s := e.Mail.Subscription; s != nil {
		switch {
		case s.UnsubscribedAt != nil:
			v.Subscription, v.SubscribedAt = "stopped", *s.UnsubscribedAt
		case s.ConfirmedAt != nil:
			v.Subscription, v.SubscribedAt = "confirmed", *s.ConfirmedAt
		default:
			v.Subscription = "asked"
		}
	}
	for _, c := range e.Comments {
		v.Versions += len(c.Versions)
		v.Comments = append(v.Comments, views.HeldComment{ID: c.ID, Post: c.Post, State: c.State, Excerpt: excerpt(c.Text, 140), At: c.PostedAt})
	}
	return v
}

func excerpt(s string, n int) string {
	r := []rune(strings.Join(strings.Fields(s), " "))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n-1]) + "…"
}

// plural is "s" unless n is one (the owner's page, which stays English).
func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
