package search_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"blog/database"
	"blog/internal/dbtest"
	"blog/publish"
	"blog/repo"
	"blog/repo/discussion"
	"blog/repo/posts"
	"blog/repo/searchindex"
	"blog/search"
)

var ctx = context.Background()

// blog is a content folder on disk loaded by publish into a real database, with its search fed on every load.
type blog struct {
	dir    string
	site   *publish.Store
	search *search.Service
	index  *searchindex.Store
	// failed counts the loads whose indexing failed (publish logs them and serves the load all the same).
	mu     sync.Mutex
	failed []error
}

func newBlog(t *testing.T, db *database.DB, dir string) *blog {
	t.Helper()
	index := searchindex.New(db)
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	b := &blog{dir: dir, index: index}
	site, err := publish.Open(ctx, root.FS(), posts.NewPosts(db), slog.New(slog.NewTextHandler(io.Discard, nil)),
		publish.OnLoad(func(ctx context.Context, snap *publish.Snapshot) error {
			err := search.IndexSnapshot(ctx, index, snap)
			if err != nil {
				b.mu.Lock()
				b.failed = append(b.failed, err)
				b.mu.Unlock()
			}
			return err
		}))
	if err != nil {
		t.Fatal(err)
	}
	b.site, b.search = site, search.New(index, site)
	t.Cleanup(func() {
		if len(b.failed) > 0 {
			t.Errorf("indexing failed: %v", b.failed)
		}
	})
	return b
}

func write(t *testing.T, dir, name, text string) {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func postFile(title, extra, text string) string {
	return "---\ntitle: " + title + "\ndate: 2026-01-01\nsummary: A note.\ntags: [notes]\n" + extra + "---\n\n" + text + "\n"
}

// found returns the slugs of the posts a search shows and the number of comments under them.
func (b *blog) found(t *testing.T, q string) (slugs []string, comments int) {
	t.Helper()
	res, err := b.search.Search(ctx, q, 1)
	if err != nil {
		t.Fatalf("search %q: %v", q, err)
	}
	if res.Problem != "" {
		t.Fatalf("search %q: %s", q, res.Problem)
	}
	for _, p := range res.Posts {
		slugs = append(slugs, p.Slug)
		comments += len(p.Comments)
	}
	return slugs, comments
}

func (b *blog) reload(t *testing.T) {
	t.Helper()
	if err := b.site.Reload(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestIndexFollowsTheContent checks, on SQLite and PostgreSQL, that the index of posts follows every load of
// the content: a changed text is found by its new words only; a post made a draft or removed leaves the results
// with its comments, and comes back with them.
func TestIndexFollowsTheContent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		dir := t.TempDir()
		write(t, dir, "posts/2026-01-01-alpha.md", postFile("Alpha", "", "The quick brown fox."))
		write(t, dir, "posts/2026-01-02-beta.md", postFile("Beta", "", "Lazy dogs sleep."))
		b := newBlog(t, db, dir)
		beta, _ := b.site.Current().PostID("beta")
		comments := discussion.NewComments(db)
		if _, _, err := comments.CreateComment(ctx, repo.NewComment{PostID: beta,
			Input: repo.CommentInput{Username: "Kim", Email: "kim@example.com", Body: "Kiwi birds cannot fly"}}); err != nil {
			t.Fatal(err)
		}
		check := func(q string, wantSlugs string, wantComments int) {
			t.Helper()
			slugs, n := b.found(t, q)
			slices.Sort(slugs)
			got := ""
			for i, s := range slugs {
				if i > 0 {
					got += ","
				}
				got += s
			}
			if got != wantSlugs || n != wantComments {
				t.Errorf("search %q: posts %q and %d comment(s), want %q and %d", q, got, n, wantSlugs, wantComments)
			}
		}
		check("fox", "alpha", 0)
		check("kiwi", "beta", 1)
		check("notes", "alpha,beta", 0)

		write(t, dir, "posts/2026-01-01-alpha.md", postFile("Alpha", "", "A slow green turtle."))
		b.reload(t)
		check("fox", "", 0)
		check("turtles", "alpha", 0)

		write(t, dir, "posts/2026-01-02-beta.md", postFile("Beta", "draft: true\n", "Lazy dogs sleep."))
		b.reload(t)
		check("kiwi", "", 0)
		check("lazy", "", 0)

		write(t, dir, "posts/2026-01-02-beta.md", postFile("Beta", "", "Lazy dogs sleep."))
		b.reload(t)
		check("kiwi", "beta", 1)

		if err := os.Remove(filepath.Join(dir, "posts/2026-01-02-beta.md")); err != nil {
			t.Fatal(err)
		}
		b.reload(t)
		check("kiwi", "", 0)
		check("dogs", "", 0)

		// A load that changes nothing writes nothing.
		texts := []searchindex.PostText{{PostID: beta, Slug: "beta", Title: "Beta", Body: "x"}}
		if n, err := b.index.SyncPosts(ctx, texts); err != nil || n != 2 {
			t.Fatalf("first sync: %d, %v; want 2 (beta written, alpha taken out)", n, err)
		}
		if n, err := b.index.SyncPosts(ctx, texts); err != nil || n != 0 {
			t.Fatalf("same sync again: %d, %v; want 0", n, err)
		}
	})
}

