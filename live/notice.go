package live

import (
	"bytes"
	"context"

	"blog/publish"
	"blog/views"
)

// Announce tells open pages what a load of the content changed (publish.Store.OnDifference): the pages of a
// post whose text changed that a new version is there, those of a post taken down that it is, and every open
// page that a post appeared. Each instance reads the content again when the change feed (or a scheduled post's
// time) reaches it, so each tells its own streams, once. The words are rendered once and sent as a "notice"
// event without an id: a page that was not connected at that moment misses them, and reloads show the content
// as it is anyway.
func (b *Broker) Announce(d publish.Difference) {
	send := func(postID int64, n views.NoticeView) {
		var data bytes.Buffer
		// In the language of the post it is about (a new post's notice, for every page, in the blog's).
		ctx := context.Background()
		if b.posts != nil {
			ctx = localized(ctx, b.posts, postID)
		}
		if err := views.PostNotice(n).Render(ctx, &data); err != nil {
			b.log.Error("live: render a notice", "err", err)
			return
		}
		msg := &Message{Data: data.Bytes(), Notice: true}
		if postID == 0 {
			b.hub.broadcastAll(n.Except, msg)
			return
		}
		b.hub.broadcast(postID, msg)
	}
	for _, p := range d.Changed {
		send(p.ID, views.NoticeView{Kind: views.NoticeUpdated, Slug: p.Slug, Title: p.Title})
	}
	for _, p := range d.Gone {
		send(p.ID, views.NoticeView{Kind: views.NoticeGone, Slug: p.Slug, Title: p.Title})
	}
	if len(d.Appeared) > 0 {
		// The newest is named; several at once (an import, a folder copied in) are counted.
		p := d.Appeared[0]
		send(0, views.NoticeView{Kind: views.NoticeNew, Slug: p.Slug, Title: p.Title, More: len(d.Appeared) - 1, Except: p.ID})
	}
}
