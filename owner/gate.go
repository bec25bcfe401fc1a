package owner

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"blog/clientip"
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

// Allow decides an attempt to sign in from client, from the browser whose device cookie holds device ("" for
// none; see NewDevice), with a password (guess) or not: whether it may go ahead, and if not, how long until one
// may. A refusal is logged.
func (o *Owner) Allow(client netip.Addr, device string, guess bool) (bool, time.Duration) {
	ok, wait := o.gate.allow(attempt{client: clientip.Key(client), device: o.device(device, o.gate.now()), guess: guess})
	if !ok {
		o.cfg.Log.Warn("owner sign-in refused: too many attempts", "client", client.String())
	}
	return ok, wait
}

// Failed logs a failed sign-in by method from client, without the secret, then waits: guessing costs time even
// below the limits.
func (o *Owner) Failed(method, why string, client netip.Addr) {
	o.cfg.Log.Warn("owner sign-in failed", "method", method, "reason", why, "client", client.String())
	time.Sleep(o.cfg.FailureDelay)
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

// DeviceMaxAge is how long a browser stays known after a sign-in: the longest browsers keep a cookie.
const DeviceMaxAge = 400 * 24 * time.Hour

func (o *Owner) signDevice(payload string) string {
	m := hmac.New(sha256.New, o.cfg.Key)
	m.Write([]byte("device:" + payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// NewDevice returns the value of a new device cookie, which marks a browser the owner has just signed in with, and
// when it stops counting: a random id and the time it was issued, signed. It grants nothing but its own allowance
// of sign-in attempts. It is issued by the clock the limits read its age with.
func (o *Owner) NewDevice() (string, time.Time) {
	now := o.gate.now()
	payload := newToken() + "." + strconv.FormatInt(now.Unix(), 10)
	return payload + "." + o.signDevice(payload), now.Add(DeviceMaxAge)
}

// device returns the id of the owner's browser whose device cookie holds v, or "" when v is missing, altered or
// too old.
func (o *Owner) device(v string, now time.Time) string {
	i := strings.LastIndexByte(v, '.')
	if i < 0 || !hmac.Equal([]byte(v[i+1:]), []byte(o.signDevice(v[:i]))) {
		return ""
	}
	id, issued, _ := strings.Cut(v[:i], ".")
	unix, err := strconv.ParseInt(issued, 10, 64)
	if err != nil || now.Sub(time.Unix(unix, 0)) > DeviceMaxAge {
		return ""
	}
	return strings.Clone(id)
}