// TestTwoInstancesShareOneIndex checks two instances of the blog on one PostgreSQL database: both load the same
// content at the same time, again and again, without failing, and a comment written through one is found at
// once by the other's search.
func TestTwoInstancesShareOneIndex(t *testing.T) {
	url := dbtest.PostgresURL(t)
	dbA, dbB := dbtest.Open(t, url, true), dbtest.Open(t, url, false)
	dir := t.TempDir()
	write(t, dir, "posts/2026-01-01-alpha.md", postFile("Alpha", "", "The quick brown fox."))
	for i := range 10 {
		write(t, dir, "posts/2026-01-0"+string(rune('2'+i%5))+"-p"+string(rune('a'+i))+".md", postFile("P "+string(rune('a'+i)), "", "Shared words."))
	}
	// The posts' rows are made by one instance first: creating them is publish's business, not the index's.
	a := newBlog(t, dbA, dir)
	b := newBlog(t, dbB, dir)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 10 {
		write(t, dir, "posts/2026-01-0"+string(rune('2'+i%5))+"-p"+string(rune('a'+i))+".md", postFile("P "+string(rune('a'+i)), "", "Shared words, changed."))
		for _, s := range []*blog{a, b} {
			wg.Add(1)
			go func() { defer wg.Done(); errs <- s.site.Reload(ctx) }()
		}
		wg.Wait()
	}
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("a reload on two instances at once: %v", err)
		}
	}
	if slugs, _ := b.found(t, `"words changed"`); len(slugs) != 10 {
		t.Fatalf("instance B finds %d posts, want 10", len(slugs))
	}
	alpha, _ := a.site.Current().PostID("alpha")
	if _, _, err := discussion.NewComments(dbA).CreateComment(ctx, repo.NewComment{PostID: alpha,
		Input: repo.CommentInput{Username: "Kim", Email: "kim@example.com", Body: "Heron sightings by the lake"}}); err != nil {
		t.Fatal(err)
	}
	if _, n := b.found(t, "herons"); n != 1 {
		t.Fatalf("instance B finds %d comments written through instance A, want 1", n)
	}
}

// TestOldCommentsAreFoundToo checks that a comment older than a thousand newer ones is found (on PostgreSQL the
// newest comments are looked at first, then the index), and that a page of a common word is the newest.
func TestOldCommentsAreFoundToo(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		dir := t.TempDir()
		write(t, dir, "posts/2026-01-01-alpha.md", postFile("Alpha", "", "The quick brown fox."))
		b := newBlog(t, db, dir)
		alpha, _ := b.site.Current().PostID("alpha")
		c, _, err := discussion.NewComments(db).CreateComment(ctx, repo.NewComment{PostID: alpha,
			Input: repo.CommentInput{Username: "Kim", Email: "kim@example.com", Body: "An ibis by the river"}})
		if err != nil {
			t.Fatal(err)
		}
		// 1,500 newer comments, written as copies of it with other words (the index's triggers and generated
		// columns see them as any insert).
		_, err = db.SQL().ExecContext(ctx, db.Placeholders(`INSERT INTO comments (post_id, user_id, username, body, state,
			reason, ip_hash, net_hash, created_at, format, html, html_version, source_url, author_url, mention_kind, author_handle, author_photo)
			WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 1500)
			SELECT post_id, user_id, username, 'Filler number ' || n, state, reason, ip_hash, net_hash, created_at, format,
				html, html_version, source_url, author_url, mention_kind, author_handle, author_photo FROM comments, g WHERE id = ?`), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		res, err := b.search.Search(ctx, "ibis", 1)
		if err != nil || len(res.Posts) != 1 || len(res.Posts[0].Comments) != 1 || res.Posts[0].Comments[0].ID != c.ID {
			t.Fatalf("the old comment: %+v, %v", res.Posts, err)
		}
		res, err = b.search.Search(ctx, "filler", 2)
		if err != nil || len(res.Posts) != 1 || len(res.Posts[0].Comments) != search.CommentsPerPage || !res.More {
			t.Fatalf("page 2 of filler: %+v, %v", res, err)
		}
		if got := res.Posts[0].Comments[0].ID; got != c.ID+1500-search.CommentsPerPage {
			t.Fatalf("page 2 starts at comment %d, want %d", got, c.ID+1500-search.CommentsPerPage)
		}
	})
}

