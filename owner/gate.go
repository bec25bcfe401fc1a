package owner

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"blog/limits"
)

// The limits on sign-in attempts. They are built so that nobody can lock the owner out:
//   - Per client (an IPv4 address, an IPv6 /64): 10 at once, then one every 30 s.
//   - Overall, for password attempts from browsers the blog does not know: 100 at once, then one a second. It
//     bounds guessing spread over many addresses. Only attempts that their client's own limit lets through
//     count here, so one address cannot spend it.
//   - Per known browser: a browser the owner has signed in with carries a signed device cookie, and its attempts
//     count against its own allowance only (the same as a client's), never against its address's or the
//     overall one. An attacker with many addresses can spend the overall limit, or one sharing the owner's
//     address that address's, but neither touches the owner's own browsers.
//
// Passkey and setup attempts count per client only: a signature or a setup token cannot be guessed, so there
// is nothing for the overall limit to bound.
var (
	perClientRate = limits.Rate{Every: 30 * time.Second, Burst: 10}
	overallRate   = limits.Rate{Every: time.Second, Burst: 100}
)

// attempt is one sign-in attempt as the limits see it.
type attempt struct {
	// client is the client's address as one client counts (see clientip.Key).
	client netip.Prefix
	// device is the id of the owner's browser the attempt comes from, or "".
	device string
	// guess is set for a password, which can be guessed, unlike a passkey's signature or a setup token.
	guess bool
}

// gate decides sign-in attempts. Its clock is a field so that a test can play minutes of attempts at once.
type gate struct {
	perClient, perDevice, overall *limits.Limiter
	now                           func() time.Time
}

func newGate(now func() time.Time) *gate {
	return &gate{perClient: limits.NewLimiter(perClientRate), perDevice: limits.NewLimiter(perClientRate),
		overall: limits.NewLimiter(overallRate), now: now}
}

// allow reports whether the attempt may go ahead, and if not, how long until one may.
func (g *gate) allow(a attempt) (bool, time.Duration) {
	now := g.now()
	if a.device != "" {
		return g.perDevice.AllowAt(a.device, now)
	}
	if ok, wait := g.perClient.AllowAt(a.client.String(), now); !ok {
		return false, wait
	}
	if a.guess {
		return g.overall.AllowAt("all", now)
	}
	return true, 0
}

// deviceCookie names the cookie that marks a browser the owner has signed in with. It grants nothing but its
// own allowance of sign-in attempts.
const deviceCookie = "owner_device"

// deviceMaxAge is how long a browser stays known after a sign-in: the longest browsers keep a cookie.
const deviceMaxAge = 400 * 24 * time.Hour

func (o *Owner) signDevice(payload string) string {
	m := hmac.New(sha256.New, o.cfg.Key)
	m.Write([]byte("device:" + payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// markDevice gives the browser a new device cookie: a random id and the time it was issued, signed.
func (o *Owner) markDevice(c *fiber.Ctx, now time.Time) {
	payload := newToken() + "." + strconv.FormatInt(now.Unix(), 10)
	c.Cookie(&fiber.Cookie{Name: deviceCookie, Value: payload + "." + o.signDevice(payload), Path: "/admin",
		HTTPOnly: true, SameSite: fiber.CookieSameSiteStrictMode, Secure: o.cfg.SecureCookies || c.Protocol() == "https",
		Expires: now.Add(deviceMaxAge)})
}

// device returns the id of the owner's browser the request comes from, or "" when its device cookie is missing,
// altered or too old.
func (o *Owner) device(c *fiber.Ctx, now time.Time) string {
	v := c.Cookies(deviceCookie)
	i := strings.LastIndexByte(v, '.')
	if i < 0 || !hmac.Equal([]byte(v[i+1:]), []byte(o.signDevice(v[:i]))) {
		return ""
	}
	id, issued, _ := strings.Cut(v[:i], ".")
	unix, err := strconv.ParseInt(issued, 10, 64)
	if err != nil || now.Sub(time.Unix(unix, 0)) > deviceMaxAge {
		return ""
	}
	return strings.Clone(id)
}
