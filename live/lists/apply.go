package lists

import (
	"slices"

	"blog/i18n"
	"blog/repo"
	"blog/views"
)

// Change is what a list needs to know of one change of its post's feed (the broker's live.Message, without
// what is sent to streams).
type Change struct {
	// Seq is the change's sequence in its post's feed.
	Seq int64
	// Count is the post's number of published comments after the change, Comment the changed comment as it now
	// is (nil: purged for good) and Replies its conversation's published replies now.
	Count   int
	Comment *repo.Comment
	Replies int
	// Closed reports whether the post takes no new comments now.
	Closed bool
	// PostReactions, set for a reaction to the post itself, are the post's own reactions now.
	PostReactions *repo.Tally
	// Item is the comment as the broker rendered it for the streams (views.CommentHTML), in Locale; empty when it
	// does not show.
	Item   string
	Locale *i18n.Locale
}

// Apply brings the cached list and count of a post up to date with changes from the feed: a comment that shows
// (or a "comment removed" placeholder) is put in its place or replaced, one that no longer shows is taken out,
// and each conversation touched is rendered again; past MaxThreadsShown the oldest leave the list. A
// conversation keeps its first replies only (repo.ShownReplies): a reply after them changes its count of more
// replies, so what a new reply costs does not grow with its conversation. A list whose first conversation goes
// while older ones exist is dropped instead (the one before it may now have to be shown).
func (lc *Lists) Apply(postID int64, msgs []Change) {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	last := msgs[len(msgs)-1]
	lc.applied[postID] = max(lc.applied[postID], last.Seq)
	delete(lc.tops, postID)
	if lc.counts != nil && lc.counts.ByPost[postID] != last.Count {
		// Copied, not changed in place: readers hold the previous counts without a lock.
		counts := &Counts{ByPost: make(map[int64]int, len(lc.counts.ByPost)+1), Version: versions.Add(1)}
		for id, n := range lc.counts.ByPost {
			counts.ByPost[id] = n
		}
		counts.ByPost[postID] = last.Count
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
		item := m.Item
		if m.Locale != l.locale {
			item = "" // rendered in another language than the list's: rendered again below
		}
		if pi := slices.IndexFunc(pinned, func(t ListThread) bool { return t.ID() == c.Thread() }); pi >= 0 {
			// A change in a pinned conversation: applied in place, like any conversation's, unless it leaves
			// the pinned ones (unpinned, or removed).
			switch {
			case c.TopLevel() && c.Pinned():
				pinned[pi].View.Top = c
				pinned[pi].put(c.ID, item)
				pinned[pi].View.More = max(0, m.Replies-len(pinned[pi].View.Replies))
			case !c.TopLevel():
				pinned[pi] = pinned[pi].withReply(c, item, m.Replies)
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
			threads[at].put(c.ID, item)
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
			threads = slices.Insert(threads, i, ListThread{View: views.ThreadView{Top: c}, fresh: map[int64]string{c.ID: item}})
			touched[c.ID] = true
		case !c.TopLevel() && at >= 0:
			threads[at] = threads[at].withReply(c, item, m.Replies)
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
				if err := lc.join(postID, &list[i]); err != nil {
					delete(lc.lists, postID)
					return
				}
			}
		}
	}
	next := &List{Threads: threads, Pinned: pinned, locale: l.locale, version: versions.Add(1)}
	next.build(seq, last.Count, older, last.Closed, reactions)
	lc.lists[postID] = next
}

// withReply returns the conversation with one of its replies as it now is (withReply), item being the reply
// rendered ("": to render when the conversation is put together).
func (t ListThread) withReply(c repo.Comment, item string, total int) ListThread {
	t.View = withReply(t.View, c, total)
	t.put(c.ID, item)
	return t
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
