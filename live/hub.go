// Package live fans changes out to every open event stream of their post. The Broker learns that a post's
// change feed moved (from this instance's writes, or from the database's watcher for other processes and
// instances), reads and renders the new changes once, tells the caches, and hands the same bytes to every
// subscriber.
package live

import (
	"sync"
)

// Message is one change, rendered once for every stream and cache of an instance.
type Message struct {
	// Seq is the change's sequence in its post's feed, sent as the event id.
	Seq int64
	// Data is the event's payload: an HTML fragment.
	Data []byte
	// Count is the post's number of published comments after the change, and Value what the instance's caches
	// need to apply it (the changed comment as it now is); both are for caches, not streams.
	Count int
	Value any
}

// QueueSize is how many messages a subscriber may have waiting. A subscriber that falls further behind is dropped
// and told to resync, so that one stuck reader never blocks the others. It is larger than one fetch (200), so a
// burst delivered at once does not drop readers that keep up.
const QueueSize = 256

// Subscription is one open stream's place in the hub.
type Subscription struct {
	postID int64
	ch     chan *Message // pointers: every subscriber shares one message, and a queue slot costs 8 bytes
	// lagged is set (before ch is closed) when the subscriber was dropped for falling behind.
	lagged bool
}

// C delivers the post's changes in sequence order. It is closed when the subscriber is dropped or the hub closes.
func (s *Subscription) C() <-chan *Message { return s.ch }

// Lagged reports, once C is closed, whether the subscriber was dropped for falling behind (it should resync)
// rather than because the server is closing.
func (s *Subscription) Lagged() bool { return s.lagged }

// hub is the in-process registry of subscribers by post.
type hub struct {
	mu     sync.RWMutex
	subs   map[int64]map[*Subscription]struct{}
	count  int
	closed bool
}

func newHub() *hub { return &hub{subs: map[int64]map[*Subscription]struct{}{}} }

func (h *hub) subscribe(postID int64) *Subscription {
	s := &Subscription{postID: postID, ch: make(chan *Message, QueueSize)}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(s.ch)
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

// removeLocked takes s out of the hub and closes its channel, once.
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
	s.lagged = lagged
	close(s.ch)
}

func (h *hub) hasSubscribers(postID int64) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.subs[postID]) > 0
}

// broadcast hands msg to every subscriber of the post without ever waiting: a full queue drops that subscriber.
func (h *hub) broadcast(postID int64, msg *Message) {
	var laggards []*Subscription
	h.mu.RLock()
	for s := range h.subs[postID] {
		select {
		case s.ch <- msg:
		default:
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
