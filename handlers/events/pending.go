package events

import (
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"blog/clientip"
	"blog/headers"
	"blog/observe"
	"blog/sse"
)

// The signed-in owner's count of comments waiting for review, shown in the header of every page. The public pages
// are the same bytes for every reader (they are cached, see pagecache), so nothing in them is the owner's: the
// admin script, seeing the hint cookie set at sign-in (signin.HintCookie), asks /admin/pending, then keeps the
// count live from /admin/events. Both are behind the owner's session like every /admin route (401 for a script).

// OwnerStreamLife bounds one owner event stream: the browser then reconnects, through the session check again,
// so a browser signed out elsewhere (or whose session ended) stops getting counts within this time.
const OwnerStreamLife = 5 * time.Minute

// PendingCount answers the admin script: how many comments wait for review, and where to review them. Never
// cached: it is the owner's alone.
func (h *Handlers) PendingCount(c *fiber.Ctx) error {
	n, err := h.cfg.Moderation.Pending(c.UserContext())
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.JSON(fiber.Map{"pending": n, "href": "/admin?state=pending"})
}

// OwnerEvents streams the pending count as server-sent events (event "pending", data the count): the count now,
// then every new one as the change feed moves on any instance (moderation.Waiting recounts once per batch of
// changes for all the streams of this instance), a heartbeat every Heartbeat, and the end after OwnerStreamLife.
func (h *Handlers) OwnerEvents(c *fiber.Ctx) error {
	key := clientip.Key(h.cfg.Clients.Of(c))
	if !h.holdStream(key) {
		h.cfg.Metrics.Refused("stream_per_client")
		c.Set(fiber.HeaderRetryAfter, "30")
		return fiber.NewError(fiber.StatusTooManyRequests, "Too many open streams from this address.")
	}
	// Subscribed before the count is read, so a change in between is sent (again) rather than missed.
	counts, stop := h.cfg.Waiting.Subscribe()
	now, err := h.cfg.Moderation.Pending(c.UserContext())
	if err != nil {
		stop()
		h.releaseStream(key)
		return err
	}
	start := time.Now()
	id, path, route := strings.Clone(observe.RequestID(c)), strings.Clone(c.Path()), c.Route().Path
	head := [][2]string{{"X-Request-ID", id}}
	headers.Set(func(k, v string) { head = append(head, [2]string{k, v}) })
	c.Context().HijackSetNoResponse(true)
	c.Context().Hijack(func(hj net.Conn) {
		conn := hj
		if u, ok := hj.(interface{ UnsafeConn() net.Conn }); ok {
			conn = u.UnsafeConn()
		}
		// As a post's stream does (PostEvents): its own goroutine, its own connection, closed by it.
		go func() {
			defer func() { observe.Line(h.cfg.Log, id, "GET", path, route, 200, time.Since(start)) }()
			defer conn.Close()
			defer h.releaseStream(key)
			defer stop()
			gone, unwatch := h.reaper.Watch(conn)
			defer unwatch()
			h.streamPending(conn, gone, head, counts, now)
		}()
	})
	return nil
}

// streamPending writes the count now, then each count that differs from the last one sent.
func (h *Handlers) streamPending(conn net.Conn, gone <-chan struct{}, head [][2]string, counts <-chan int, last int) {
	w := sse.NewWriter(conn)
	w.Start(head, 2*time.Second)
	w.Event("pending", 0, []byte(strconv.Itoa(last)))
	if w.Flush() != nil {
		return
	}
	life := time.NewTimer(OwnerStreamLife)
	defer life.Stop()
	tick := time.NewTicker(h.cfg.Heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-gone:
			return
		case <-life.C:
			return // the browser reconnects, through the session check
		case n := <-counts:
			if n == last {
				continue
			}
			last = n
			w.Event("pending", 0, []byte(strconv.Itoa(n)))
		case <-tick.C:
			w.Comment("ping")
		}
		if w.Flush() != nil {
			return
		}
	}
}
