// Package signin is the owner's sign-in over HTTP: the cookies that carry a session, a known browser and a
// passkey ceremony; Require, which guards everything under /admin; and the sign-in, setup and account pages.
// Who the owner is and what proves it (passwords, passkeys, sessions, the limits on attempts) is package owner's.
package signin

import (
	"context"
	"crypto/hmac"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/gofiber/fiber/v2"

	"blog/csrf"
	"blog/handlers/web"
	"blog/owner"
	"blog/repo/accounts"
	"blog/views"
)

// SessionCookie names the cookie that carries the owner's session id.
const SessionCookie = "owner_session"

// HintCookie names a cookie that only says "the owner signed in in this browser": it grants nothing and holds
// no secret, so the page script may read it (not HttpOnly) to know that asking /admin/pending is worth a
// request. The public pages stay the same bytes for everyone; a stale hint is cleared by the 401 its question
// gets.
const HintCookie = "owner"

// deviceCookie names the cookie that marks a browser the owner has signed in with (owner.NewDevice).
const deviceCookie = "owner_device"

// ceremonyCookie carries a passkey ceremony's state (the challenge) between its two requests, signed.
const ceremonyCookie = "owner_ceremony"

// localsKey is where Require leaves the signed-in owner's session (a accounts.Session) for the handlers.
const localsKey = "owner_session"

// Config is what the owner's sign-in pages are built from.
type Config struct {
	Owner *owner.Owner
	// CSRF guards the signed-in pages' unsafe requests against cross-site use (their forms carry the session's
	// own token; the sign-in and setup forms, used before a session exists, carry the visitor's, see routes.go).
	CSRF    *csrf.Guard
	Clients web.Clients
	// Chrome is what the pages' layout shows.
	Chrome views.Chrome
	// SecureCookies marks cookies Secure even on plain HTTP (behind a TLS proxy).
	SecureCookies bool
}

// Handlers are the owner's sign-in over HTTP: its middleware and its pages.
type Handlers struct {
	cfg      Config
	owner    *owner.Owner
	passkeys *owner.Passkeys
}

// New returns the owner's sign-in pages.
func New(cfg Config) *Handlers {
	return &Handlers{cfg: cfg, owner: cfg.Owner, passkeys: cfg.Owner.Passkeys()}
}

// signIn opens a session for the browser and records it.
func (h *Handlers) signIn(c *fiber.Ctx, method string) error {
	tok, s, err := h.owner.OpenSession(c.UserContext(), method)
	if err != nil {
		return err
	}
	h.setCookie(c, tok, s.ExpiresAt)
	h.setHint(c, s.ExpiresAt)
	h.markDevice(c)
	return h.owner.RecordSignIn(c.UserContext(), method, h.cfg.Clients.Of(c))
}

func (h *Handlers) setCookie(c *fiber.Ctx, value string, expires time.Time) {
	c.Cookie(&fiber.Cookie{Name: SessionCookie, Value: value, Path: "/", HTTPOnly: true,
		SameSite: fiber.CookieSameSiteStrictMode, Secure: h.secure(c), Expires: expires})
}

// setHint sets the hint cookie (see HintCookie) until expires.
func (h *Handlers) setHint(c *fiber.Ctx, expires time.Time) {
	c.Cookie(&fiber.Cookie{Name: HintCookie, Value: "1", Path: "/", SameSite: fiber.CookieSameSiteStrictMode,
		Secure: h.secure(c), Expires: expires})
}

// markDevice gives the browser a new device cookie.
func (h *Handlers) markDevice(c *fiber.Ctx) {
	value, expires := h.owner.NewDevice()
	c.Cookie(&fiber.Cookie{Name: deviceCookie, Value: value, Path: "/admin",
		HTTPOnly: true, SameSite: fiber.CookieSameSiteStrictMode, Secure: h.secure(c), Expires: expires})
}

// secure reports whether the cookies are to be marked Secure.
func (h *Handlers) secure(c *fiber.Ctx) bool { return h.cfg.SecureCookies || c.Protocol() == "https" }

// current returns the request's valid session, or false.
func (h *Handlers) current(c *fiber.Ctx) (accounts.Session, bool, error) {
	return h.owner.Session(c.UserContext(), c.Cookies(SessionCookie))
}

// ValidSession reports whether value is a current session's cookie: for a decision taken from a request's
// headers before its body is read (how large a body to accept). Require still checks the request in full.
func (h *Handlers) ValidSession(ctx context.Context, value string) bool {
	_, ok, err := h.owner.Session(ctx, value)
	return ok && err == nil
}

// SignedIn reports whether the request comes from the owner's browser (for pages outside /admin, such as a
// draft preview).
func (h *Handlers) SignedIn(c *fiber.Ctx) bool {
	_, ok, err := h.current(c)
	return ok && err == nil
}

// OwnerToken returns the form token of the owner's session when the request comes from the owner's browser
// ("" otherwise): for pages outside /admin that carry an owner's form (a post page's Pin control).
func (h *Handlers) OwnerToken(c *fiber.Ctx) string {
	if c.Cookies(SessionCookie) == "" {
		return ""
	}
	s, ok, err := h.current(c)
	if !ok || err != nil {
		return ""
	}
	return h.owner.FormToken(s)
}

