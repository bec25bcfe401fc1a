// Package csrf refuses cross-site requests that change state: Go's CrossOriginProtection (Sec-Fetch-Site with an
// Origin fallback) for every unsafe request (SameOrigin, the public pages), and in addition a signed
// double-submit token where a session exists (Middleware: the owner's sign-in pages).
package csrf

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Cookie names the cookie that carries a visitor's random CSRF id; the token in forms is an HMAC of it.
const Cookie = "csrf_id"

// Header is the request header in which htmx sends the token.
const Header = "X-CSRF-Token"

// Field is the form field in which a plain form sends the token.
const Field = "_csrf"

// localsKey is where the middleware leaves the visitor's token for the views.
const localsKey = "csrf_token"

// Guard issues and checks CSRF tokens: a signed double-submit cookie. The cookie holds a random id; forms and
// htmx's X-CSRF-Token header carry HMAC(key, id). Being stateless, it works across instances that share the key
// (kept in the database). Cross-site browser requests are also refused by Go's CrossOriginProtection.
type Guard struct {
	key         []byte
	secure      bool
	crossOrigin *http.CrossOriginProtection
}

// New returns a guard signing with key; secure marks its cookie Secure even on plain HTTP (behind a TLS proxy).
func New(key []byte, secure bool) *Guard {
	return &Guard{key: key, secure: secure, crossOrigin: http.NewCrossOriginProtection()}
}

// Sign returns the token for a CSRF id (or any other string that must be bound to a form).
func (g *Guard) Sign(id string) string {
	m := hmac.New(sha256.New, g.key)
	m.Write([]byte(id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Valid reports whether token is the signature of id, in constant time.
func (g *Guard) Valid(id, token string) bool {
	return id != "" && hmac.Equal([]byte(token), []byte(g.Sign(id)))
}

// Safe reports a method that must not change state.
func Safe(method string) bool {
	return method == fiber.MethodGet || method == fiber.MethodHead || method == fiber.MethodOptions
}

// Sent returns the token a request carries, from the header or the form field.
func Sent(c *fiber.Ctx) string {
	if t := c.Get(Header); t != "" {
		return t
	}
	return c.FormValue(Field)
}

// Middleware makes sure the visitor has a CSRF id (setting the cookie when missing), stores the matching token
// for the views, and refuses unsafe requests that are cross-site or lack the right token.
func (g *Guard) Middleware(c *fiber.Ctx) error {
	id := c.Cookies(Cookie)
	if len(id) != 43 { // 32 random bytes, base64url without padding
		id = ""
	}
	if !Safe(c.Method()) {
		if err := g.CheckOrigin(c); err != nil {
			return err
		}
		if !g.Valid(id, Sent(c)) {
			return fiber.NewError(fiber.StatusForbidden, "missing or wrong CSRF token")
		}
	}
	if id == "" {
		b := make([]byte, 32)
		rand.Read(b)
		id = base64.RawURLEncoding.EncodeToString(b)
		c.Cookie(&fiber.Cookie{Name: Cookie, Value: id, Path: "/", HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode,
			Secure: g.secure || c.Protocol() == "https", Expires: time.Now().Add(365 * 24 * time.Hour)})
	}
	c.Locals(localsKey, g.Sign(id))
	return c.Next()
}

// SameOrigin refuses unsafe requests that a browser marks as cross-site (Sec-Fetch-Site, or Origin where that
// header is missing), and needs no cookie and no token: the public pages stay the same bytes for every reader,
// so they can be rendered and compressed once and cached. Every browser of the last years sends one of the two
// headers on a cross-site POST; a request with neither is not from a browser page, so it cannot carry a
// visitor's cookies against their will.
func (g *Guard) SameOrigin(c *fiber.Ctx) error {
	if !Safe(c.Method()) {
		if err := g.CheckOrigin(c); err != nil {
			return err
		}
	}
	return c.Next()
}

// CheckOrigin runs Go's CrossOriginProtection on the request's method and headers and answers 403 for a
// cross-site request.
func (g *Guard) CheckOrigin(c *fiber.Ctx) error {
	req := &http.Request{Method: c.Method(), Host: string(c.Request().Host()), Header: http.Header{}}
	for _, h := range []string{"Sec-Fetch-Site", "Origin"} {
		if v := c.Get(h); v != "" {
			req.Header.Set(h, v)
		}
	}
	if g.crossOrigin.Check(req) != nil {
		return fiber.NewError(fiber.StatusForbidden, "cross-site request refused")
	}
	return nil
}

// Token returns the visitor's token set by Middleware ("" outside it).
func Token(c *fiber.Ctx) string {
	t, _ := c.Locals(localsKey).(string)
	return t
}
