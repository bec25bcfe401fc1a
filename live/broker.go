package live

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Broker delivers comments committed anywhere to the open streams of this instance.
type Broker interface {
	// Subscribe registers a stream for a post's new comments.
	Subscribe(postID int64) *Subscription
	// Unsubscribe releases a stream's subscription; it is safe to call more than once.
	Unsubscribe(s *Subscription)
	// Committed tells the broker that this instance committed a comment.
	Committed(postID, commentID int64)
	// Run does the broker's work until ctx ends, then closes every subscription.
	Run(ctx context.Context) error
	// Streams returns the number of open subscriptions.
	Streams() int
}

// Fetch returns the rendered comments of a post with ids greater than afterID, oldest first.
type Fetch func(ctx context.Context, postID, afterID int64) ([]Message, error)

// Latest returns the greatest comment id stored.
type Latest func(ctx context.Context) (int64, error)

// fanout turns "post P has a new comment" pokes into rendered messages for P's subscribers. It reads what is new
// from the database (one query per poke, never per stream), so pokes that arrive out of order, twice, or after a
// lost connection still deliver every comment once and in id order.
type fanout struct {
	hub    *hub
	fetch  Fetch
	latest Latest
	log    *slog.Logger

	mu      sync.Mutex
	pending map[int64]int64 // post id -> newest comment id announced
	wake    chan struct{}

	// last is the newest comment id delivered per post; posts not in it start from base.
	last map[int64]int64
	base int64
}

func newFanout(fetch Fetch, latest Latest, log *slog.Logger) *fanout {
	return &fanout{hub: newHub(), fetch: fetch, latest: latest, log: log,
		pending: map[int64]int64{}, wake: make(chan struct{}, 1), last: map[int64]int64{}}
}

func (f *fanout) Subscribe(postID int64) *Subscription { return f.hub.subscribe(postID) }
func (f *fanout) Unsubscribe(s *Subscription)          { f.hub.unsubscribe(s) }
func (f *fanout) Streams() int                         { return f.hub.size() }

// poke records that postID has a comment commentID and wakes the worker. It never blocks.
func (f *fanout) poke(postID, commentID int64) {
	f.mu.Lock()
	f.pending[postID] = max(f.pending[postID], commentID)
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// pokeAll asks the worker to look for missed comments on every post that has subscribers.
func (f *fanout) pokeAll() {
	f.hub.mu.RLock()
	posts := make([]int64, 0, len(f.hub.subs))
	for p := range f.hub.subs {
		posts = append(posts, p)
	}
	f.hub.mu.RUnlock()
	for _, p := range posts {
		f.poke(p, 0)
	}
}

// start sets the starting point: comments up to the newest stored now are not broadcast (streams catch up on
// those themselves).
func (f *fanout) start(ctx context.Context) error {
	base, err := f.latest(ctx)
	if err != nil {
		return err
	}
	f.base = base
	return nil
}

// run delivers pokes until ctx ends, then closes the hub.
func (f *fanout) run(ctx context.Context) {
	defer f.hub.close()
	for {
		select {
		case <-ctx.Done():
			return
		case <-f.wake:
		}
		f.mu.Lock()
		batch := f.pending
		f.pending = map[int64]int64{}
		f.mu.Unlock()
		for postID, newest := range batch {
			f.deliver(ctx, postID, newest)
		}
	}
}

// deliver broadcasts the post's comments newer than the last delivered. Without subscribers it only moves the
// mark forward: a stream that subscribes later reads its history from the database.
func (f *fanout) deliver(ctx context.Context, postID, newest int64) {
	last, ok := f.last[postID]
	if !ok {
		last = f.base
	}
	if !f.hub.hasSubscribers(postID) {
		f.last[postID] = max(last, newest)
		return
	}
	msgs, err := f.fetch(ctx, postID, last)
	if err != nil {
		if ctx.Err() == nil {
			f.log.Error("live: load new comments", "post_id", postID, "err", err)
			// Try again shortly rather than losing the comment for the open streams.
			time.AfterFunc(time.Second, func() { f.poke(postID, newest) })
		}
		return
	}
	for i := range msgs {
		f.hub.broadcast(postID, &msgs[i])
		last = max(last, msgs[i].ID)
	}
	f.last[postID] = last
}

// Local is the broker of a single instance: comments committed here are the only ones there are.
type Local struct {
	*fanout
}

// NewLocal returns a broker for one instance. Comments stored before it is made are not broadcast: streams read
// those from the database when they connect.
func NewLocal(ctx context.Context, fetch Fetch, latest Latest, log *slog.Logger) (*Local, error) {
	f := newFanout(fetch, latest, log)
	if err := f.start(ctx); err != nil {
		return nil, err
	}
	return &Local{fanout: f}, nil
}

// Committed schedules delivery of the comment to the post's streams.
func (l *Local) Committed(postID, commentID int64) { l.poke(postID, commentID) }

// Run delivers comments until ctx ends.
func (l *Local) Run(ctx context.Context) error {
	l.run(ctx)
	return nil
}

var _ Broker = (*Local)(nil)