// Require lets a request through only with a valid session: a page request without one is sent to the sign-in
// page, anything else (htmx, a form post, a script) gets 401. Unsafe requests must also be same-origin and carry
// the session's form token.
func (h *Handlers) Require(c *fiber.Ctx) error {
	s, ok, err := h.current(c)
	if err != nil {
		return err
	}
	if !ok {
		if c.Cookies(HintCookie) != "" {
			c.ClearCookie(HintCookie) // the hint is stale: the page script stops asking
		}
		if (c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead) && c.Get("HX-Request") != "true" && !fromScript(c) {
			return c.Redirect(loginURL(c.OriginalURL()), fiber.StatusSeeOther)
		}
		c.Set("HX-Redirect", "/admin/login")
		return fiber.NewError(fiber.StatusUnauthorized, "Please sign in first.")
	}
	if !csrf.Safe(c.Method()) {
		if err := h.cfg.CSRF.CheckOrigin(c); err != nil {
			return err
		}
		if !hmac.Equal([]byte(csrf.Sent(c)), []byte(h.owner.FormToken(s))) {
			return fiber.NewError(fiber.StatusForbidden, "missing or wrong form token")
		}
	}
	if c.Cookies(HintCookie) == "" {
		h.setHint(c, s.ExpiresAt) // a session from before the hint existed, or a browser that dropped it
	}
	c.Locals(localsKey, s)
	return c.Next()
}

// session returns the signed-in owner's session that Require left for the handlers.
func session(c *fiber.Ctx) accounts.Session {
	s, _ := c.Locals(localsKey).(accounts.Session)
	return s
}

// fromScript reports a request a page script made for data (JSON, or an event stream) rather than a page to
// show: it is answered 401, not sent to the sign-in page.
func fromScript(c *fiber.Ctx) bool {
	accept := c.Get(fiber.HeaderAccept)
	return strings.Contains(accept, fiber.MIMEApplicationJSON) || strings.Contains(accept, "text/event-stream")
}

// FormToken returns the signed-in request's form token (for the views).
func (h *Handlers) FormToken(c *fiber.Ctx) string {
	s, ok := c.Locals(localsKey).(accounts.Session)
	if !ok {
		return ""
	}
	return h.owner.FormToken(s)
}

// Chrome returns the layout's data for a signed-in page, with the session's form token.
func (h *Handlers) Chrome(c *fiber.Ctx) views.Chrome {
	ch := h.cfg.Chrome.ForRequest(h.FormToken(c))
	ch.Owner = true
	return ch
}

// safeNext keeps a return address only when it is a path on this site under /admin.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/admin") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/admin"
	}
	return next
}

// loginURL is the sign-in page that returns to next.
func loginURL(next string) string { return "/admin/login?next=" + url.QueryEscape(safeNext(next)) }

// throttle refuses a sign-in attempt over the limits with 429 (see owner.Allow). guess marks a password attempt.
func (h *Handlers) throttle(c *fiber.Ctx, guess bool) error {
	ok, wait := h.owner.Allow(h.cfg.Clients.Of(c), c.Cookies(deviceCookie), guess)
	if ok {
		return nil
	}
	secs := strconv.Itoa(int(wait.Seconds()) + 1)
	c.Set(fiber.HeaderRetryAfter, secs)
	return fiber.NewError(fiber.StatusTooManyRequests, "Too many sign-in attempts from here. Please wait "+secs+" seconds and try again.")
}

// failed answers a failed sign-in after a delay, and logs it without the secret (owner.Failed).
func (h *Handlers) failed(c *fiber.Ctx, method, why string) {
	h.owner.Failed(method, why, h.cfg.Clients.Of(c))
}

// relyingParty returns the WebAuthn configuration for the blog's origin; an address passkeys cannot be bound to
// is refused with 400 and the reason.
func (h *Handlers) relyingParty(c *fiber.Ctx) (*webauthn.WebAuthn, error) {
	rp, err := h.passkeys.RelyingParty(c.Protocol() + "://" + string(c.Request().Host()))
	var bad owner.AddressError
	if errors.As(err, &bad) {
		return nil, fiber.NewError(fiber.StatusBadRequest, bad.Msg)
	}
	return rp, err
}

// beginCeremony stores a passkey ceremony's state in the signed cookie.
func (h *Handlers) beginCeremony(c *fiber.Ctx, purpose string, data *webauthn.SessionData) error {
	v, err := h.passkeys.Seal(purpose, data)
	if err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{Name: ceremonyCookie, Value: v, Path: "/admin", HTTPOnly: true,
		SameSite: fiber.CookieSameSiteStrictMode, Secure: h.secure(c), Expires: data.Expires})
	return nil
}

// finishCeremony reads and clears the ceremony's state, which must be for purpose, and uses up its challenge
// (owner.Passkeys.Open). Any error other than owner.ErrCeremony is the database's.
func (h *Handlers) finishCeremony(c *fiber.Ctx, purpose string) (webauthn.SessionData, error) {
	v := c.Cookies(ceremonyCookie)
	c.ClearCookie(ceremonyCookie)
	return h.passkeys.Open(c.UserContext(), purpose, v)
}
