package database_test

import (
	"context"
	"testing"

	"blog/database"
	"blog/repo/posts"
)

// seedPost gives the database a post row and returns its id.
func seedPost(t *testing.T, db *database.DB, slug string) int64 {
	t.Helper()
	ids, err := posts.NewPosts(db).SyncPosts(context.Background(), []posts.PostRef{{Slug: slug, Title: "Title " + slug}})
	if err != nil {
		t.Fatalf("sync posts: %v", err)
	}
	return ids[slug]
}
