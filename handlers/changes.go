package handlers

import (
	"bytes"
	"context"

	"blog/live"
	"blog/views"
)

// RenderChanges returns the function that reads a post's changes after a sequence and renders each once: the
// stream's event (the comment as readers should now see it, and the count) and, for caches, the comment's list
// entry. The broker calls it once per change for every stream and cache of an instance; a (re)connecting
// stream calls it to catch up.
func RenderChanges(store CommentStore, avatarKey []byte) live.Fetch {
	return func(ctx context.Context, postID, after int64) ([]live.Message, error) {
		ctx = views.WithAvatarKey(ctx, avatarKey)
		changes, err := store.FindChanges(ctx, postID, after, live.PageSize)
		if err != nil || len(changes) == 0 {
			return nil, err
		}
		msgs := make([]live.Message, len(changes))
		var item bytes.Buffer
		for i, ch := range changes {
			m := live.Message{Seq: ch.Seq, CommentID: ch.CommentID, Count: ch.Count}
			visible := ch.Comment != nil && ch.Comment.Visible()
			var data bytes.Buffer
			c := ch.Comment
			if c == nil {
				gone := views.PurgedComment
				gone.ID = ch.CommentID
				c = &gone
			}
			if err := views.Change(*c, visible, ch.Count).Render(ctx, &data); err != nil {
				return nil, err
			}
			m.Data = data.Bytes()
			if visible {
				item.Reset()
				if err := views.CommentItem(*c, false).Render(ctx, &item); err != nil {
					return nil, err
				}
				m.Item = bytes.Clone(item.Bytes())
			}
			msgs[i] = m
		}
		return msgs, nil
	}
}
