package review_test

import (
	"context"
	"testing"

	"blog/database"
	"blog/repo"
	"blog/repo/posts"
	"blog/repo/review"
)

func seedPost(t *testing.T, db *database.DB, slug string) int64 {
	t.Helper()
	ids, err := posts.NewPosts(db).SyncPosts(context.Background(), []posts.PostRef{{Slug: slug, Title: "Title " + slug}})
	if err != nil {
		t.Fatalf("sync posts: %v", err)
	}
	return ids[slug]
}

// create stores a published comment.
func create(ctx context.Context, store *review.Comments, post int64, in repo.CommentInput) (repo.Comment, error) {
	c, _, err := store.CreateComment(ctx, repo.NewComment{PostID: post, Input: in})
	return c, err
}
