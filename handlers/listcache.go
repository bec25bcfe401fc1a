package handlers

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"blog/repo"
	"blog/views"
)

// listTTL bounds how long a rendered comment list is reused. A comment added on this instance replaces it at
// once; one added on another instance (PostgreSQL) shows within listTTL, and the page's live stream delivers it
// meanwhile, since it starts after the newest comment the page holds. Relative times ("5 minutes ago") are at
// most this stale, and the page script refreshes them.
const listTTL = 30 * time.Second

// listCache keeps each post's comment list rendered once for every reader, instead of one query and one render
// per page view.
type listCache struct {
	store  CommentStore
	flight singleflight.Group

	// prepend is set when this process sees every comment (SQLite): a new comment is then added to the rendered
	// list instead of rendering the whole list again.
	prepend bool

	mu    sync.Mutex
	lists map[int64]views.ListView
	items map[int64][]listItem // each cached list's comments, rendered one by one, newest first
	gen   map[int64]uint64     // bumped by invalidate, so a render that raced a new comment is not kept

	// counts are the comment counts of every post, for the home page, kept like the lists.
	counts   map[int64]int
	countsAt time.Time
	countGen uint64
}

// listItem is one rendered comment of a cached list.
type listItem struct {
	id   int64
	html string
}

func newListCache(store CommentStore, prepend bool) *listCache {
	return &listCache{store: store, prepend: prepend, lists: map[int64]views.ListView{}, items: map[int64][]listItem{},
		gen: map[int64]uint64{}}
}

// build joins rendered items into a list view.
func build(items []listItem, total int, at time.Time) views.ListView {
	var b strings.Builder
	for _, it := range items {
		b.WriteString(it.html)
	}
	b.WriteString(views.EmptyCommentsHTML)
	l := views.ListView{HTML: b.String(), Shown: len(items), Total: total, RenderedAt: at}
	if len(items) > 0 {
		l.NewestID, l.OldestID = items[0].id, items[len(items)-1].id
	}
	return l
}

// get returns the post's rendered list, rendering it when missing or older than listTTL.
func (lc *listCache) get(ctx context.Context, postID int64) (views.ListView, error) {
	lc.mu.Lock()
	l, ok := lc.lists[postID]
	gen := lc.gen[postID]
	lc.mu.Unlock()
	if ok && time.Since(l.RenderedAt) < listTTL {
		return l, nil
	}
	key := strconv.FormatInt(postID, 10) + "/" + strconv.FormatUint(gen, 10)
	v, err, _ := lc.flight.Do(key, func() (any, error) {
		l, items, err := lc.render(ctx, postID)
		if err != nil {
			return nil, err
		}
		lc.mu.Lock()
		if lc.gen[postID] == gen {
			lc.lists[postID], lc.items[postID] = l, items
		}
		lc.mu.Unlock()
		return l, nil
	})
	if err != nil {
		return views.ListView{}, err
	}
	return v.(views.ListView), nil
}

// invalidate drops the post's list and the counts; the next reader renders them afresh.
func (lc *listCache) invalidate(postID int64) {
	lc.mu.Lock()
	lc.invalidateLocked(postID)
	lc.mu.Unlock()
}

func (lc *listCache) invalidateLocked(postID int64) {
	delete(lc.lists, postID)
	delete(lc.items, postID)
	lc.gen[postID]++
	lc.counts = nil
	lc.countGen++
}

// added records a comment just stored by this process. When every comment passes through this process and
// the cached list is the newest state, the comment is rendered alone and put on top; otherwise (another
// instance may have added comments, or two posts finished out of order) the list is dropped and re-rendered.
func (lc *listCache) added(c repo.Comment) {
	var item string
	if lc.prepend {
		var buf bytes.Buffer
		if err := views.CommentItem(c, time.Now(), false).Render(context.Background(), &buf); err == nil {
			item = buf.String()
		}
	}
	lc.mu.Lock()
	defer lc.mu.Unlock()
	l, ok := lc.lists[c.PostID]
	if item == "" || !ok || c.ID <= l.NewestID || time.Since(l.RenderedAt) >= listTTL {
		lc.invalidateLocked(c.PostID)
		return
	}
	items := append([]listItem{{id: c.ID, html: item}}, lc.items[c.PostID]...)
	if len(items) > MaxCommentsShown {
		items = items[:MaxCommentsShown]
	}
	rendered := l.RenderedAt
	l = build(items, l.Total+1, rendered)
	lc.gen[c.PostID]++
	lc.lists[c.PostID], lc.items[c.PostID] = l, items
	lc.counts = nil
	lc.countGen++
}

// commentCounts returns the number of comments of every post, read at most once per listTTL or new comment.
func (lc *listCache) commentCounts(ctx context.Context) (map[int64]int, error) {
	lc.mu.Lock()
	counts, at, gen := lc.counts, lc.countsAt, lc.countGen
	lc.mu.Unlock()
	if counts != nil && time.Since(at) < listTTL {
		return counts, nil
	}
	v, err, _ := lc.flight.Do("counts/"+strconv.FormatUint(gen, 10), func() (any, error) {
		counts, err := lc.store.CountAllComments(ctx)
		if err != nil {
			return nil, err
		}
		lc.mu.Lock()
		if lc.countGen == gen {
			lc.counts, lc.countsAt = counts, time.Now()
		}
		lc.mu.Unlock()
		return counts, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(map[int64]int), nil
}

// render reads the newest comments (capped at MaxCommentsShown) and renders them, one by one.
func (lc *listCache) render(ctx context.Context, postID int64) (views.ListView, []listItem, error) {
	comments, err := lc.store.FindComments(ctx, repo.CommentFilter{PostID: postID, Limit: MaxCommentsShown})
	if err != nil {
		return views.ListView{}, nil, err
	}
	total := len(comments)
	if total == MaxCommentsShown {
		if total, err = lc.store.CountComments(ctx, postID); err != nil {
			return views.ListView{}, nil, err
		}
	}
	now := time.Now()
	items := make([]listItem, len(comments))
	var buf bytes.Buffer
	for i, c := range comments {
		buf.Reset()
		if err := views.CommentItem(c, now, false).Render(ctx, &buf); err != nil {
			return views.ListView{}, nil, err
		}
		items[i] = listItem{id: c.ID, html: buf.String()}
	}
	return build(items, total, now), items, nil
}
