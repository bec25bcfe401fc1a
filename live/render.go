package live

import (
	"bytes"
	"context"

	"blog/i18n"
	"blog/repo"
	"blog/views"
)

// renderChanges returns the function that reads a post's changes after a sequence and renders each once for the
// streams (the comment as readers should now see it, and the count), keeping the comment itself for the lists.
// The broker calls it once per change for every stream and list of an instance.
func renderChanges(store Store, posts Posts) fetch {
	return func(ctx context.Context, postID, after int64) ([]Message, error) {
		changes, err := store.FindChanges(ctx, postID, after, PageSize)
		if err != nil || len(changes) == 0 {
			return nil, err
		}
		slug := posts.Slug(postID)
		locale := posts.Locale(postID)
		ctx = i18n.With(ctx, locale)
		msgs := make([]Message, len(changes))
		for i, ch := range changes {
			if ch.Kind == repo.ChangePost || ch.Kind == repo.ChangeContent {
				// A change of the post's content tells open pages only what they already show (whether it
				// takes comments, and its count); the instance reads the content again (Message.Content).
				var data bytes.Buffer
				if err := views.PostChange(ch.Closed, ch.Count).Render(ctx, &data); err != nil {
					return nil, err
				}
				msgs[i] = Message{Seq: ch.Seq, Data: data.Bytes(), Count: ch.Count, Closed: ch.Closed, Content: ch.Kind == repo.ChangeContent}
				continue
			}
			if ch.Kind == repo.ChangeMentioned && ch.Elsewhere != nil {
				// The likes and reposts other sites sent, as they are now, in place of those the page shows.
				var data bytes.Buffer
				if err := views.ElsewhereChange(*ch.Elsewhere, ch.Count).Render(ctx, &data); err != nil {
					return nil, err
				}
				msgs[i] = Message{Seq: ch.Seq, Data: data.Bytes(), Count: ch.Count, Closed: ch.Closed}
				continue
			}
			if ch.OfPost() {
				var data bytes.Buffer
				if err := views.PostReactionsChange(slug, ch.PostReactions, ch.Count).Render(ctx, &data); err != nil {
					return nil, err
				}
				t := ch.PostReactions
				msgs[i] = Message{Seq: ch.Seq, Data: data.Bytes(), Count: ch.Count, PostReactions: &t, Closed: ch.Closed}
				continue
			}
			c := repo.Comment{ID: ch.CommentID, State: repo.StateDeleted} // purged for good: reads as removed
			if ch.Comment != nil {
				c = *ch.Comment
			}
			var cm *repo.Comment
			if ch.Comment != nil {
				cm = &c
			}
			// A comment that shows is rendered once, for the streams' event and for the lists' conversation.
			var data bytes.Buffer
			var item string
			if c.Visible() || c.Placeholder() {
				var err error
				if item, err = views.CommentHTML(ctx, slug, c); err != nil {
					return nil, err
				}
				err = views.ChangeOf(item, ch.Count).Render(ctx, &data)
				if err != nil {
					return nil, err
				}
			} else if err := views.Change(slug, c, ch.Count).Render(ctx, &data); err != nil {
				return nil, err
			}
			msgs[i] = Message{Seq: ch.Seq, Data: data.Bytes(), Count: ch.Count, Comment: cm, Replies: ch.Replies, Closed: ch.Closed,
				Item: item, Locale: locale}
		}
		return msgs, nil
	}
}
