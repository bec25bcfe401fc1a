package review_test

import (
	"context"
	"strings"
	"testing"

	"github.com/go-rel/rel"
	"github.com/go-rel/rel/where"

	"blog/database"
	"blog/internal/dbtest"
	"blog/repo"
	"blog/repo/review"
	"blog/richtext"
)

// TestCommentsKeepTheirRendering checks that every write stores the comment's HTML with it (a new comment, an
// edit, an import), that reads return it, and that RenderStale renders again what older rules (or none) made.
func TestCommentsKeepTheirRendering(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		store := review.NewComments(db)
		post := seedPost(t, db, "hello")
		c, err := create(ctx, store, post, repo.CommentInput{Username: "Ann", Email: "ann@example.com", Body: "*one*"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := store.FindComment(ctx, c.ID)
		if err != nil || got.HTMLVersion != richtext.Version || !strings.Contains(got.HTML, "<em>one</em>") {
			t.Fatalf("stored rendering = %q v%d (%v)", got.HTML, got.HTMLVersion, err)
		}
		if _, _, err := store.EditComment(ctx, c.ID, repo.Edit{Body: "**two**", Format: repo.FormatMarkdown}); err != nil {
			t.Fatal(err)
		}
		if got, _ = store.FindComment(ctx, c.ID); !strings.Contains(got.HTML, "<strong>two</strong>") {
			t.Fatalf("after the edit: %q", got.HTML)
		}
		// A rendering made by older rules (or by a program from before renderings were stored) is made again.
		if _, err := db.Repo().UpdateAny(ctx, rel.From("comments").Where(where.Eq("id", c.ID)), rel.Set("html", "stale"),
			rel.Set("html_version", 0)); err != nil {
			t.Fatal(err)
		}
		if got, _ = store.FindComment(ctx, c.ID); !strings.Contains(string(got.Rendered()), "<strong>two</strong>") {
			t.Fatalf("a stale rendering was shown: %q", got.Rendered())
		}
		if n, err := store.RenderStale(ctx); err != nil || n != 1 {
			t.Fatalf("RenderStale = %d, %v; want 1", n, err)
		}
		if got, _ = store.FindComment(ctx, c.ID); got.HTMLVersion != richtext.Version || !strings.Contains(got.HTML, "<strong>two</strong>") {
			t.Fatalf("after RenderStale: %q v%d", got.HTML, got.HTMLVersion)
		}
		if n, _ := store.RenderStale(ctx); n != 0 {
			t.Fatalf("RenderStale again rendered %d", n)
		}
	})
}
