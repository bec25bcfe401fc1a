// Package lists keeps each post's conversations rendered once for every reader, in each order a reader may
// choose, and every post's comment count for the pages that list posts. The live broker builds them and applies
// each change of the feed to them (Apply) before any stream sees it.
package lists

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

// Store is what the kept lists read from the database.
type Store interface {
	PostStamp(ctx context.Context, postID int64) (repo.Stamp, error)
	PostStamps(ctx context.Context) (map[int64]repo.Stamp, error)
	FindThreads(ctx context.Context, postID, beforeID int64, limit int) ([]repo.Thread, error)
	FindPinned(ctx context.Context, postID int64) ([]repo.Thread, error)
	FindTopThreads(ctx context.Context, postID int64, limit int) ([]repo.Thread, error)
}

// Lists keeps each post's conversations rendered once for every reader, and every post's count for the home
// page, instead of queries and renders per page view. It holds no state of its own: a list is read from the
// database when missing, and from then on the change feed keeps it current (Apply runs before any stream sees a
// change), so nothing here expires and nothing served is older than what the streams have delivered.
type Lists struct {
	store  Store
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
	// Top and Replies are its comments rendered once each (views.CommentHTML): the top-level one with the place
	// of its replies, the replies shown by id. A change renders its own comment only and puts the conversation
	// together again (join); an empty Top or a missing reply is rendered then.
	Top     string
	Replies map[int64]string
}

// ID is the conversation's: its top-level comment's.
func (t ListThread) ID() int64 { return t.View.Top.ID }

// Posts names a post by its database id, and gives the locale its comments are rendered in (the post's own
// language, or the blog's).
type Posts interface {
	Slug(postID int64) string
	Locale(postID int64) *i18n.Locale
}

// New returns empty lists over store; posts names a post by its id (for the comments' links) and gives
// its language.
func New(store Store, posts Posts) *Lists {
	return &Lists{store: store, posts: posts, lists: map[int64]*List{}, tops: map[int64]*topList{}, applied: map[int64]int64{}}
}

// Get returns the post's rendered list, reading and rendering it when missing.
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

// Render reads where the post's feed stands, then its newest conversations, and renders them. Reading the
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
		if err := lc.join(postID, &l.Threads[i]); err != nil {
			return nil, err
		}
	}
	for i, t := range views.ThreadViews(pinned) {
		l.Pinned[i] = ListThread{View: t}
		if err := lc.join(postID, &l.Pinned[i]); err != nil {
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
	err := views.Thread(lc.posts.Slug(postID), t, nil).Render(i18n.With(context.Background(), lc.posts.Locale(postID)), &buf)
	return buf.String(), err
}

// join puts a conversation of the list together (views.JoinThread) from its comments' renderings, rendering
// those it lacks (and keeping them), as renderThread would for every reader.
func (lc *Lists) join(postID int64, t *ListThread) error {
	ctx := i18n.With(context.Background(), lc.posts.Locale(postID))
	slug := lc.posts.Slug(postID)
	if t.Top == "" {
		top, err := views.CommentHTML(ctx, slug, t.View.Top)
		if err != nil {
			return err
		}
		t.Top = top
	}
	if missing := slices.ContainsFunc(t.View.Replies, func(r repo.Comment) bool { _, ok := t.Replies[r.ID]; return !ok }); missing {
		replies := make(map[int64]string, len(t.View.Replies))
		for _, r := range t.View.Replies {
			html, ok := t.Replies[r.ID]
			if !ok {
				var err error
				if html, err = views.CommentHTML(ctx, slug, r); err != nil {
					return err
				}
			}
			replies[r.ID] = html
		}
		t.Replies = replies // a map of its own: a list handed out earlier may share the old one
	}
	html, err := views.JoinThread(ctx, slug, t.View, t.Top, t.Replies)
	t.HTML = html
	return err
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

// Counts returns the number of published comments of every post, read once and then kept by the feed.
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
