package search_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"blog/database"
	"blog/internal/dbtest"
	"blog/migrations"
	"blog/repo"
	"blog/repo/discussion"
)

// commentIDs returns the ids of the comments page 1 of a search shows, newest first.
func (b *blog) commentIDs(t *testing.T, q string) []int64 {
	t.Helper()
	res, err := b.search.Search(ctx, q, 1)
	if err != nil || res.Problem != "" {
		t.Fatalf("search %q: %v %s", q, err, res.Problem)
	}
	var ids []int64
	for _, p := range res.Posts {
		for _, c := range p.Comments {
			ids = append(ids, c.ID)
		}
	}
	return ids
}

// waiting returns how many comments SQLite's index of comments has not indexed yet (see the migration
// fold_comment_search); 0 on PostgreSQL, whose index is a generated column.
func waiting(t *testing.T, db *database.DB) int {
	t.Helper()
	if db.Dialect() != database.SQLite {
		return 0
	}
	var n int
	if err := db.SQL().QueryRowContext(ctx, "SELECT count(*) FROM comments WHERE id > (SELECT indexed FROM comments_fts_mark)").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// fillers inserts n comments copied from comment id with the text "Filler number N", in one statement.
func fillers(ctx context.Context, t *testing.T, db *database.DB, id int64, n int) {
	t.Helper()
	_, _, err := db.Repo().Exec(ctx, db.Placeholders(`INSERT INTO comments (post_id, user_id, username, body, state,
		reason, ip_hash, net_hash, created_at, format, html, html_version, source_url, author_url, mention_kind, author_handle, author_photo)
		WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ?)
		SELECT post_id, user_id, username, 'Filler number ' || n, state, reason, ip_hash, net_hash, created_at, format,
			html, html_version, source_url, author_url, mention_kind, author_handle, author_photo FROM comments, g WHERE id = ?`), n, id)
	if err != nil {
		t.Fatal(err)
	}
}

// TestNewCommentsAreFoundAtOnce checks, on SQLite and PostgreSQL, that a comment is found by the first search
// after it is written, and that edits and deletions are followed, whether or not SQLite has indexed the comment
// yet (it indexes new comments in batches, and a search indexes those waiting first); that the batch is made by
// the insert that fills it, in that insert's transaction (gone with a rollback); and that FTS5's own check finds
// the index in step with the comments afterwards.
func TestNewCommentsAreFoundAtOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		dir := t.TempDir()
		write(t, dir, "posts/2026-01-01-alpha.md", postFile("Alpha", "", "The quick brown fox."))
		b := newBlog(t, db, dir)
		alpha, _ := b.site.Current().PostID("alpha")
		comments := discussion.NewComments(db)
		post := func(body string) int64 {
			t.Helper()
			c, _, err := comments.CreateComment(ctx, repo.NewComment{PostID: alpha,
				Input: repo.CommentInput{Username: "Kim", Email: "kim@example.com", Body: body}})
			if err != nil {
				t.Fatal(err)
			}
			return c.ID
		}
		exec := func(q string, args ...any) {
			t.Helper()
			if _, _, err := db.Repo().Exec(ctx, db.Placeholders(q), args...); err != nil {
				t.Fatal(err)
			}
		}
		expect := func(q string, want ...int64) {
			t.Helper()
			if got := b.commentIDs(t, q); !slices.Equal(got, want) {
				t.Errorf("search %q found comments %v, want %v", q, got, want)
			}
		}

		kestrel := post("A kestrel over the marsh")
		if db.Dialect() == database.SQLite && waiting(t, db) != 1 {
			t.Fatalf("%d comments waiting, want the new one", waiting(t, db))
		}
		expect("kestrel", kestrel)
		if n := waiting(t, db); n != 0 {
			t.Fatalf("%d comments still waiting after a search", n)
		}

		// Changed while waiting, and changed once indexed: found by the new words only.
		heron := post("A heron in the reeds")
		exec("UPDATE comments SET body = 'An egret in the reeds' WHERE id = ?", heron)
		exec("UPDATE comments SET body = 'An osprey over the marsh' WHERE id = ?", kestrel)
		expect("heron")
		expect("egret", heron)
		expect("kestrel")
		expect("osprey", kestrel)
		expect("marsh", kestrel)

		// Deleted while waiting, and deleted once indexed.
		plover := post("A plover on the shore")
		exec("DELETE FROM comments WHERE id = ?", plover)
		exec("DELETE FROM comments WHERE id = ?", heron)
		expect("plover")
		expect("egret")

		// Many comments in one statement: the inserts that fill a batch index it, without any search.
		fillers(ctx, t, db, kestrel, 2*migrations.CommentsFoldEvery+5)
		if n := waiting(t, db); n >= migrations.CommentsFoldEvery {
			t.Fatalf("%d comments waiting after the inserts, want fewer than %d", n, migrations.CommentsFoldEvery)
		}
		if got := b.commentIDs(t, `"filler number 133"`); len(got) != 1 {
			t.Errorf(`"filler number 133" found %v`, got)
		}

		// A batch made inside a transaction that rolls back is undone with it.
		var newest int64
		if err := db.SQL().QueryRowContext(ctx, "SELECT max(id) FROM comments").Scan(&newest); err != nil {
			t.Fatal(err)
		}
		undo := errors.New("undo")
		err := db.Write(ctx, func(ctx context.Context) error {
			_, _, err := db.Repo().Exec(ctx, db.Placeholders("UPDATE comments SET body = 'A curlew calling' WHERE id = ?"), kestrel)
			if err != nil {
				return err
			}
			fillers(ctx, t, db, kestrel, migrations.CommentsFoldEvery+1)
			return undo
		})
		if !errors.Is(err, undo) {
			t.Fatal(err)
		}
		expect("curlew")
		expect("osprey", kestrel)
		if got := b.commentIDs(t, "filler"); len(got) != 20 || got[0] != newest {
			t.Errorf("filler found %d comments from %v, want 20 from %d", len(got), got, newest)
		}

		if db.Dialect() == database.SQLite {
			expect("waiting", post("A last comment, waiting"))
			if _, err := db.SQL().ExecContext(ctx, "INSERT INTO comments_fts(comments_fts, rank) VALUES ('integrity-check', 1)"); err != nil {
				t.Errorf("comments_fts integrity check: %v", err)
			}
		}
	})
}