// TestPostWrittenInItsOwnTransaction checks the way a store of posts kept in the database indexes one: inside the
// transaction that publishes it (found at once, gone with a rollback), and taken out the same way.
func TestPostWrittenInItsOwnTransaction(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		dir := t.TempDir()
		write(t, dir, "posts/2026-01-01-alpha.md", postFile("Alpha", "", "The quick brown fox."))
		b := newBlog(t, db, dir)
		alpha, _ := b.site.Current().PostID("alpha")
		text := searchindex.PostText{PostID: alpha, Slug: "alpha", Title: "Alpha", Body: "A heron at the pond"}
		failed := errors.New("the publishing store changed its mind")
		err := db.Write(ctx, func(ctx context.Context) error {
			if err := searchindex.WritePost(ctx, db, text); err != nil {
				return err
			}
			return failed
		})
		if !errors.Is(err, failed) {
			t.Fatal(err)
		}
		if slugs, _ := b.found(t, "heron"); len(slugs) != 0 {
			t.Fatal("a rolled-back write is found")
		}
		if err := db.Write(ctx, func(ctx context.Context) error { return searchindex.WritePost(ctx, db, text) }); err != nil {
			t.Fatal(err)
		}
		if slugs, _ := b.found(t, "heron"); len(slugs) != 1 {
			t.Fatal("the post written in its transaction is not found")
		}
		if err := db.Write(ctx, func(ctx context.Context) error { return searchindex.RemovePost(ctx, db, alpha) }); err != nil {
			t.Fatal(err)
		}
		if slugs, _ := b.found(t, "heron"); len(slugs) != 0 {
			t.Fatal("a removed post is found")
		}
	})
}

// TestPostsMatchedByTitleComeFirst: the posts whose title, tags or summary match come before the posts matched by
// their text alone, the title weighing most, and the pages that follow hold the rest once each. SQLite and
// PostgreSQL.
func TestPostsMatchedByTitleComeFirst(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		dir := t.TempDir()
		write(t, dir, "posts/2026-01-01-titled.md", postFile("Heron", "", "A bird by the water."))
		write(t, dir, "posts/2026-01-02-summed.md", strings.Replace(postFile("Pond life", "", "Reeds and frogs."), "A note.", "A grey heron.", 1))
		for i := range 12 {
			write(t, dir, fmt.Sprintf("posts/2026-02-%02d-text-%02d.md", i+1, i), postFile(fmt.Sprintf("Walk %d", i), "", "We saw a heron, heron, heron."))
		}
		b := newBlog(t, db, dir)
		slugs, _ := b.found(t, "heron")
		if len(slugs) != search.PostsPerPage || slugs[0] != "titled" || slugs[1] != "summed" {
			t.Fatalf("first page: %v, want titled, summed, then the rest", slugs)
		}
		res, err := b.search.Search(ctx, "heron", 2)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, s := range slugs {
			seen[s] = true
		}
		for _, p := range res.Posts {
			if seen[p.Slug] {
				t.Fatalf("page 2 repeats %s", p.Slug)
			}
			seen[p.Slug] = true
		}
		if len(seen) != 14 {
			t.Fatalf("two pages hold %d posts, want all 14", len(seen))
		}
	})
}
