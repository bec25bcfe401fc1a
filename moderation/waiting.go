package moderation

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Waiting tells the owner's open pages how many comments wait for review (pending), as the change feed moves. It
// is told about every batch of changes this instance reads from the feed (Changed: its own writes and every other
// instance's and process's alike), and reads the count again once per batch, however many pages are open, and
// only while one is (no query per connection, nothing on a timer). Every subscriber gets each count read (a
// stream leaves out the ones that repeat what it sent).
type Waiting struct {
	count func(ctx context.Context) (int, error)
	log   *slog.Logger
	wake  chan struct{}

	mu   sync.Mutex
	subs map[chan int]struct{}
}

// NewWaiting returns the watcher of a count of pending comments (Service.Pending); Run makes it work.
func NewWaiting(count func(ctx context.Context) (int, error), log *slog.Logger) *Waiting {
	if log == nil {
		log = slog.Default()
	}
	return &Waiting{count: count, log: log, wake: make(chan struct{}, 1), subs: map[chan int]struct{}{}}
}

// Changed says that comments changed; it never blocks.
func (w *Waiting) Changed() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Subscribe returns a channel that receives the pending count whenever it changes (only the newest count is
// kept for a slow reader), and the function that ends the subscription.
func (w *Waiting) Subscribe() (<-chan int, func()) {
	ch := make(chan int, 1)
	w.mu.Lock()
	w.subs[ch] = struct{}{}
	w.mu.Unlock()
	return ch, func() {
		w.mu.Lock()
		delete(w.subs, ch)
		w.mu.Unlock()
	}
}

// Run recounts after changes until ctx ends.
func (w *Waiting) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		}
		w.mu.Lock()
		n := len(w.subs)
		w.mu.Unlock()
		if n == 0 {
			continue // nobody is listening; a new stream reads the count itself
		}
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		count, err := w.count(cctx)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				w.log.Error("moderation: count pending comments", "err", err)
				time.AfterFunc(time.Second, w.Changed) // try again rather than leave pages with a stale count
			}
			continue
		}
		w.send(count)
	}
}

// send hands count to every subscriber.
func (w *Waiting) send(count int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for ch := range w.subs {
		select {
		case <-ch: // a slow reader needs only the newest count
		default:
		}
		ch <- count
	}
}
