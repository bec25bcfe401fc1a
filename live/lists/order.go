package lists

import (
	"cmp"
	"slices"
	"sync"

	"blog/views"
)

// The orders a reader may choose for a post's conversations, and the one place that arranges them: a list is
// kept oldest first, and each other order is built from it once per list (so once per change of the post) and
// shared by every reader who chose it. Replies keep their order in every one.

// Order is how a post's conversations are shown.
type Order string

// The orders: oldest first (the default: a new comment lands just above the form), newest first, and "top":
// the most reactions first (ties oldest first).
const (
	OrderOldest Order = "oldest"
	OrderNewest Order = "newest"
	OrderTop    Order = "top"
)

// Orders lists them in the order the page offers them.
var Orders = []Order{OrderOldest, OrderNewest, OrderTop}

// ParseOrder reads an order's name; anything else is the default, and ok is false.
func ParseOrder(s string) (o Order, ok bool) {
	for _, o := range Orders {
		if string(o) == s {
			return o, true
		}
	}
	return OrderOldest, false
}

// Arrange returns conversations (given oldest first) in the order o, as a new slice. "top" ranks by the
// reactions of each conversation's top-level comment (views.Score: none for a removed one kept for its replies).
func Arrange(threads []ListThread, o Order) []ListThread {
	out := slices.Clone(threads)
	switch o {
	case OrderNewest:
		slices.Reverse(out)
	case OrderTop:
		slices.SortStableFunc(out, func(a, b ListThread) int { return cmp.Compare(views.Score(b.View.Top), views.Score(a.View.Top)) })
	}
	return out
}

// orderedViews are a list's views in the orders other than its own, built when first asked for.
type orderedViews struct {
	mu    sync.Mutex
	views map[Order]views.ListView
}

// In returns the list's view in the order o: the kept one for oldest first, otherwise built once from it.
func (l *List) In(o Order) views.ListView {
	if o == OrderOldest {
		v := l.View
		v.Order = string(OrderOldest)
		return v
	}
	l.ordered.mu.Lock()
	defer l.ordered.mu.Unlock()
	if v, ok := l.ordered.views[o]; ok {
		return v
	}
	threads := PinnedFirst(l.Pinned, Arrange(l.Threads, o))
	items := make([]views.Item, len(threads))
	for i, t := range threads {
		items[i] = views.Item{ID: t.ID(), HTML: t.HTML}
	}
	v := views.BuildList(items, l.View.Seq, l.View.Total, l.View.Older)
	v.Reactions, v.Order, v.Closed = l.View.Reactions, string(o), l.View.Closed
	if l.ordered.views == nil {
		l.ordered.views = map[Order]views.ListView{}
	}
	l.ordered.views[o] = v
	return v
}
