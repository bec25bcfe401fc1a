package database_test

import (
	"context"
	"testing"

	"blog/database"
	"blog/repo"
)

// seedPost gives the database a post row and returns its id.
func seedPost(t *testing.T, db *database.DB, slug string) int64 {
	t.Helper()
	ids, err := repo.NewPosts(db).SyncPosts(context.Background(), []repo.PostRef{{Slug: slug, Title: "Title " + slug}})
	if err != nil {
		t.Fatalf("sync posts: %v", err)
	}
	return ids[slug]
}
