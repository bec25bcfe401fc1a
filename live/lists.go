package live

import (
	"bytes"
	"context"
	"slices"
	"strconv"
	"sync"

	"golang.org/x/sync/singleflight"

	"blog/i18n"
	"blog/repo"
	"blog/views"
)

// MaxThreadsShown caps the conversations rendered on a post page (the newest ones); older ones are paged in.
const MaxThreadsShown = views.ThreadsShown

// ListStore is what the kept lists read from the database.
type ListStore interface {
	PostStamp(ctx context.Context, postID int64) (repo.Stamp, error)
	PostStamps(ctx context.Context) (map[int64]repo.Stamp, error)
	FindThreads(ctx context.Context, postID, beforeID int64, limit int) ([]repo.Thread, error)
	FindPinned(ctx context.Context, postID int64) ([]repo.Thread, error)
	FindTopThreads(ctx context.Context, postID int64, limit int) ([]repo.Thread, error)
}

// Lists keeps each post's conversations rendered once for every reader, and every post's count for the home
// page, instead of queries and renders per page view. It holds no state of its own: a list is read from the
// database when missing, and from then on the change feed keeps it current (apply runs before any stream sees a
// change), so nothing here expires and nothing served is older than what the streams have delivered.
type Lists struct {
	store  ListStore
	posts  Posts
	flight singleflight.Group

	mu    sync.Mutex
	lists map[int64]*List
	// tops are the "top" orders of the posts with more conversations than a list keeps (top.go).
	tops map[int64]*topList
	// applied is the newest sequence the feed delivered per post, so a list read from the database before that
	// change is not kept.
	applied map[int64]int64
	// counts are the published comments of every post, for the home page (nil until first read). The map is
	// replaced, never changed, so a reader may keep it without the lock.
	counts map[int64]int
}

// List is one post's conversations, oldest first, each with its comments and its rendered HTML, after its pinned
// conversations (Pinned, in the order they were pinned). A List is never changed once built: apply builds a new
// one.
type List struct {
	Pinned  []ListThread
	Threads []ListThread
	View    views.ListView
	// ordered are its views in the other orders (In).
	ordered orderedViews
	// locale is the language it was rendered in: a post whose lang changed gets its list rendered again.
	locale *i18n.Locale
}

// PinnedFirst is the order a list shows its conversations in: the pinned ones first, then the rest in the order
// they are kept (oldest first). The one place that order is decided, so an order the reader chooses joins it here.
func PinnedFirst(pinned, threads []ListThread) []ListThread {
	return append(slices.Clone(pinned), threads...)
}

// ListThread is one conversation of a List: what it shows and its HTML.
type ListThread struct {
	View views.ThreadView
	HTML string
}

// ID is the conversation's: its top-level comment's.
func (t ListThread) ID() int64 { return t.View.Top.ID }

// NewLists returns empty lists over store; posts names a post by its id (for the comments' links) and gives
// its language.
func NewLists(store ListStore, posts Posts) *Lists {
	return &Lists{store: store, posts: posts, lists: map[int64]*List{}, tops: map[int64]*topList{}, applied: map[int64]int64{}}
}

