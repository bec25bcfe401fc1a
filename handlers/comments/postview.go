package comments

import (
	"bytes"
	"context"
	"slices"

	"github.com/gofiber/fiber/v2"

	"blog/content"
	"blog/live/lists"
	"blog/repo"
	"blog/views"
)

// PostView loads what the post page shows around the given form state: the conversations every reader shares,
// with the visitor's own comments made personal: those waiting for approval put in their places (only they see
// them), and those they may still edit given Edit and Delete.
func (h *Handlers) PostView(c *fiber.Ctx, p content.Post, id int64, form views.FormView) (views.PostView, error) {
	l, err := h.cfg.Lists.Get(c.UserContext(), id)
	if err != nil {
		return views.PostView{}, err
	}
	own, held, err := h.ownComments(c, id)
	if err != nil {
		return views.PostView{}, err
	}
	order, _ := Order(c)
	list, err := h.cfg.Lists.View(c.UserContext(), id, l, order)
	if err != nil {
		return views.PostView{}, err
	}
	if len(own) > 0 || views.HasPinControls(c.UserContext()) {
		if list, err = h.personal(c.UserContext(), id, l, own, held, order); err != nil {
			return views.PostView{}, err
		}
	}
	older, newer := h.lib(c).Neighbours(p.Slug)
	return views.PostView{Post: p, List: list, Form: form, Older: older, Newer: newer}, nil
}

// personal renders the list again with the visitor's own comments: held ones merged in by id, and every
// conversation holding one of theirs rendered with their options; then arranged in the reader's order. Conversations older than the oldest shown stay
// off the page, like the published ones there.
func (h *Handlers) personal(ctx context.Context, postID int64, l *lists.List, own map[int64]views.ItemOpts, held []repo.Comment, order lists.Order) (views.ListView, error) {
	threads := slices.Clone(l.Threads)
	// "top" on a post with more conversations than a page shows ranks them all (lists.Lists.View): the reader's
	// own held conversations come after them, as the newest of those without reactions.
	ranked := order == lists.OrderTop && l.View.Older > 0
	if ranked {
		arranged, err := h.cfg.Lists.Arranged(ctx, postID, l, order)
		if err != nil {
			return views.ListView{}, err
		}
		threads = slices.Clone(arranged)
	}
	pinned := slices.Clone(l.Pinned)
	own = notAnswered(lists.PinnedFirst(pinned, threads), held, own)
	for _, cm := range held {
		if at := slices.IndexFunc(pinned, func(t lists.ListThread) bool { return t.ID() == cm.Thread() }); at >= 0 {
			if !cm.TopLevel() {
				pinned[at].View.Replies = withOwnReply(pinned[at].View.Replies, cm)
			}
			continue // a pinned conversation is shown first, not in its place
		}
		at := slices.IndexFunc(threads, func(t lists.ListThread) bool { return t.ID() == cm.Thread() })
		switch {
		case cm.TopLevel() && at < 0 && ranked:
			threads = append(threads, lists.ListThread{View: views.ThreadView{Top: cm}})
		case cm.TopLevel() && at < 0:
			i, _ := slices.BinarySearchFunc(threads, cm.ID, func(t lists.ListThread, id int64) int { return int(t.ID() - id) })
			if i == 0 && l.View.Older > 0 {
				continue
			}
			threads = slices.Insert(threads, i, lists.ListThread{View: views.ThreadView{Top: cm}})
		case cm.TopLevel() && at >= 0:
			// Already in the list (published and caught up).
		case !cm.TopLevel() && at >= 0:
			threads[at].View.Replies = withOwnReply(threads[at].View.Replies, cm)
		}
	}
	if !ranked {
		threads = lists.Arrange(threads, order)
	}
	shown := lists.PinnedFirst(pinned, threads)
	items := make([]views.Item, len(shown))
	var buf bytes.Buffer
	for i, t := range shown {
		items[i] = views.Item{ID: t.ID(), HTML: t.HTML}
		if !touches(t, own) && t.HTML != "" && !views.HasPinControls(ctx) {
			continue // the shared rendering; the owner's page renders every conversation with its Pin control
		}
		buf.Reset()
		if err := views.Thread(h.cfg.Content.Slug(postID), t.View, own).Render(ctx, &buf); err != nil {
			return views.ListView{}, err
		}
		items[i].HTML = buf.String()
	}
	older := l.View.Older
	if ranked {
		older = 0
	}
	v := views.BuildList(items, l.View.Seq, l.View.Total, older)
	v.Closed, v.Reactions, v.Order, v.Ranked = l.View.Closed, l.View.Reactions, string(order), ranked
	return v, nil
}

// withOwnReply puts the visitor's own reply among a conversation's replies, by id: among the first replies, or
// after the control that pages in the rest, their own is always shown.
func withOwnReply(replies []repo.Comment, cm repo.Comment) []repo.Comment {
	k, found := slices.BinarySearchFunc(replies, cm.ID, func(r repo.Comment, id int64) int { return int(r.ID - id) })
	if found {
		return replies
	}
	return slices.Insert(slices.Clone(replies), k, cm)
}

// notAnswered takes Edit and Delete away from the visitor's comments that somebody has answered.
func notAnswered(threads []lists.ListThread, held []repo.Comment, own map[int64]views.ItemOpts) map[int64]views.ItemOpts {
	out := make(map[int64]views.ItemOpts, len(own))
	for id, o := range own {
		out[id] = o
	}
	answered := func(r repo.Comment) {
		if r.ParentID != nil {
			if o, ok := out[*r.ParentID]; ok {
				o.Editable = false
				out[*r.ParentID] = o
			}
		}
	}
	for _, t := range threads {
		for _, r := range t.View.Replies {
			answered(r)
		}
	}
	for _, h := range held {
		answered(h)
	}
	return out
}

// touches reports whether a conversation holds one of the given comments.
func touches(t lists.ListThread, own map[int64]views.ItemOpts) bool {
	if _, ok := own[t.ID()]; ok {
		return true
	}
	for _, r := range t.View.Replies {
		if _, ok := own[r.ID]; ok {
			return true
		}
	}
	return false
}
