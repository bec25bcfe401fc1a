package live

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// PageSize is how many changes one read of the feed returns; a longer backlog is read in several pages.
const PageSize = 200

// Fetch returns a post's changes with a sequence greater than after, oldest first, at most PageSize, rendered.
type Fetch func(ctx context.Context, postID, after int64) ([]Message, error)

// Apply is told about a post's changes before they are handed to streams, so that what an instance serves
// from memory never lags behind what its streams have delivered.
type Apply func(postID int64, msgs []Message)

// Broker turns "post P's feed moved" pokes into rendered changes for P's streams and caches. It reads what is
// new from the database once per poke (never per stream), so pokes that arrive out of order, twice, or after a
// lost connection still deliver every change once and in sequence order.
type Broker struct {
	hub   *hub
	fetch Fetch
	apply []Apply
	log   *slog.Logger

	mu      sync.Mutex
	pending map[int64]bool
	wake    chan struct{}
	// last is the newest sequence handled per post (worker goroutine only).
	last map[int64]int64

	// handled mirrors last for Sync's waiters; progress is closed and replaced whenever it moves.
	handledMu sync.Mutex
	handled   map[int64]int64
	progress  chan struct{}
}

// New returns a broker whose posts' feeds stand at starts (post id -> newest sequence): changes up to those are
// not broadcast (streams and caches read them from the database themselves).
func New(fetch Fetch, starts map[int64]int64, log *slog.Logger) *Broker {
	last := make(map[int64]int64, len(starts))
	for p, s := range starts {
		last[p] = s
	}
	handled := make(map[int64]int64, len(starts))
	for p, s := range starts {
		handled[p] = s
	}
	return &Broker{hub: newHub(), fetch: fetch, log: log, pending: map[int64]bool{}, wake: make(chan struct{}, 1), last: last,
		handled: handled, progress: make(chan struct{})}
}

// Sync pokes the broker about a change made by this process and waits (until ctx ends) for it to be handled,
// so that the writer's next page view already shows it: read-your-writes on this instance.
func (b *Broker) Sync(ctx context.Context, postID, seq int64) {
	b.Poke(postID, seq)
	for {
		b.handledMu.Lock()
		done, wait := b.handled[postID] >= seq, b.progress
		b.handledMu.Unlock()
		if done {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-wait:
		}
	}
}

// markHandled records that a post's feed was handled up to seq and wakes Sync's waiters.
func (b *Broker) markHandled(postID, seq int64) {
	b.handledMu.Lock()
	defer b.handledMu.Unlock()
	b.handled[postID] = seq
	close(b.progress)
	b.progress = make(chan struct{})
}

// OnChange registers fn to be told about every change before streams are; call it before Run.
func (b *Broker) OnChange(fn Apply) { b.apply = append(b.apply, fn) }

// Subscribe registers a stream for a post's changes.
func (b *Broker) Subscribe(postID int64) *Subscription { return b.hub.subscribe(postID) }

// Unsubscribe releases a stream's subscription; it is safe to call more than once.
func (b *Broker) Unsubscribe(s *Subscription) { b.hub.unsubscribe(s) }

// Streams returns the number of open subscriptions.
func (b *Broker) Streams() int { return b.hub.size() }

// Poke says that post postID's feed reached seq (0 when unknown); it never blocks.
func (b *Broker) Poke(postID, seq int64) {
	b.mu.Lock()
	b.pending[postID] = true
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// Resync asks the worker to look for missed changes on every post it knows.
func (b *Broker) Resync() {
	b.mu.Lock()
	b.pending[0] = true // 0 stands for "all"
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// Run delivers changes until ctx ends, then closes every subscription.
func (b *Broker) Run(ctx context.Context) {
	defer b.hub.close()
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.wake:
		}
		b.mu.Lock()
		batch := b.pending
		b.pending = map[int64]bool{}
		b.mu.Unlock()
		if batch[0] {
			delete(batch, 0)
			for p := range b.last {
				batch[p] = true
			}
		}
		for postID := range batch {
			b.deliver(ctx, postID)
		}
	}
}

// deliver reads the post's changes after the last handled, tells the caches, then broadcasts them.
func (b *Broker) deliver(ctx context.Context, postID int64) {
	for {
		msgs, err := b.fetch(ctx, postID, b.last[postID])
		if err != nil {
			if ctx.Err() == nil {
				b.log.Error("live: read changes", "post_id", postID, "err", err)
				// Try again shortly rather than losing the change for the open streams.
				time.AfterFunc(time.Second, func() { b.Poke(postID, 0) })
			}
			return
		}
		if len(msgs) == 0 {
			return
		}
		for _, fn := range b.apply {
			fn(postID, msgs)
		}
		for i := range msgs {
			b.hub.broadcast(postID, &msgs[i])
		}
		b.last[postID] = msgs[len(msgs)-1].Seq
		b.markHandled(postID, b.last[postID])
		if len(msgs) < PageSize {
			return
		}
	}
}
