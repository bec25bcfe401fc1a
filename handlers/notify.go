package handlers

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"blog/handlers/web"
	"blog/notify"
	"blog/views"
)

// The pages behind the links in notification emails. A link never acts by itself (mail scanners open links):
// it opens a page whose button sends the POST. The one exception is the unsubscribe POST that mail programs
// send on their own (RFC 8058 one-click), which needs no form token: the signed link is the proof, and
// stopping mail is the only thing it can do.

func (s *Server) tokens() notify.Tokens { return notify.Tokens{Key: s.cfg.Keys.Notify} }

// notifyToken reads the signed token from the form or the query and returns the address it is for.
func (s *Server) notifyToken(c *fiber.Ctx, purpose string) (string, string, error) {
	t := strings.Clone(c.FormValue("t"))
	if t == "" {
		t = strings.Clone(c.Query("t"))
	}
	email, err := s.tokens().Check(purpose, t, time.Now())
	if err != nil || s.cfg.Subscriptions == nil {
		return "", "", web.Refusal{Status: fiber.StatusBadRequest, Msg: "This link is not valid: it may have been cut or changed, or it has expired. Ask for a new one by commenting again with the box checked."}
	}
	return email, t, nil
}

func (s *Server) notifyPage(c *fiber.Ctx, purpose string, done bool) error {
	email, token, err := s.notifyToken(c, purpose)
	if err != nil {
		return err
	}
	if done {
		if purpose == notify.PurposeConfirm {
			err = s.cfg.Subscriptions.Confirm(c.UserContext(), email)
		} else {
			err = s.cfg.Subscriptions.Unsubscribe(c.UserContext(), email)
		}
		if err != nil {
			return err
		}
	}
	v := views.NotifyView{Purpose: purpose, Email: email, Token: token, Done: done}
	if purpose == notify.PurposeUnsubscribe {
		sub, _, err := s.cfg.Subscriptions.Subscriber(c.UserContext(), email)
		if err != nil {
			return err
		}
		if sub.Unsubscribed() {
			// The way back after "never": this page was reached through a link mailed to the mailbox, which proves
			// what a confirmation link proves, so its button carries a fresh one (short-lived: it sits in a page).
			// The comment form's box cannot bring the mailbox back: anyone can type an address there.
			v.Unsubscribed = true
			v.Resubscribe = s.tokens().Make(notify.PurposeConfirm, email, time.Now().Add(resubscribeFor))
		}
	}
	return render(c, fiber.StatusOK, views.NotifyPage(s.chromeFor(c), v))
}

// resubscribeFor is how long the resubscribe button of an unsubscribe page works.
const resubscribeFor = time.Hour

func (s *Server) confirmPage(c *fiber.Ctx) error {
	return s.notifyPage(c, notify.PurposeConfirm, false)
}
func (s *Server) confirm(c *fiber.Ctx) error { return s.notifyPage(c, notify.PurposeConfirm, true) }
func (s *Server) unsubscribePage(c *fiber.Ctx) error {
	return s.notifyPage(c, notify.PurposeUnsubscribe, false)
}
func (s *Server) unsubscribe(c *fiber.Ctx) error {
	return s.notifyPage(c, notify.PurposeUnsubscribe, true)
}
