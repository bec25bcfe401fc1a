package lists

import (
	"context"
	"strconv"

	"blog/i18n"
	"blog/views"
)

// The "top" order of a post with more conversations than a list keeps ranks its whole history, not only the
// newest conversations: its most reacted ones are read from the database when a reader first asks for them
// after a change of the post, rendered (reusing the kept list's rendering of those it holds), and shared by
// every reader who chose "top" until the next change.

// topList is a post's conversations in "top" order over its whole history, as of its list's sequence.
type topList struct {
	seq     int64
	threads []ListThread
	view    views.ListView
	locale  *i18n.Locale
}

// View returns the post's conversations as the page shows them in the order o: the kept list's own for every
// order, except "top" on a post with older conversations than the list keeps (see topList).
func (lc *Lists) View(ctx context.Context, postID int64, l *List, o Order) (views.ListView, error) {
	if o != OrderTop || l.View.Older == 0 {
		return l.In(o), nil
	}
	t, err := lc.top(ctx, postID, l)
	if err != nil {
		return views.ListView{}, err
	}
	return t.view, nil
}

// Arranged returns the conversations View shows in the order o, without the pinned ones (which come first in
// every order), for a page that renders some of them again for one reader.
func (lc *Lists) Arranged(ctx context.Context, postID int64, l *List, o Order) ([]ListThread, error) {
	if o != OrderTop || l.View.Older == 0 {
		return Arrange(l.Threads, o), nil
	}
	t, err := lc.top(ctx, postID, l)
	if err != nil {
		return nil, err
	}
	return t.threads, nil
}

func (lc *Lists) top(ctx context.Context, postID int64, l *List) (*topList, error) {
	lc.mu.Lock()
	t := lc.tops[postID]
	lc.mu.Unlock()
	if t != nil && t.seq >= l.View.Seq && t.locale == l.locale {
		return t, nil
	}
	key := "top/" + strconv.FormatInt(postID, 10) + "/" + strconv.FormatInt(l.View.Seq, 10)
	v, err, _ := lc.flight.Do(key, func() (any, error) {
		found, err := lc.store.FindTopThreads(ctx, postID, MaxThreadsShown)
		if err != nil {
			return nil, err
		}
		kept := make(map[int64]string, len(l.Threads))
		for _, th := range l.Threads {
			kept[th.ID()] = th.HTML
		}
		t := &topList{seq: l.View.Seq, threads: make([]ListThread, len(found)), locale: l.locale}
		for i, tv := range views.ThreadViews(found) {
			t.threads[i] = ListThread{View: tv}
			if html, ok := kept[tv.Top.ID]; ok {
				// The kept list's rendering, as of the same sequence the page names.
				t.threads[i].HTML = html
			} else if t.threads[i].HTML, err = lc.renderThread(ctx, postID, tv); err != nil {
				return nil, err
			}
		}
		shown := PinnedFirst(l.Pinned, t.threads)
		items := make([]views.Item, len(shown))
		for i, th := range shown {
			items[i] = views.Item{ID: th.ID(), HTML: th.HTML}
		}
		t.view = views.BuildList(items, l.View.Seq, l.View.Total, 0)
		t.view.Reactions, t.view.Closed, t.view.Order, t.view.Ranked = l.View.Reactions, l.View.Closed, string(OrderTop), true
		lc.mu.Lock()
		if cur := lc.tops[postID]; cur == nil || cur.seq < t.seq || cur.locale != t.locale {
			lc.tops[postID] = t
		}
		lc.mu.Unlock()
		return t, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*topList), nil
}
