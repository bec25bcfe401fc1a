package schema_test

import (
	"context"
	"slices"
	"testing"

	"blog/database"
	"blog/database/fulltext"
	"blog/database/schema"
	"blog/internal/dbtest"
	"blog/repo"
	"blog/repo/discussion"
	"blog/repo/posts"
	"blog/repo/searchindex"
)

const foldVersion = 20261210000001

// TestFoldCommentSearchOnABlogWithComments upgrades a blog that has comments indexed the earlier way (each in its
// own transaction) to the index made in batches, on SQLite and PostgreSQL (where nothing changes): the comments
// are found as before, without indexing them again; a new comment waits and is found all the same; a rollback
// indexes the one waiting and puts the earlier triggers back; up again works.
func TestFoldCommentSearchOnABlogWithComments(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		downTo(t, db, foldVersion)
		ids, err := posts.NewPosts(db).SyncPosts(ctx, []posts.PostRef{{Slug: "p", Title: "P"}})
		if err != nil {
			t.Fatal(err)
		}
		index := searchindex.New(db)
		if _, err := index.SyncPosts(ctx, []searchindex.PostText{{PostID: ids["p"], Slug: "p", Title: "P"}}); err != nil {
			t.Fatal(err)
		}
		comments := discussion.NewComments(db)
		post := func(body string) int64 {
			t.Helper()
			c, _, err := comments.CreateComment(ctx, repo.NewComment{PostID: ids["p"],
				Input: repo.CommentInput{Username: "Kim", Email: "kim@example.com", Body: body}})
			if err != nil {
				t.Fatal(err)
			}
			return c.ID
		}
		found := func(word string, want ...int64) {
			t.Helper()
			hits, err := index.SearchComments(ctx, fulltext.TextQuery{{word}}, 20, 0)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, h := range hits {
				got = append(got, h.ID)
			}
			if !slices.Equal(got, want) {
				t.Errorf("%q found %v, want %v", word, got, want)
			}
		}
		// indexedNow reports whether the index holds comment id without any search folding first (SQLite).
		indexedNow := func(id int64) bool {
			t.Helper()
			var in int
			if err := db.SQL().QueryRowContext(ctx, "SELECT count(*) FROM comments_fts WHERE comments_fts MATCH 'comment' AND rowid = ?", id).Scan(&in); err != nil {
				t.Fatal(err)
			}
			return in == 1
		}
		integrity := func() {
			t.Helper()
			if _, err := db.SQL().ExecContext(ctx, "INSERT INTO comments_fts(comments_fts, rank) VALUES ('integrity-check', 1)"); err != nil {
				t.Errorf("comments_fts integrity check: %v", err)
			}
		}
		sqlite := db.Dialect() == database.SQLite

		first := post("A first comment about kestrels")
		second := post("A second comment about herons")
		if err := schema.Up(ctx, db); err != nil {
			t.Fatal(err)
		}
		if sqlite {
			var mark int64
			if err := db.SQL().QueryRowContext(ctx, "SELECT indexed FROM comments_fts_mark").Scan(&mark); err != nil || mark != second {
				t.Fatalf("mark %d after up, want %d (%v)", mark, second, err)
			}
			integrity()
		}
		found("kestrel", first)
		found("comment", second, first)

		third := post("A third comment about plovers")
		if sqlite && indexedNow(third) {
			t.Fatal("the new comment was indexed at once: no batches")
		}
		downTo(t, db, foldVersion)
		all := []int64{third, second, first}
		if sqlite {
			if !indexedNow(third) {
				t.Fatal("the rollback left the waiting comment out of the index")
			}
			fourth := post("A fourth comment about terns")
			if !indexedNow(fourth) {
				t.Fatal("after the rollback a new comment is not indexed at once")
			}
			all = append([]int64{fourth}, all...)
			integrity()
		}
		if err := schema.Up(ctx, db); err != nil {
			t.Fatal(err)
		}
		found("plover", third)
		found("comment", all...)
		fifth := post("A fifth comment about curlews")
		found("curlew", fifth)
		if sqlite {
			integrity()
		}
	})
}
