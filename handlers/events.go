package handlers

import (
	"bufio"
	"bytes"
	"context"
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
	c.Set(fiber.HeaderContentType, "text/event-stream")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set(fiber.HeaderConnection, "keep-alive")
	c.Set("X-Accel-Buffering", "no")

	// Subscribe before reading what was missed, so a comment committed in between is caught by one or the other
	// (and the id check below drops it if both have it).
	sub := s.cfg.Broker.Subscribe(postID)
	broker, fetch, done, heartbeat := s.cfg.Broker, s.fetch, s.cfg.Done, s.cfg.Heartbeat
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		defer broker.Unsubscribe(sub)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			select {
			case <-done:
				cancel()
			case <-ctx.Done():
			}
		}()
		st := &stream{w: w}
		st.raw("retry: 2000\n\n")
		if after < 0 {
			// No position given: only comments from now on.
			after = 1<<63 - 1
		}
		for after != 1<<63-1 {
			msgs, err := fetch(ctx, postID, after)
			if err != nil {
				return
			}
			for _, m := range msgs {
				st.send(m)
				after = m.ID
			}
			if len(msgs) < fetchLimit {
				break
			}
		}
		if st.flush() != nil {
			return
		}
		last := after
		if last == 1<<63-1 {
			last = 0
		}
		tick := time.NewTicker(heartbeat)
		defer tick.Stop()
		for {
			select {
			case <-done:
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
	})
	return nil
}

// stream writes server-sent events and remembers the first write error.
type stream struct {
	w   *bufio.Writer
	err error
}

func (s *stream) raw(str string) {
	if s.err == nil {
		_, s.err = s.w.WriteString(str)
	}
}

// send writes one comment event; each line of the payload gets its own data: field.
func (s *stream) send(m live.Message) {
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
		s.err = s.w.Flush()
	}
	return s.err
}
