package handlers

import (
	"bytes"
	"context"

	"blog/live"
	"blog/repo"
	"blog/views"
)

// RenderChanges returns the function that reads a post's changes after a sequence and renders each once for the
// stream (the comment as readers should now see it, and the count), keeping the comment itself for the caches.
// The broker calls it once per change for every stream and cache of an instance; a (re)connecting stream calls
// it to catch up. slugOf names a post by its id (for the comments' links).
func RenderChanges(store CommentStore, slugOf func(postID int64) string) live.Fetch {
	return func(ctx context.Context, postID, after int64) ([]live.Message, error) {
		changes, err := store.FindChanges(ctx, postID, after, live.PageSize)
		if err != nil || len(changes) == 0 {
			return nil, err
		}
		slug := slugOf(postID)
		msgs := make([]live.Message, len(changes))
		for i, ch := range changes {
			c := repo.Comment{ID: ch.CommentID, State: repo.StateDeleted} // purged for good: reads as removed
			if ch.Comment != nil {
				c = *ch.Comment
			}
			var cm *repo.Comment
			if ch.Comment != nil {
				cm = &c
			}
			var data bytes.Buffer
			if err := views.Change(slug, c, ch.Count).Render(ctx, &data); err != nil {
				return nil, err
			}
			msgs[i] = live.Message{Seq: ch.Seq, Data: data.Bytes(), Count: ch.Count, Comment: cm, Replies: ch.Replies}
		}
		return msgs, nil
	}
}
