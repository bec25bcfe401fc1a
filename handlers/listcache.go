package handlers

import (
	"bytes"
	"context"
	"slices"
	"strconv"
	"sync"

	"golang.org/x/sync/singleflight"

	"blog/live"
	"blog/repo"
	"blog/views"
)

// listCache keeps each post's comment list rendered once for every reader, and every post's count for the home
// page, instead of one query and one render per page view. It holds no state of its own: a list is read from the
// database when missing, and from then on the change feed keeps it current (apply runs before any stream sees a
// change), so nothing here expires and nothing served is older than what the streams have delivered.
type listCache struct {
	store  CommentStore
	flight singleflight.Group

	mu    sync.Mutex
	lists map[int64]*cachedList
	// applied is the newest sequence the feed delivered per post, so a list read from the database before that
	// change is not kept.
	applied map[int64]int64
	// counts are the published comments of every post, for the home page (nil until first read). The map is
	// replaced, never changed, so a reader may keep it without the lock.
	counts map[int64]int
}

// cachedList is one post's rendered list: its items newest first and the view built from them.
type cachedList struct {
	items []views.Item
	view  views.ListView
}

func newListCache(store CommentStore) *listCache {
	return &listCache{store: store, lists: map[int64]*cachedList{}, applied: map[int64]int64{}}
}

// get returns the post's rendered list and its items, reading and rendering it when missing.
func (lc *listCache) get(ctx context.Context, postID int64) (views.ListView, []views.Item, error) {
	lc.mu.Lock()
	l, ok := lc.lists[postID]
	lc.mu.Unlock()
	if ok {
		return l.view, l.items, nil
	}
	v, err, _ := lc.flight.Do("list/"+strconv.FormatInt(postID, 10), func() (any, error) {
		l, err := lc.render(ctx, postID)
		if err != nil {
			return nil, err
		}
		lc.mu.Lock()
		if lc.applied[postID] <= l.view.Seq {
			lc.lists[postID] = l
		}
		lc.mu.Unlock()
		return l, nil
	})
	if err != nil {
		return views.ListView{}, nil, err
	}
	l = v.(*cachedList)
	return l.view, l.items, nil
}

// render reads where the post's feed stands, then its newest published comments, and renders them one by one.
// Reading the sequence first means the list may hold changes after it, never fewer; changes applied again later
// leave it as it is.
func (lc *listCache) render(ctx context.Context, postID int64) (*cachedList, error) {
	st, err := lc.store.PostStamp(ctx, postID)
	if err != nil {
		return nil, err
	}
	comments, err := lc.store.FindComments(ctx, repo.CommentFilter{PostID: postID, Limit: MaxCommentsShown})
	if err != nil {
		return nil, err
	}
	items := make([]views.Item, len(comments))
	var buf bytes.Buffer
	for i, c := range comments {
		buf.Reset()
		if err := views.CommentItem(c, false).Render(ctx, &buf); err != nil {
			return nil, err
		}
		items[i] = views.Item{ID: c.ID, HTML: buf.String()}
	}
	total := max(st.Count, len(items))
	return &cachedList{items: items, view: views.BuildList(items, st.Seq, total)}, nil
}

// apply brings the cached list and count of a post up to date with changes from the feed. A visible comment is
// put in its place (or replaced), one no longer visible is taken out. A list capped at MaxCommentsShown that
// loses a comment is dropped instead, since the next older comment must now be shown.
func (lc *listCache) apply(postID int64, msgs []live.Message) {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	last := msgs[len(msgs)-1]
	lc.applied[postID] = max(lc.applied[postID], last.Seq)
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
	items := slices.Clone(l.items)
	seq := l.view.Seq
	for _, m := range msgs {
		if m.Seq <= seq {
			continue
		}
		seq = m.Seq
		i := slices.IndexFunc(items, func(it views.Item) bool { return it.ID <= m.CommentID })
		present := i >= 0 && items[i].ID == m.CommentID
		switch {
		case m.Item != nil && present:
			items[i].HTML = string(m.Item)
		case m.Item != nil:
			if i < 0 {
				if len(items) >= MaxCommentsShown {
					continue // older than every comment shown: it belongs to "Show older comments"
				}
				i = len(items)
			}
			items = slices.Insert(items, i, views.Item{ID: m.CommentID, HTML: string(m.Item)})
			if len(items) > MaxCommentsShown {
				items = items[:MaxCommentsShown]
			}
		case present:
			if len(items) >= MaxCommentsShown {
				delete(lc.lists, postID)
				return
			}
			items = slices.Delete(items, i, i+1)
		}
	}
	lc.lists[postID] = &cachedList{items: items, view: views.BuildList(items, seq, max(last.Count, len(items)))}
}

// commentCounts returns the number of published comments of every post, read once and then kept by the feed.
func (lc *listCache) commentCounts(ctx context.Context) (map[int64]int, error) {
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
