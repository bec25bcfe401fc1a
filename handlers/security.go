package handlers

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"
	"golang.org/x/time/rate"
)

// contentSecurityPolicy allows nothing from other hosts, no inline script or style and no eval; htmx is
// configured (views.htmxConfig) to need none of them.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

const permissionsPolicy = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"

// csrfCookie names the cookie that carries a visitor's random CSRF id; the token in forms is an HMAC of it.
const csrfCookie = "csrf_id"

// csrfGuard issues and checks CSRF tokens: a signed double-submit cookie. The cookie holds a random id; forms
// and htmx's X-CSRF-Token header carry HMAC(key, id). Being stateless, it works across instances that share the
// key (kept in the database). Cross-site browser requests are also refused by Go's CrossOriginProtection, which
// reads Sec-Fetch-Site and Origin.
type csrfGuard struct {
	key         []byte
	secure      bool
	crossOrigin *http.CrossOriginProtection
}

func newCSRFGuard(key []byte, secure bool) *csrfGuard {
	return &csrfGuard{key: key, secure: secure, crossOrigin: http.NewCrossOriginProtection()}
}

func (g *csrfGuard) token(id string) string {
	m := hmac.New(sha256.New, g.key)
	m.Write([]byte(id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// middleware makes sure the visitor has a CSRF id (setting the cookie when missing), stores the matching token
// for the views, and refuses unsafe requests that are cross-site or lack the right token.
func (g *csrfGuard) middleware(c *fiber.Ctx) error {
	id := c.Cookies(csrfCookie)
	if len(id) != 43 { // 32 random bytes, base64url without padding
		id = ""
	}
	safe := c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead || c.Method() == fiber.MethodOptions
	if !safe {
		if err := g.checkOrigin(c); err != nil {
			return fiber.NewError(fiber.StatusForbidden, "cross-site request refused")
		}
		sent := c.Get("X-CSRF-Token")
		if sent == "" {
			sent = c.FormValue("_csrf")
		}
		if id == "" || !hmac.Equal([]byte(sent), []byte(g.token(id))) {
			return fiber.NewError(fiber.StatusForbidden, "missing or wrong CSRF token")
		}
	}
	if id == "" {
		b := make([]byte, 32)
		rand.Read(b)
		id = base64.RawURLEncoding.EncodeToString(b)
		c.Cookie(&fiber.Cookie{Name: csrfCookie, Value: id, Path: "/", HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode,
			Secure: g.secure || c.Protocol() == "https", Expires: time.Now().Add(365 * 24 * time.Hour)})
	}
	c.Locals(csrfCookie, g.token(id))
	return c.Next()
}

// checkOrigin runs Go's CrossOriginProtection on the request's method and headers.
func (g *csrfGuard) checkOrigin(c *fiber.Ctx) error {
	req := &http.Request{Method: c.Method(), Host: string(c.Request().Host()), Header: http.Header{}}
	for _, h := range []string{"Sec-Fetch-Site", "Origin"} {
		if v := c.Get(h); v != "" {
			req.Header.Set(h, v)
		}
	}
	return g.crossOrigin.Check(req)
}

// securityHeaders sets the headers every response carries.
func securityHeaders(c *fiber.Ctx) error {
	c.Set("Content-Security-Policy", contentSecurityPolicy)
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	c.Set("Permissions-Policy", permissionsPolicy)
	c.Set("X-Frame-Options", "DENY")
	c.Set("Cross-Origin-Opener-Policy", "same-origin")
	return c.Next()
}

// clientIP returns the address of the client: the socket's peer, unless that peer is a trusted proxy, in which
// case X-Forwarded-For is read from the right, skipping trusted proxies, so a client cannot choose its address by
// sending the header itself.
func clientIP(c *fiber.Ctx, trusted []netip.Prefix) string {
	peer, err := netip.ParseAddr(c.Context().RemoteIP().String())
	if err != nil {
		return c.Context().RemoteIP().String()
	}
	peer = peer.Unmap()
	if !isTrusted(peer, trusted) {
		return peer.String()
	}
	hops := strings.Split(c.Get(fiber.HeaderXForwardedFor), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		addr, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		addr = addr.Unmap()
		if !isTrusted(addr, trusted) {
			return addr.String()
		}
	}
	return peer.String()
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// RateLimit is how often one client may post: a steady rate with a burst allowance. The zero value disables it.
type RateLimit struct {
	Every time.Duration
	Burst int
}

// limiter keeps one token bucket per client address and forgets idle ones.
type limiter struct {
	limit RateLimit
	mu    sync.Mutex
	seen  map[string]*bucket
	sweep time.Time
}

type bucket struct {
	lim  *rate.Limiter
	last time.Time
}

func newLimiter(l RateLimit) *limiter {
	return &limiter{limit: l, seen: map[string]*bucket{}, sweep: time.Now()}
}

// allow reports whether key may act now, and if not, how long until it may.
func (l *limiter) allow(key string) (bool, time.Duration) {
	if l.limit.Every <= 0 || l.limit.Burst <= 0 {
		return true, 0
	}
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.sweep) > time.Minute {
		idle := l.limit.Every * time.Duration(l.limit.Burst)
		for k, b := range l.seen {
			if now.Sub(b.last) > idle {
				delete(l.seen, k)
			}
		}
		l.sweep = now
	}
	b := l.seen[key]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(rate.Every(l.limit.Every), l.limit.Burst)}
		l.seen[key] = b
	}
	b.last = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// compressPages compresses rendered pages (fast level: they are built per request). Assets come precompressed
// and event streams manage their own connection, so both are skipped.
func compressPages() fiber.Handler {
	return compress.New(compress.Config{
		Level: compress.LevelBestSpeed,
		Next: func(c *fiber.Ctx) bool {
			p := c.Path()
			return strings.HasPrefix(p, "/assets/") || strings.HasSuffix(p, "/events") || p == "/metrics"
		},
	})
}

// limitBody answers 413 for a body over MaxBody.
func limitBody(c *fiber.Ctx) error {
	if len(c.Body()) > MaxBody {
		return fiber.ErrRequestEntityTooLarge
	}
	return c.Next()
}
