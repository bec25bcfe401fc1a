// Package live fans changes out to every open event stream of their post. The Broker learns that a post's
// change feed moved (from this instance's writes, or from the database's watcher for other processes and
// instances), reads and renders the new changes once, tells the caches, and hands the same bytes to every
// subscriber.
package live

import (
	"sync"

	"blog/i18n"
	"blog/repo"
)

// Message is one change, rendered once for every stream and cache of an instance.
type Message struct {
	// Seq is the change's sequence in its post's feed, sent as the event id.
	Seq int64
	// Data is the event's payload: an HTML fragment.
	Data []byte
	// Count is the post's number of published comments after the change, Comment the changed comment as it now
	// is (nil: purged for good) and Replies its conversation's published replies now: what the instance's caches
	// need to apply the change, not sent to streams.
	Count   int
	Comment *repo.Comment
	Replies int
	// Closed reports whether the post takes no new comments now (every message says it; a change of the post
	// itself, closed or open again, has no Comment).
	Closed bool
	// PostReactions, set for a reaction to the post itself, are the post's own reactions now.
	PostReactions *repo.Tally
	// Item is the changed comment rendered once (views.CommentHTML) in Locale, when it shows: the lists put it in
	// its conversation instead of rendering it again. Not kept for catching up.
	Item   string
	Locale *i18n.Locale
	// Content says the post itself was written, published or taken down in the desk: the content is read again.
	Content bool
	// Notice, set with Seq 0, is a word for open pages about the content (Broker.Announce), outside the feed's
	// sequence: sent without an id, never kept for catching up.
	Notice bool
}

// HasContent reports whether any of msgs is a change of a post's content (Message.Content).
func HasContent(msgs []Message) bool {
	for _, m := range msgs {
		if m.Content {
			return true
		}
	}
	return false
}

// QueueSize is how many messages a subscriber may have waiting. A subscriber that falls further behind is dropped
// and told to resync, so that one stuck reader never blocks the others. It is larger than one fetch (200), so a
// burst delivered at once does not drop readers that keep up.
const QueueSize = 256

// Subscription is one open stream's place in the hub. Its queue grows only as far as messages actually wait
// (usually one): a channel of QueueSize slots cost every stream 2.3 KB whether or not anything waited, 22 MB
// with 10,000 streams open.
type Subscription struct {
	postID int64
	ready  chan struct{} // one slot: messages are waiting, or the subscription ended

	mu     sync.Mutex
	queue  []*Message // pointers: every subscriber shares one message
	spare  []*Message // the slice Take handed out last, reused for the next queue
	ended  bool
	lagged bool // set with ended when the subscriber was dropped for falling behind
}

// Ready is signalled when messages are waiting or the subscription has ended; then call Take.
func (s *Subscription) Ready() <-chan struct{} { return s.ready }

// Take returns the waiting messages in sequence order (valid until the next Take), and whether the
// subscription has ended: no message will follow these. One goroutine at a time may call it.
func (s *Subscription) Take() (msgs []*Message, ended bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	msgs, s.queue, s.spare = s.queue, s.spare[:0], s.queue
	clear(s.queue[:cap(s.queue)]) // the slice handed out last time no longer pins its messages
	return msgs, s.ended
}

// Lagged reports, once the subscription has ended, whether it was dropped for falling behind (it should resync)
// rather than because the server is closing.
func (s *Subscription) Lagged() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lagged
}

// offer queues msg unless the subscription ended; it reports false when the queue is full.
func (s *Subscription) offer(msg *Message) bool {
	s.mu.Lock()
	ok := s.ended || len(s.queue) < QueueSize
	if ok && !s.ended {
		s.queue = append(s.queue, msg)
	}
	s.mu.Unlock()
	if ok {
		s.signal()
	}
	return ok
}

// end marks the subscription ended (lagged or not) and wakes its reader.
func (s *Subscription) end(lagged bool) {
	s.mu.Lock()
	s.ended, s.lagged = true, lagged
	s.mu.Unlock()
	s.signal()
}

func (s *Subscription) signal() {
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// hub is the in-process registry of subscribers by post.
type hub struct {
	mu     sync.RWMutex
	subs   map[int64]map[*Subscription]struct{}
	count  int
	closed bool
}

func newHub() *hub { return &hub{subs: map[int64]map[*Subscription]struct{}{}} }

func (h *hub) subscribe(postID int64) *Subscription {
	s := &Subscription{postID: postID, ready: make(chan struct{}, 1)}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		s.end(false)
		return s
	}
	m := h.subs[postID]
	if m == nil {
		m = map[*Subscription]struct{}{}
		h.subs[postID] = m
	}
	m[s] = struct{}{}
	h.count++
	return s
}

func (h *hub) unsubscribe(s *Subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.removeLocked(s, false)
}

// removeLocked takes s out of the hub and ends it, once.
func (h *hub) removeLocked(s *Subscription, lagged bool) {
	m := h.subs[s.postID]
	if _, ok := m[s]; !ok {
		return
	}
	delete(m, s)
	if len(m) == 0 {
		delete(h.subs, s.postID)
	}
	h.count--
	s.end(lagged)
}

// broadcast hands msg to every subscriber of the post without ever waiting: a full queue drops that subscriber.
func (h *hub) broadcast(postID int64, msg *Message) {
	var laggards []*Subscription
	h.mu.RLock()
	for s := range h.subs[postID] {
		if !s.offer(msg) {
			laggards = append(laggards, s)
		}
	}
	h.mu.RUnlock()
	if len(laggards) > 0 {
		h.mu.Lock()
		for _, s := range laggards {
			h.removeLocked(s, true)
		}
		h.mu.Unlock()
	}
}

// broadcastAll hands msg to every subscriber of every post but except's, as broadcast does.
func (h *hub) broadcastAll(except int64, msg *Message) {
	h.mu.RLock()
	posts := make([]int64, 0, len(h.subs))
	for id := range h.subs {
		if id != except {
			posts = append(posts, id)
		}
	}
	h.mu.RUnlock()
	for _, id := range posts {
		h.broadcast(id, msg)
	}
}

func (h *hub) size() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.count
}

// close ends every subscription; later subscriptions are closed at once.
func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for _, m := range h.subs {
		for s := range m {
			h.removeLocked(s, false)
		}
	}
}
