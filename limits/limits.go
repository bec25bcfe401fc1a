// Package limits bounds what one client can make the server do: how often it may post, and how large a body
// it may send.
package limits

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/time/rate"
)

// Rate is how often one client may act: a steady rate with a burst allowance. The zero value disables it.
type Rate struct {
	Every time.Duration
	Burst int
}

// ParseRate reads "off", or BURST/INTERVAL such as 3/5s.
func ParseRate(name, s string) (Rate, error) {
	if s == "off" {
		return Rate{}, nil
	}
	b, i, ok := strings.Cut(s, "/")
	burst, err1 := strconv.Atoi(b)
	every, err2 := time.ParseDuration(i)
	if !ok || err1 != nil || err2 != nil || burst < 1 || every <= 0 {
		return Rate{}, fmt.Errorf("%s=%q: want BURST/INTERVAL such as 3/5s, or off", name, s)
	}
	return Rate{Every: every, Burst: burst}, nil
}

// Limiter keeps one token bucket per key (a client address) and forgets idle ones.
type Limiter struct {
	limit Rate
	mu    sync.Mutex
	seen  map[string]*bucket
	sweep time.Time
}

type bucket struct {
	lim  *rate.Limiter
	last time.Time
}

// NewLimiter returns a limiter allowing each key the rate l.
func NewLimiter(l Rate) *Limiter {
	return &Limiter{limit: l, seen: map[string]*bucket{}, sweep: time.Now()}
}

// Allow reports whether key may act now, and if not, how long until it may.
func (l *Limiter) Allow(key string) (bool, time.Duration) { return l.AllowAt(key, time.Now()) }

// AllowAt is Allow at the time now, for callers that keep their own clock (a test that plays a minute of
// attempts without waiting a minute). Times must not go backwards.
func (l *Limiter) AllowAt(key string, now time.Time) (bool, time.Duration) {
	if l.limit.Every <= 0 || l.limit.Burst <= 0 {
		return true, 0
	}
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

// Seen reports whether key has acted (been charged) recently enough that the limiter still keeps its bucket.
func (l *Limiter) Seen(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.seen[key] != nil
}

// Ready reports whether key could act now without acting (no token is taken), and if not, how long until it
// could: for a cost charged only once the outcome is known (Allow then takes it).
func (l *Limiter) Ready(key string) (bool, time.Duration) {
	if l.limit.Every <= 0 || l.limit.Burst <= 0 {
		return true, 0
	}
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.seen[key]
	if b == nil {
		return true, 0
	}
	if t := b.lim.TokensAt(now); t < 1 {
		return false, time.Duration((1 - t) * float64(l.limit.Every))
	}
	return true, 0
}

// Body answers 413 for a request body over max bytes.
func Body(max int) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if len(c.Body()) > max {
			return fiber.ErrRequestEntityTooLarge
		}
		return c.Next()
	}
}
