package handlers

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"blog/live"
	"blog/repo"
	"blog/views"
)

// fetchLimit is how many comments one catch-up query reads; larger gaps are read in several pages.
const fetchLimit = 200

// LiveFetch returns the function that renders a post's comments newer than an id into event payloads. The broker
// calls it once per new comment for all streams of an instance; a (re)connecting stream calls it to catch up.
func LiveFetch(store CommentStore) live.Fetch {
	return func(ctx context.Context, postID, afterID int64) ([]live.Message, error) {
		comments, err := store.FindComments(ctx, repo.CommentFilter{PostID: postID, AfterID: afterID, Limit: fetchLimit, OldestFirst: true})
		if err != nil || len(comments) == 0 {
			return nil, err
		}
		total, err := store.CountComments(ctx, postID)
		if err != nil {
			return nil, err
		}
		now := time.Now()
		msgs := make([]live.Message, len(comments))
		for i, cm := range comments {
			var buf bytes.Buffer
			// The count as it stood once this comment was added.
			n := total - (len(comments) - 1 - i)
			if err := views.LiveComment(cm, n, now).Render(ctx, &buf); err != nil {
				return nil, err
			}
			msgs[i] = live.Message{ID: cm.ID, Data: buf.Bytes()}
		}
		return msgs, nil
	}
}

// streamWriteTimeout bounds one write to an event stream: a reader that takes longer to accept data is gone or
// stuck, and its stream is closed.
const streamWriteTimeout = 10 * time.Second

// streamHeader starts every event stream. The connection is taken over from the HTTP server (hijacked), so the
// stream costs one goroutine and a small buffer instead of the server's per-request machinery; the body ends
// when the connection closes.
const streamHeader = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n" +
	"X-Accel-Buffering: no\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\nretry: 2000\n\n"

// events streams a post's new comments as server-sent events. It starts after the newest comment the page holds
// (the after parameter) or the last event the browser received (Last-Event-ID), sends what was missed, then
// every new comment, each exactly once and in order.
func (s *Server) events(c *fiber.Ctx) error {
	_, postID, err := s.lookupPost(c)
	if err != nil {
		return err
	}
	after := int64(-1)
	for _, v := range []string{c.Query("after"), c.Get("Last-Event-ID")} {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
			after = max(after, n)
		}
	}
	// Subscribe before reading what was missed, so a comment committed in between is caught by one or the other
	// (and the id check drops it if both have it).
	sub := s.cfg.Broker.Subscribe(postID)
	c.Context().HijackSetNoResponse(true)
	c.Context().Hijack(func(conn net.Conn) {
		defer s.cfg.Broker.Unsubscribe(sub)
		s.stream(conn, sub, postID, after)
	})
	return nil
}

// stream writes the catch-up and then the live events to conn until the client goes, the subscription ends or
// the server shuts down.
func (s *Server) stream(conn net.Conn, sub *live.Subscription, postID, after int64) {
	st := &stream{conn: conn, w: bufio.NewWriterSize(conn, 1024)}
	st.raw(streamHeader)
	last := int64(0)
	if after >= 0 {
		for {
			ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
			msgs, err := s.fetch(ctx, postID, after)
			cancel()
			if err != nil {
				return
			}
			for i := range msgs {
				st.send(&msgs[i])
				after = msgs[i].ID
			}
			if len(msgs) < fetchLimit {
				break
			}
		}
		last = after
	}
	if st.flush() != nil {
		return
	}
	tick := time.NewTicker(s.cfg.Heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case m, ok := <-sub.C():
			if !ok {
				if sub.Lagged() {
					// Ends the stream; the browser reconnects with Last-Event-ID and catches up.
					st.raw("event: resync\ndata: behind\n\n")
					st.flush()
				}
				return
			}
			if m.ID <= last {
				continue
			}
			last = m.ID
			st.send(m)
			if st.flush() != nil {
				return
			}
		case <-tick.C:
			st.raw(": ping\n\n")
			if st.flush() != nil {
				return
			}
		}
	}
}

// stream writes server-sent events and remembers the first write error.
type stream struct {
	conn net.Conn
	w    *bufio.Writer
	err  error
}

func (s *stream) raw(str string) {
	if s.err == nil {
		_, s.err = s.w.WriteString(str)
	}
}

// send writes one comment event; each line of the payload gets its own data: field.
func (s *stream) send(m *live.Message) {
	s.raw("event: comment\nid: " + strconv.FormatInt(m.ID, 10) + "\n")
	for line := range bytes.Lines(m.Data) {
		s.raw("data: ")
		if s.err == nil {
			_, s.err = s.w.Write(bytes.TrimRight(line, "\r\n"))
		}
		s.raw("\n")
	}
	s.raw("\n")
}

func (s *stream) flush() error {
	if s.err == nil {
		s.conn.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
		s.err = s.w.Flush()
	}
	return s.err
}
