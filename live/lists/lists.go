// Package lists keeps each post's conversations rendered once for every reader, in each order a reader may
// choose, and every post's comment count for the pages that list posts. The live broker builds them and applies
// each change of the feed to them (Apply) before any stream sees it.
package lists

import (
	"bytes"
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

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
	// counts are the published comments of every post, for the home page (nil until first read). They are
	// replaced, never changed, so a reader may keep them without the lock.
	counts *Counts
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
	// version tells this list from every other built in this process (Version).
	version uint64
}

// versions numbers the lists and counts built in this process, for Version.
var versions atomic.Uint64

// Version tells this list from every other built in this process: what a cache keys a rendering of it by. (An
// address would not do: once a list is freed, a new one may be given the same.)
func (l *List) Version() uint64 { return l.version }

// PinnedFirst is the order a list shows its conversations in: the pinned ones first, then the rest in the order
// they are kept (oldest first). The one place that order is decided, so an order the reader chooses joins it here.
func PinnedFirst(pinned, threads []ListThread) []ListThread {
	return append(slices.Clone(pinned), threads...)
}

// ListThread is one conversation of a List: what it shows and its HTML.
type ListThread struct {
	View views.ThreadView
	HTML string
	// at locates its comments' renderings (views.CommentHTML) in HTML, so that a change renders its own comment
	// only and puts the conversation together again from the others' (join), with no second copy kept.
	at *pieces
	// fresh are renderings not yet put in, by comment id, until join: a change's (from the broker), or "" for a
	// comment to render again.
	fresh map[int64]string
}

// pieces are where a conversation's comments are in its HTML: the top-level one is HTML[:top[0]], its replies'
// place, then HTML[top[1]:]; a reply shown is HTML[r[0]:r[1]].
type pieces struct {
	top     [2]int
	replies map[int64][2]int
}

// put records a comment's rendering (or, with "", that it is to be rendered again) for the next join. The map is
// the thread's own: a list handed out earlier keeps its own state.
func (t *ListThread) put(id int64, html string) {
	fresh := make(map[int64]string, len(t.fresh)+1)
	for k, v := range t.fresh {
		fresh[k] = v
	}
	fresh[id] = html
	t.fresh = fresh
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
	l := &List{Threads: make([]ListThread, len(threads)), Pinned: make([]ListThread, len(pinned)), locale: lc.posts.Locale(postID),
		version: versions.Add(1)}
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

// join puts a conversation of the list together (views.JoinThread) from its comments' renderings: the fresh
// ones, those HTML already holds, and, rendered now, the ones it lacks; the result is what renderThread makes for
// every reader.
func (lc *Lists) join(postID int64, t *ListThread) error {
	ctx := i18n.With(context.Background(), lc.posts.Locale(postID))
	slug := lc.posts.Slug(postID)
	piece := func(c repo.Comment) (string, error) {
		if html, ok := t.fresh[c.ID]; ok && html != "" {
			return html, nil
		} else if !ok && t.at != nil {
			if c.ID == t.View.Top.ID {
				return t.HTML[:t.at.top[0]] + views.RepliesMark + t.HTML[t.at.top[1]:], nil
			}
			if r, ok := t.at.replies[c.ID]; ok {
				return t.HTML[r[0]:r[1]], nil
			}
		}
		return views.CommentHTML(ctx, slug, c)
	}
	top, err := piece(t.View.Top)
	if err != nil {
		return err
	}
	replies := make(map[int64]string, len(t.View.Replies))
	for _, r := range t.View.Replies {
		if replies[r.ID], err = piece(r); err != nil {
			return err
		}
	}
	html, err := views.JoinThread(ctx, slug, t.View, top, replies)
	if err != nil {
		return err
	}
	// Where each piece went: the top's parts at both ends, the replies in the order they were written.
	at := &pieces{replies: make(map[int64][2]int, len(replies))}
	mark := strings.LastIndex(top, views.RepliesMark)
	at.top = [2]int{mark, len(html) - (len(top) - mark - len(views.RepliesMark))}
	pos := mark
	for _, first := range []bool{true, false} {
		for _, r := range t.View.Replies {
			if (t.View.More == 0 || r.ID <= t.View.After) != first {
				continue
			}
			if i := strings.Index(html[pos:], replies[r.ID]); i >= 0 {
				at.replies[r.ID] = [2]int{pos + i, pos + i + len(replies[r.ID])}
				pos += i + len(replies[r.ID])
			}
		}
	}
	t.HTML, t.at, t.fresh = html, at, nil
	return nil
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

// Counts are the published comments of every post, by post id.
type Counts struct {
	ByPost map[int64]int
	// Version tells these counts from every other read or changed in this process: what a cache keys a page
	// that shows them by.
	Version uint64
}

// Counts returns the number of published comments of every post, read once and then kept by the feed.
func (lc *Lists) Counts(ctx context.Context) (Counts, error) {
	lc.mu.Lock()
	counts := lc.counts
	lc.mu.Unlock()
	if counts != nil {
		return *counts, nil
	}
	v, err, _ := lc.flight.Do("counts", func() (any, error) {
		stamps, err := lc.store.PostStamps(ctx)
		if err != nil {
			return nil, err
		}
		counts := &Counts{ByPost: make(map[int64]int, len(stamps)), Version: versions.Add(1)}
		current := true
		lc.mu.Lock()
		defer lc.mu.Unlock()
		for id, st := range stamps {
			counts.ByPost[id] = st.Count
			// A change delivered after this read began would be missing from these counts: do not keep them.
			current = current && lc.applied[id] <= st.Seq
		}
		if lc.counts == nil && current {
			lc.counts = counts
		}
		return counts, nil
	})
	if err != nil {
		return Counts{}, err
	}
	return *v.(*Counts), nil
}
