package live

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"blog/i18n"
	"blog/live/lists"
	"blog/repo"
)

// PageSize is how many changes one read of the feed returns; a longer backlog is read in several pages.
const PageSize = 200

// fetch returns a post's changes with a sequence greater than after, oldest first, at most PageSize, rendered.
type fetch func(ctx context.Context, postID, after int64) ([]Message, error)

// Apply is told about a post's changes before they are handed to streams, so that what an instance serves
// from memory never lags behind what its streams have delivered.
type Apply func(postID int64, msgs []Message)

// Broker turns "post P's feed moved" pokes into rendered changes for P's streams and caches. It reads what is
// new from the database once per poke (never per stream), so pokes that arrive out of order, twice, or after a
// lost connection still deliver every change once and in sequence order.
type Broker struct {
	hub   *hub
	fetch fetch
	lists *lists.Lists
	apply []Apply
	log   *slog.Logger
	// posts names posts and gives their language (nil in a broker without lists).
	posts Posts

	mu      sync.Mutex
	pending map[int64]bool
	wake    chan struct{}
	// last is the newest sequence handled per post (worker goroutine only).
	last map[int64]int64

	// handled mirrors last for Sync's waiters; progress is closed and replaced whenever it moves.
	handledMu sync.Mutex
	handled   map[int64]int64
	progress  chan struct{}

	// recent keeps each post's last PageSize messages, as they were handed to streams, for streams that catch up.
	recentMu    sync.Mutex
	recent      map[int64]*backlog
	recentBytes int
	fill        singleflight.Group
}

// backlog is the run of a post's newest messages after sequence from, oldest first, without gaps. cut says that
// what came before from is not worth replaying (more than PageSize changes, or MaxCatchUpBytes of them: a reader
// that far behind reloads its list instead); without it, the messages before from were never read (the broker
// started after them, or the backlog was dropped) and are read from the database when a stream asks.
type backlog struct {
	from int64
	msgs []*Message
	size int
	cut  bool
}

// last is the sequence of the backlog's newest message (from when it holds none).
func (bl *backlog) last() int64 {
	if len(bl.msgs) == 0 {
		return bl.from
	}
	return bl.msgs[len(bl.msgs)-1].Seq
}

// MaxCatchUpBytes bounds what a (re)connecting stream replays: past it, or past PageSize changes, the reader is
// told to resync and reloads the post's list (shared and compressed) rather than megabytes of events written for
// it alone. It also bounds what the broker keeps of each post.
const MaxCatchUpBytes = 256 << 10

// maxRecentBytes bounds the messages kept for catching up across all posts; past it, other posts' backlogs are
// dropped (and read again from the database when a stream needs one).
const maxRecentBytes = 32 << 20

// Store is what the broker reads: each post's changes, and what its kept lists read.
type Store interface {
	lists.Store
	FindChanges(ctx context.Context, postID, after int64, limit int) ([]repo.Change, error)
}

// Posts names a post by its database id, and gives the locale its changes are rendered in: the kept lists'
// (lists.Posts), so that a change and its post's list speak the same language.
type Posts = lists.Posts

// localized is ctx carrying the post's locale, for its renderings.
func localized(ctx context.Context, posts Posts, postID int64) context.Context {
	return i18n.With(ctx, posts.Locale(postID))
}

// New returns the broker of store's change feed, whose posts' feeds stand at starts (post id -> newest sequence):
// changes up to those are not broadcast (streams and lists read them from the database themselves). It renders
// each change once and keeps every post's rendered list (lists.Lists) current with them; posts names a post by
// its id (for the comments' links) and says its language (the words around every comment).
func New(store Store, posts Posts, starts map[int64]int64, log *slog.Logger) *Broker {
	b := newBroker(renderChanges(store, posts), starts, log)
	b.lists, b.posts = lists.New(store, posts), posts
	b.apply = append(b.apply, b.applyToLists)
	return b
}

// Lists returns the rendered lists the broker keeps current.
func (b *Broker) Lists() *lists.Lists { return b.lists }

// applyToLists hands the kept lists what they need of each change (lists.Change).
func (b *Broker) applyToLists(postID int64, msgs []Message) {
	changes := make([]lists.Change, len(msgs))
	for i, m := range msgs {
		changes[i] = lists.Change{Seq: m.Seq, Count: m.Count, Comment: m.Comment, Replies: m.Replies, Closed: m.Closed,
			PostReactions: m.PostReactions, Item: m.Item, Locale: m.Locale}
	}
	b.lists.Apply(postID, changes)
}

func newBroker(fetch fetch, starts map[int64]int64, log *slog.Logger) *Broker {
	last := make(map[int64]int64, len(starts))
	for p, s := range starts {
		last[p] = s
	}
	handled := make(map[int64]int64, len(starts))
	for p, s := range starts {
		handled[p] = s
	}
	recent := make(map[int64]*backlog, len(starts))
	for p, s := range starts {
		recent[p] = &backlog{from: s}
	}
	return &Broker{hub: newHub(), fetch: fetch, log: log, pending: map[int64]bool{}, wake: make(chan struct{}, 1), last: last,
		handled: handled, progress: make(chan struct{}), recent: recent}
}