// get returns the post's rendered list, reading and rendering it when missing.
func (lc *Lists) Get(ctx context.Context, postID int64) (*List, error) {
	lc.mu.Lock()
	l, ok := lc.lists[postID]
	lc.mu.Unlock()
	if ok && l.locale == lc.posts.Locale(postID) {
		return l, nil
	}
	v, err, _ := lc.flight.Do("list/"+strconv.FormatInt(postID, 10), func() (any, error) {
		l, err := lc.Render(ctx, postID)
		if err != nil {
			return nil, err
		}
		lc.mu.Lock()
		if lc.applied[postID] <= l.View.Seq {
			lc.lists[postID] = l
		}
		lc.mu.Unlock()
		return l, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*List), nil
}

// render reads where the post's feed stands, then its newest conversations, and renders them. Reading the
// sequence first means the list may hold changes after it, never fewer; changes applied again later leave it
// as it is.
func (lc *Lists) Render(ctx context.Context, postID int64) (*List, error) {
	st, err := lc.store.PostStamp(ctx, postID)
	if err != nil {
		return nil, err
	}
	threads, err := lc.store.FindThreads(ctx, postID, 0, MaxThreadsShown+1)
	if err != nil {
		return nil, err
	}
	var older int64
	if len(threads) > MaxThreadsShown {
		threads = threads[1:] // the oldest one only says there are older ones
		older = threads[0].Top.ID
	}
	pinned, err := lc.store.FindPinned(ctx, postID)
	if err != nil {
		return nil, err
	}
	l := &List{Threads: make([]ListThread, len(threads)), Pinned: make([]ListThread, len(pinned)), locale: lc.posts.Locale(postID)}
	for i, t := range views.ThreadViews(threads) {
		l.Threads[i] = ListThread{View: t}
		if l.Threads[i].HTML, err = lc.renderThread(ctx, postID, t); err != nil {
			return nil, err
		}
	}
	for i, t := range views.ThreadViews(pinned) {
		l.Pinned[i] = ListThread{View: t}
		if l.Pinned[i].HTML, err = lc.renderThread(ctx, postID, t); err != nil {
			return nil, err
		}
	}
	l.build(st.Seq, st.Count, older, st.Closed, st.Reactions)
	return l, nil
}

// renderThread renders a conversation as every reader sees it. Never with the request's context: a rendering
// for one visitor (the owner's Pin controls, views.WithPinControls) must not become the one every reader shares.
func (lc *Lists) renderThread(_ context.Context, postID int64, t views.ThreadView) (string, error) {
	var buf bytes.Buffer
	err := views.Thread(lc.posts.Slug(postID), t, nil).Render(localized(context.Background(), lc.posts, postID), &buf)
	return buf.String(), err
}

func (l *List) build(seq int64, total int, older int64, closed bool, reactions repo.Tally) {
	shown := PinnedFirst(l.Pinned, l.Threads)
	items := make([]views.Item, len(shown))
	for i, t := range shown {
		items[i] = views.Item{ID: t.ID(), HTML: t.HTML}
	}
	l.View = views.BuildList(items, seq, total, older)
	l.View.Closed, l.View.Reactions = closed, reactions
}

// apply brings the cached list and count of a post up to date with changes from the feed: a comment that shows
// (or a "comment removed" placeholder) is put in its place or replaced, one that no longer shows is taken out,
// and each conversation touched is rendered again; past MaxThreadsShown the oldest leave the list. A
// conversation keeps its first replies only (repo.ShownReplies): a reply after them changes its count of more
// replies, so what a new reply costs does not grow with its conversation. A list whose first conversation goes
// while older ones exist is dropped instead (the one before it may now have to be shown).
func (lc *Lists) apply(postID int64, msgs []Message) {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	last := msgs[len(msgs)-1]
	lc.applied[postID] = max(lc.applied[postID], last.Seq)
	delete(lc.tops, postID)
	if lc.counts != nil && lc.counts[postID] != last.Count {
		// Copied, not changed in place: readers hold the previous map without a lock.
		counts := make(map[int64]int, len(lc.counts)+1)
		for id, n := range lc.counts {
			counts[id] = n
		}
		counts[postID] = last.Count
		lc.counts = counts
	}
	l, ok := lc.lists[postID]
	if !ok {
		return
	}
	threads := slices.Clone(l.Threads)
	pinned := slices.Clone(l.Pinned)
	seq := l.View.Seq
	touched := map[int64]bool{}
	reactions := l.View.Reactions
	for _, m := range msgs {
		if m.Seq > seq && m.PostReactions != nil {
			seq, reactions = m.Seq, *m.PostReactions
			continue
		}
		if m.Seq <= seq {
			continue
		}
		seq = m.Seq
		if m.Comment == nil {
			continue // the post closed or opened (the list takes that from the last message), or a comment purged
		}
		c := *m.Comment
		if pi := slices.IndexFunc(pinned, func(t ListThread) bool { return t.ID() == c.Thread() }); pi >= 0 {
			// A change in a pinned conversation: applied in place, like any conversation's, unless it leaves
			// the pinned ones (unpinned, or removed).
			switch {
			case c.TopLevel() && c.Pinned():
				pinned[pi].View.Top = c
				pinned[pi].View.More = max(0, m.Replies-len(pinned[pi].View.Replies))
			case !c.TopLevel():
				pinned[pi].View = withReply(pinned[pi].View, c, m.Replies)
			default:
				delete(lc.lists, postID)
				return
			}
			touched[c.Thread()] = true
			continue
		}
		if c.Pinned() {
			// Newly pinned: the list is read again, in the order the comments were pinned (pinning is rare).
			delete(lc.lists, postID)
			return
		}
		at := slices.IndexFunc(threads, func(t ListThread) bool { return t.ID() == c.Thread() })
		shows := c.Visible() || c.Placeholder()
		switch {
		case c.TopLevel() && at >= 0 && !shows:
			if at == 0 && l.View.Older > 0 {
				delete(lc.lists, postID)
				return
			}
			threads = slices.Delete(threads, at, at+1)
		case c.TopLevel() && at >= 0:
			threads[at].View.Top = c
			threads[at].View.More = max(0, m.Replies-len(threads[at].View.Replies))
			touched[c.ID] = true
		case c.TopLevel() && shows:
			i, _ := slices.BinarySearchFunc(threads, c.ID, func(t ListThread, id int64) int { return int(t.ID() - id) })
			if i == 0 && l.View.Older > 0 && c.ID < l.View.Older {
				continue // older than every conversation shown: it belongs to "Show older comments"
			}
			// A conversation new to the list (posted, approved, or back with replies it had before): its first
			// replies are not in this message, so the list is read again, which happens once per such change.
			if c.Replies > 0 {
				delete(lc.lists, postID)
				return
			}
			threads = slices.Insert(threads, i, ListThread{View: views.ThreadView{Top: c}})
			touched[c.ID] = true
		case !c.TopLevel() && at >= 0:
			threads[at].View = withReply(threads[at].View, c, m.Replies)
			touched[threads[at].ID()] = true
		}
	}
	older := l.View.Older
	if len(threads) > MaxThreadsShown {
		// As on a list read afresh: the newest conversations, the oldest of them marking where older ones begin.
		threads = threads[len(threads)-MaxThreadsShown:]
		older = threads[0].ID()
	}
	for _, list := range [][]ListThread{threads, pinned} {
		for i := range list {
			if touched[list[i].ID()] {
				html, err := lc.renderThread(context.Background(), postID, list[i].View)
				if err != nil {
					delete(lc.lists, postID)
					return
				}
				list[i].HTML = html
			}
		}
	}
	next := &List{Threads: threads, Pinned: pinned, locale: l.locale}
	next.build(seq, last.Count, older, last.Closed, reactions)
	lc.lists[postID] = next
}

// withReply returns a conversation with one of its replies as it now is, total being its published replies now:
// a shown reply is replaced or taken out; a reply that appears is shown when it falls among the first ones, and
// otherwise counted among those "show more" pages in.
func withReply(t views.ThreadView, c repo.Comment, total int) views.ThreadView {
	replies := slices.Clone(t.Replies)
	j := slices.IndexFunc(replies, func(r repo.Comment) bool { return r.ID == c.ID })
	switch {
	case j >= 0 && c.Visible():
		replies[j] = c
	case j >= 0:
		replies = slices.Delete(replies, j, j+1)
	case c.Visible() && ((t.More == 0 && len(replies) < repo.ShownReplies) || c.ID < t.After):
		k, _ := slices.BinarySearchFunc(replies, c.ID, func(r repo.Comment, id int64) int { return int(r.ID - id) })
		replies = slices.Insert(replies, k, c)
	}
	if len(replies) > repo.ShownReplies {
		replies = replies[:repo.ShownReplies]
	}
	t.Replies, t.After = replies, 0
	if n := len(replies); n > 0 {
		t.After = replies[n-1].ID
	}
	t.More = max(0, total-len(replies))
	return t
}

// commentCounts returns the number of published comments of every post, read once and then kept by the feed.
func (lc *Lists) Counts(ctx context.Context) (map[int64]int, error) {
	lc.mu.Lock()
	counts := lc.counts
	lc.mu.Unlock()
	if counts != nil {
		return counts, nil
	}
	v, err, _ := lc.flight.Do("counts", func() (any, error) {
		stamps, err := lc.store.PostStamps(ctx)
		if err != nil {
			return nil, err
		}
		counts := make(map[int64]int, len(stamps))
		current := true
		lc.mu.Lock()
		defer lc.mu.Unlock()
		for id, st := range stamps {
			counts[id] = st.Count
			// A change delivered after this read began would be missing from these counts: do not keep them.
			current = current && lc.applied[id] <= st.Seq
		}
		if lc.counts == nil && current {
			lc.counts = counts
		}
		return counts, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(map[int64]int), nil
}
