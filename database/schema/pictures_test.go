package schema_test

import (
	"context"
	"testing"

	"github.com/go-rel/rel/where"

	"blog/database/schema"
	"blog/internal/dbtest"
	"blog/repo"
	"blog/repo/posts"
	"blog/repo/review"
)

// TestPicturesOnABlogWithComments applies the pictures' migrations to a database that already has comments, on
// SQLite and PostgreSQL: the comments get no picture ("", the blog's drawn one), and a rollback and a second up
// keep them.
func TestPicturesOnABlogWithComments(t *testing.T) {
	for name, mk := range map[string]func(testing.TB) string{"sqlite": dbtest.MigratedSQLiteURL, "postgres": dbtest.MigratedPostgresURL} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db := dbtest.Open(t, mk(t), false)
			ids, err := posts.NewPosts(db).SyncPosts(ctx, []posts.PostRef{{Slug: "p", Title: "P"}})
			if err != nil {
				t.Fatal(err)
			}
			store := review.NewComments(db)
			if _, _, err := store.CreateComment(ctx, repo.NewComment{PostID: ids["p"], Input: repo.CommentInput{Username: "a", Email: "a@b.co", Body: "x"}}); err != nil {
				t.Fatal(err)
			}
			for range 2 { // add_comment_author_photo, create_pictures
				if err := schema.Down(ctx, db); err != nil {
					t.Fatal(err)
				}
			}
			if err := schema.Up(ctx, db); err != nil {
				t.Fatalf("up over existing comments: %v", err)
			}
			cs, err := store.FindComments(ctx, repo.CommentFilter{PostID: ids["p"]})
			if err != nil || len(cs) != 1 || cs[0].AuthorPhoto != "" || cs[0].Picture() != "" {
				t.Fatalf("comments after up: %+v, %v", cs, err)
			}
			if n, err := db.Repo().Count(ctx, "comments", where.Eq("author_photo", "")); err != nil || n != 1 {
				t.Fatalf("%d comments without a picture, %v", n, err)
			}
		})
	}
}
