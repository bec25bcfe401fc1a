package events

import (
	"context"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"blog/clientip"
	"blog/handlers/web"
	"blog/headers"
	"blog/live"
	"blog/observe"
	"blog/sse"
)

// maxCatchUp is the most changes a (re)connecting stream replays; a reader further behind is told to resync
// (reload its list) instead, so one request can never make the server render a post's whole history.
const maxCatchUp = live.PageSize

// PostEvents streams a post's changes as server-sent events. It starts after the change the page reflects (the
// after parameter) or the last event the browser received (Last-Event-ID), sends what was missed, then every new
// change, each exactly once and in order.
func (h *Handlers) PostEvents(c *fiber.Ctx) error {
	_, postID, err := web.LookupPost(c, web.Current(c, h.cfg.Content))
	if err != nil {
		return err
	}
	after := int64(-1)
	for _, v := range []string{c.Query("after"), c.Get("Last-Event-ID")} {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
			after = max(after, n)
		}
	}
	key := clientip.Key(h.cfg.Clients.Of(c))
	if !h.holdStream(key) {
		h.cfg.Metrics.Refused("stream_per_client")
		c.Set(fiber.HeaderRetryAfter, "30")
		return fiber.NewError(fiber.StatusTooManyRequests, "too many open streams from this address")
	}
	start := time.Now()
	// Cloned: they are logged when the stream ends, long after fasthttp has reused the request's buffers.
	id, path, route := strings.Clone(observe.RequestID(c)), strings.Clone(c.Path()), c.Route().Path
	head := [][2]string{{"X-Request-ID", id}}
	headers.Set(func(k, v string) { head = append(head, [2]string{k, v}) })
	// Subscribe before reading what was missed, so a change committed in between is caught by one or the other
	// (and the sequence check drops it if both have it).
	sub := h.cfg.Broker.Subscribe(postID)
	c.Context().HijackSetNoResponse(true)
	c.Context().Hijack(func(hj net.Conn) {
		// The stream runs on a goroutine of its own and this handler returns at once: fasthttp then takes back
		// the request's context and read buffer (several KiB a stream) instead of holding them for the stream's
		// life. The server keeps hijacked connections open (KeepHijackedConns), so the stream closes its own;
		// it uses the connection itself, never fasthttp's reader, which goes back to its pool now.
		conn := hj
		if u, ok := hj.(interface{ UnsafeConn() net.Conn }); ok {
			conn = u.UnsafeConn()
		}
		go func() {
			defer func() { observe.Line(h.cfg.Log, id, "GET", path, route, 200, time.Since(start)) }()
			defer conn.Close()
			defer h.releaseStream(key)
			defer h.cfg.Broker.Unsubscribe(sub)
			gone, stop := h.reaper.Watch(conn)
			defer stop()
			h.stream(conn, gone, head, sub, postID, after)
		}()
	})
	return nil
}

// stream writes the catch-up and then the live events to conn until the client goes, the subscription ends or
// the server shuts down.
func (h *Handlers) stream(conn net.Conn, gone <-chan struct{}, head [][2]string, sub *live.Subscription, postID, after int64) {
	w := sse.NewWriter(conn)
	w.Start(head, 2*time.Second)
	last := int64(0)
	if after >= 0 {
		ctx, cancel := context.WithTimeout(h.ctx, 10*time.Second)
		st, err := h.cfg.Comments.PostStamp(ctx, postID)
		if err == nil && st.Seq-after > maxCatchUp {
			cancel()
			h.resync(w, postID)
			return
		}
		msgs, behind, err := h.cfg.Broker.CatchUp(ctx, postID, after)
		cancel()
		if err != nil {
			return
		}
		if behind {
			// More than is worth replaying: cheaper for both sides to reload the list, which every reader shares.
			h.resync(w, postID)
			return
		}
		for _, m := range msgs {
			w.Event("change", m.Seq, m.Data)
			after = m.Seq
		}
		last = after
	}
	if w.Flush() != nil {
		return
	}
	tick := time.NewTicker(h.cfg.Heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-gone:
			return // the client left; the reaper noticed before any write could
		case <-sub.Ready():
			msgs, ended := sub.Take()
			for _, m := range msgs {
				if m.Notice {
					w.Event("notice", 0, m.Data)
					continue
				}
				if m.Seq > last {
					last = m.Seq
					w.Event("change", m.Seq, m.Data)
				}
			}
			if w.Flush() != nil {
				return
			}
			if ended {
				if sub.Lagged() {
					h.resync(w, postID)
				}
				return
			}
		case <-tick.C:
			w.Comment("ping")
			if w.Flush() != nil {
				return
			}
		}
	}
}

// resync tells a reader that fell too far behind to reload its list, and ends the stream. The event carries the
// feed's current sequence as its id, so the browser reconnects from there (Last-Event-ID) instead of asking for
// the backlog again; the page script reloads the list meanwhile.
func (h *Handlers) resync(w *sse.Writer, postID int64) {
	ctx, cancel := context.WithTimeout(h.ctx, 10*time.Second)
	defer cancel()
	st, err := h.cfg.Comments.PostStamp(ctx, postID)
	if err != nil {
		return // the stream ends; the browser reconnects and asks again
	}
	w.Event("resync", st.Seq, []byte("behind"))
	w.Flush()
}