// TestSearchDoesNotWaitForALongWrite checks, on SQLite, that a search with comments waiting to be indexed does not
// wait for a long write (an import, a restore) to index them: it answers from what is indexed, and once the write
// is over the comments waiting are indexed and found.
func TestSearchDoesNotWaitForALongWrite(t *testing.T) {
	db := dbtest.SQLite(t)
	dir := t.TempDir()
	write(t, dir, "posts/2026-01-01-alpha.md", postFile("Alpha", "", "The quick brown fox."))
	b := newBlog(t, db, dir)
	alpha, _ := b.site.Current().PostID("alpha")
	c, _, err := discussion.NewComments(db).CreateComment(ctx, repo.NewComment{PostID: alpha,
		Input: repo.CommentInput{Username: "Kim", Email: "kim@example.com", Body: "A kestrel over the marsh"}})
	if err != nil {
		t.Fatal(err)
	}

	holding, release, written := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		written <- db.Write(ctx, func(ctx context.Context) error {
			close(holding)
			<-release
			return nil
		})
	}()
	<-holding
	answered := make(chan error, 1)
	go func() {
		_, err := b.search.Search(ctx, "kestrel", 1)
		answered <- err
	}()
	select {
	case err := <-answered:
		if err != nil {
			t.Errorf("search during a long write: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("the search waited for the long write")
	}
	close(release)
	if err := <-written; err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		if got := b.commentIDs(t, "kestrel"); slices.Equal(got, []int64{c.ID}) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the comment waiting was not found after the long write")
		}
	}
}