// Sync waits (until ctx ends) for a change this process committed to be handled, so that the writer's next page
// view already shows it: read-your-writes on this instance. It tells the broker nothing: the database announced
// the change after its commit (database.DB.OnCommit).
func (b *Broker) Sync(ctx context.Context, postID, seq int64) {
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

// Poke says that post postID's feed reached seq (0 when unknown); it never blocks. A feed already handed out up
// to seq (this process's own commit, reported again by the database's watcher) is not read again.
func (b *Broker) Poke(postID, seq int64) {
	if seq > 0 && b.handledSeq(postID) >= seq {
		return
	}
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
			msgs[i].Item = "" // the lists have it; the streams have it in Data
		}
		b.keep(postID, msgs)
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

// keep adds a post's newest messages to its backlog (they follow what it holds: the worker hands them over in
// order).
func (b *Broker) keep(postID int64, msgs []Message) {
	b.recentMu.Lock()
	defer b.recentMu.Unlock()
	bl := b.recent[postID]
	if bl == nil || bl.last() != msgs[0].Seq-1 {
		// Dropped, or not followed by these (sequences move by one per change): start again from these.
		bl = &backlog{from: msgs[0].Seq - 1}
		b.replace(postID, bl)
	}
	for i := range msgs {
		bl.msgs = append(bl.msgs, &msgs[i])
		bl.size += len(msgs[i].Data)
		b.recentBytes += len(msgs[i].Data)
	}
	b.trim(postID, bl)
}

// trim keeps a backlog to the newest PageSize messages within MaxCatchUpBytes, marking it cut when it drops any,
// and every backlog together under maxRecentBytes. recentMu is held.
func (b *Broker) trim(postID int64, bl *backlog) {
	n, size := max(0, len(bl.msgs)-PageSize), bl.size
	for _, m := range bl.msgs[:n] {
		size -= len(m.Data)
	}
	for n < len(bl.msgs) && size > MaxCatchUpBytes {
		size -= len(bl.msgs[n].Data)
		n++
	}
	if n > 0 {
		b.recentBytes -= bl.size - size
		bl.size = size
		bl.from, bl.cut = bl.msgs[n-1].Seq, true
		bl.msgs = slices.Clone(bl.msgs[n:])
	}
	for id, other := range b.recent {
		if b.recentBytes <= maxRecentBytes {
			break
		}
		if id != postID && other != nil {
			b.replace(id, nil)
		}
	}
}

// replace puts bl (nil: nothing) in place of a post's backlog. recentMu is held.
func (b *Broker) replace(postID int64, bl *backlog) {
	if old := b.recent[postID]; old != nil {
		b.recentBytes -= old.size
	}
	if bl == nil {
		delete(b.recent, postID)
		return
	}
	b.recent[postID] = bl
	b.recentBytes += bl.size
}

// CatchUp returns a post's messages after sequence after, as they were handed to the streams (a stream that
// reconnects replays them), or resync when the reader is too far behind for that (more than PageSize changes, or
// MaxCatchUpBytes of them). They come from what the broker keeps, or, when that does not reach back far enough
// (after a restart), from the database: read and rendered once, and kept for the next stream that asks. Changes
// the broker has not handed out yet are not included: a stream subscribed before asking gets them live.
func (b *Broker) CatchUp(ctx context.Context, postID, after int64) (msgs []*Message, resync bool, err error) {
	if msgs, resync, ok := b.since(postID, after); ok {
		return msgs, resync, nil
	}
	_, err, _ = b.fill.Do(strconv.FormatInt(postID, 10), func() (any, error) {
		b.recentMu.Lock()
		from := b.handledSeq(postID)
		if bl := b.recent[postID]; bl != nil {
			from = bl.from
		}
		b.recentMu.Unlock()
		fetched, err := b.fetch(ctx, postID, max(0, from-PageSize))
		if err != nil {
			return nil, err
		}
		b.recentMu.Lock()
		defer b.recentMu.Unlock()
		bl := b.recent[postID]
		if bl == nil {
			bl = &backlog{from: from}
		}
		// The older messages read now go before the kept ones (both reflect the database at their time or
		// later, so replaying them in order still ends as the database is). What lies before them is more than
		// PageSize changes back, or nothing: the backlog is complete.
		var older []*Message
		for i := range fetched {
			if fetched[i].Seq <= bl.from {
				fetched[i].Item = "" // kept for streams only, which have it in Data
				older = append(older, &fetched[i])
			}
		}
		next := &backlog{from: max(0, from-PageSize), msgs: append(older, bl.msgs...), cut: true}
		if len(older) > 0 {
			next.from = older[0].Seq - 1
		}
		for _, m := range next.msgs {
			next.size += len(m.Data)
		}
		b.replace(postID, next)
		b.trim(postID, next)
		return nil, nil
	})
	if err != nil {
		return nil, false, err
	}
	if msgs, resync, ok := b.since(postID, after); ok {
		return msgs, resync, nil
	}
	return nil, true, nil // dropped again meanwhile: the reader reloads its list
}

// handledSeq is the newest sequence of a post the broker has handed out.
func (b *Broker) handledSeq(postID int64) int64 {
	b.handledMu.Lock()
	defer b.handledMu.Unlock()
	return b.handled[postID]
}

// since returns the kept messages after sequence after (ok), or says the reader must resync (ok and resync), or
// that the backlog does not reach back to after and must be read (not ok).
func (b *Broker) since(postID, after int64) (msgs []*Message, resync, ok bool) {
	b.recentMu.Lock()
	defer b.recentMu.Unlock()
	bl := b.recent[postID]
	switch {
	case bl == nil:
		return nil, false, false
	case after < bl.from && bl.cut:
		return nil, true, true
	case after < bl.from:
		return nil, false, false
	}
	i, _ := slices.BinarySearchFunc(bl.msgs, after, func(m *Message, seq int64) int { return cmp.Compare(m.Seq, seq) })
	for i < len(bl.msgs) && bl.msgs[i].Seq <= after {
		i++
	}
	return slices.Clone(bl.msgs[i:]), false, true
}
