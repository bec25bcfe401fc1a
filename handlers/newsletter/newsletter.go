// Package newsletter serves posts by email over HTTP: the subscribe form's answer, and the pages the mailed
// links open (confirm, unsubscribe), which ask with a button before acting. The one POST without a form token
// is the unsubscribe that mail programs send on their own (RFC 8058 one-click): the signed link is the proof,
// and stopping mail is all it can do. The rules are newsletter's; this is HTTP only.
package newsletter

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"blog/clientip"
	"blog/content"
	"blog/handlers/web"
	"blog/newsletter"
	"blog/people"
	"blog/views"
)

// Config is what the handlers need.
type Config struct {
	Service *newsletter.Service
	// Chrome is the public pages' layout data; Lib the current content (for the navigation).
	Chrome views.Chrome
	Lib    func(*fiber.Ctx) *content.Library
	// OwnerChrome is the owner's layout data for a request (signin.Handlers.Chrome).
	OwnerChrome func(c *fiber.Ctx) views.Chrome
	Clients     web.Clients
	Hasher      clientip.Hasher
}

// Handlers serves the newsletter's pages.
type Handlers struct{ cfg Config }

// New returns the handlers.
func New(cfg Config) *Handlers { return &Handlers{cfg: cfg} }

func (h *Handlers) page(c *fiber.Ctx, status int, v views.NewsletterView) error {
	if !h.cfg.Service.CanSubscribe() {
		v = views.NewsletterView{State: "off"}
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return views.Render(c, status, views.NewsletterPage(web.Chrome(c, h.cfg.Chrome, h.cfg.Lib(c)), v))
}

// Form is the subscribe form on a page of its own.
func (h *Handlers) Form(c *fiber.Ctx) error {
	return h.page(c, fiber.StatusOK, views.NewsletterView{State: "form"})
}

// Subscribe answers the box: the confirmation link is mailed (within the bounds) and the page says so, the same
// whether the address is subscribed already or not. The answer is the page itself rather than a redirect, so
// the address never travels in a URL (nor in a log).
func (h *Handlers) Subscribe(c *fiber.Ctx) error {
	v := views.NewsletterView{State: "form", Email: strings.Clone(c.FormValue("email"))}
	if !h.cfg.Service.CanSubscribe() {
		return h.page(c, fiber.StatusOK, v)
	}
	email, ok := people.ValidEmail(v.Email)
	if !ok {
		v.Error = "Please enter an email address, like name@example.com."
		return h.page(c, fiber.StatusUnprocessableEntity, v)
	}
	addr := h.cfg.Clients.Of(c)
	err := h.cfg.Service.Subscribe(c.UserContext(), email, h.cfg.Hasher.Address(addr), h.cfg.Hasher.Net(addr))
	if errors.Is(err, newsletter.ErrTooMany) {
		return web.Refusal{Status: fiber.StatusTooManyRequests, Msg: "Too many subscriptions were asked for from this connection today. Please try again tomorrow."}
	}
	if err != nil {
		return err
	}
	return h.page(c, fiber.StatusOK, views.NewsletterView{State: "asked", Email: email})
}

// token reads the signed token from the form or the query and returns the address it is for.
func (h *Handlers) token(c *fiber.Ctx, purpose string) (string, string, error) {
	t := strings.Clone(c.FormValue("t"))
	if t == "" {
		t = strings.Clone(c.Query("t"))
	}
	email, err := h.cfg.Service.CheckToken(purpose, t)
	if err != nil {
		return "", "", web.Refusal{Status: fiber.StatusBadRequest,
			Msg: "This link is not valid: it may have been cut or changed, or it has expired. Ask for a new one with the form under any post."}
	}
	return email, t, nil
}

// ConfirmPage is what the confirmation link opens: a button, since a link never acts by itself.
func (h *Handlers) ConfirmPage(c *fiber.Ctx) error {
	email, t, err := h.token(c, newsletter.PurposeConfirm)
	if err != nil {
		return err
	}
	return h.page(c, fiber.StatusOK, views.NewsletterView{State: "confirm", Email: email, Token: t})
}

// Confirm is the button: the mailbox gets new posts from now on.
func (h *Handlers) Confirm(c *fiber.Ctx) error {
	email, _, err := h.token(c, newsletter.PurposeConfirm)
	if err != nil {
		return err
	}
	if err := h.cfg.Service.Confirm(c.UserContext(), email); err != nil {
		return err
	}
	return h.page(c, fiber.StatusOK, views.NewsletterView{State: "confirmed", Email: email})
}

// UnsubscribePage is what a mail's unsubscribe link opens: a button.
func (h *Handlers) UnsubscribePage(c *fiber.Ctx) error {
	email, t, err := h.token(c, newsletter.PurposeUnsubscribe)
	if err != nil {
		return err
	}
	return h.page(c, fiber.StatusOK, views.NewsletterView{State: "unsubscribe", Email: email, Token: t})
}

// Unsubscribe is the page's button and the one-click POST of mail programs (RFC 8058), which sends the link's
// address with the body List-Unsubscribe=One-Click.
func (h *Handlers) Unsubscribe(c *fiber.Ctx) error {
	email, _, err := h.token(c, newsletter.PurposeUnsubscribe)
	if err != nil {
		return err
	}
	if err := h.cfg.Service.Unsubscribe(c.UserContext(), email); err != nil {
		return err
	}
	return h.page(c, fiber.StatusOK, views.NewsletterView{State: "unsubscribed", Email: email})
}
