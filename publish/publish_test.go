package publish_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"blog/internal/dbtest"
	"blog/publish"
	"blog/repo"
	"blog/repo/posts"
)

var ctx = context.Background()

// logBuffer collects log lines; the watcher writes from its own goroutine.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// site is a content folder on disk served by a publish.Store over a real database.
type site struct {
	dir   string
	store *publish.Store
	posts *posts.Posts
	log   *logBuffer
}

// write creates or replaces a file of the content folder (name is relative to it, with its folders).
func (s *site) write(t *testing.T, name, text string) {
	t.Helper()
	writeFile(t, s.dir, name, text)
}

func writeFile(t *testing.T, dir, name, text string) {
	t.Helper()
	path := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (s *site) remove(t *testing.T, name string) {
	t.Helper()
	if err := os.Remove(filepath.Join(s.dir, filepath.FromSlash(name))); err != nil {
		t.Fatal(err)
	}
}

// post returns a post's file as the README's "Writing posts" shows it, with more front matter lines in extra.
func post(title, date string, extra ...string) string {
	head := "title: " + title + "\ndate: " + date + "\nsummary: About " + title + ".\ntags: [notes]\n"
	for _, line := range extra {
		head += line + "\n"
	}
	return "---\n" + head + "---\n\nThe text of **" + title + "**.\n"
}

// files writes a content folder with these files (name: text) and returns its path.
func files(t *testing.T, content map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range content {
		writeFile(t, dir, name, text)
	}
	return dir
}

// openSite opens the content folder dir with the post store posts.
func openSite(t *testing.T, dir string, postStore *posts.Posts) *site {
	t.Helper()
	log := &logBuffer{}
	store, err := publish.Open(ctx, os.DirFS(dir), postStore, slog.New(slog.NewTextHandler(log, nil)))
	if err != nil {
		t.Fatalf("open %s: %v", dir, err)
	}
	return &site{dir: dir, store: store, posts: postStore, log: log}
}

// sqliteSite opens dir over a new SQLite database.
func sqliteSite(t *testing.T, dir string) *site {
	db := dbtest.SQLite(t)
	return openSite(t, dir, posts.NewPosts(db))
}

// eachSite runs fn with dir opened over SQLite and over PostgreSQL, as subtests; fn may change dir, so each run
// gets its own copy of content.
func eachSite(t *testing.T, content map[string]string, fn func(t *testing.T, s *site)) {
	t.Run("sqlite", func(t *testing.T) {
		db := dbtest.SQLite(t)
		fn(t, openSite(t, files(t, content), posts.NewPosts(db)))
	})
	t.Run("postgres", func(t *testing.T) {
		db := dbtest.Postgres(t)
		fn(t, openSite(t, files(t, content), posts.NewPosts(db)))
	})
}

// postID returns the id of a published post, failing the test when it has none.
func (s *site) postID(t *testing.T, slug string) int64 {
	t.Helper()
	id, ok := s.store.Current().PostID(slug)
	if !ok || id <= 0 {
		t.Fatalf("PostID(%q) = %d, %v; want an id", slug, id, ok)
	}
	return id
}

func slugs(s *publish.Snapshot) []string {
	var out []string
	for _, p := range s.Lib.Posts {
		out = append(out, p.Slug)
	}
	return out
}

// TestOpenServesPostsWithTheirRows proves Open loads posts (newest first), pages and media from a folder, gives
// each published post a row and an id that names it back (Slug, Title), keeps a draft out of the list and out of
// the table, and skips a bad file, listing it in Problems() and the log, while the rest is served.
func TestOpenServesPostsWithTheirRows(t *testing.T) {
	content := map[string]string{
		"posts/2026-11-01-first-post.md":  post("First post", "2026-11-01"),
		"posts/2026-11-10-second-post.md": post("Second post", "2026-11-10"),
		"posts/2026-11-12-secret-plan.md": post("Secret plan", "2026-11-12", "draft: true"),
		"posts/2026-11-20-broken.md":      "---\ntitle: [unclosed\ndate: 2026-11-20\n---\nText.\n",
		"pages/about.md":                  "---\ntitle: About\norder: 1\n---\n\nWho writes here.\n",
		"media/diagram.svg":               `<svg xmlns="http://www.w3.org/2000/svg"/>`,
	}
	eachSite(t, content, func(t *testing.T, s *site) {
		snap := s.store.Current()
		if got, want := slugs(snap), []string{"second-post", "first-post"}; !slices.Equal(got, want) {
			t.Fatalf("posts = %v, want %v (newest first, no draft, no broken file)", got, want)
		}
		first, second := s.postID(t, "first-post"), s.postID(t, "second-post")
		if first == second {
			t.Fatalf("both posts have id %d", first)
		}
		for _, tt := range []struct {
			id          int64
			slug, title string
		}{{first, "first-post", "First post"}, {second, "second-post", "Second post"}} {
			if got := s.store.Slug(tt.id); got != tt.slug {
				t.Errorf("Slug(%d) = %q, want %q", tt.id, got, tt.slug)
			}
			if got := s.store.Title(tt.id); got != tt.title {
				t.Errorf("Title(%d) = %q, want %q", tt.id, got, tt.title)
			}
			row, err := s.posts.FindPostBySlug(ctx, tt.slug)
			if err != nil || row.ID != tt.id || row.Title != tt.title {
				t.Errorf("row of %s = %+v, %v; want id %d, title %q", tt.slug, row, err, tt.id, tt.title)
			}
		}
		rows, err := s.posts.ListPosts(ctx)
		if err != nil || len(rows) != 2 {
			t.Errorf("rows = %+v, %v; want only the two published posts", rows, err)
		}

		if id, ok := snap.PostID("secret-plan"); ok {
			t.Errorf("the draft has post id %d; want none", id)
		}
		if _, ok := snap.Lib.DraftBySlug("secret-plan"); !ok {
			t.Errorf("the draft is not kept for the owner's preview")
		}
		if _, err := s.posts.FindPostBySlug(ctx, "secret-plan"); !errors.Is(err, repo.ErrNotFound) {
			t.Errorf("the draft's row: %v, want repo.ErrNotFound", err)
		}

		problems := s.store.Problems()
		if len(problems) != 1 || !strings.HasPrefix(problems[0], "posts/2026-11-20-broken.md: front matter: yaml: ") {
			t.Errorf("Problems() = %q; want the broken file with its YAML error", problems)
		}
		if log := s.log.String(); !strings.Contains(log, "content: file skipped") || !strings.Contains(log, "file=posts/2026-11-20-broken.md") {
			t.Errorf("log = %q; want a line naming the skipped file", log)
		}

		if page, ok := snap.Lib.PageBySlug("about"); !ok || page.Title != "About" {
			t.Errorf("page about = %+v, %v", page, ok)
		}
		if svg, err := fs.ReadFile(snap.Lib.Media, "diagram.svg"); err != nil || !bytes.Contains(svg, []byte("<svg")) {
			t.Errorf("media/diagram.svg = %q, %v", svg, err)
		}
	})
}

// TestOpenSkipsEachKindOfBadFile proves every kind of unreadable file is skipped and listed in Problems() as
// "file: problem" with the words the owner reads, gets no row, and leaves the good post served.
func TestOpenSkipsEachKindOfBadFile(t *testing.T) {
	good := map[string]string{"posts/2026-11-01-good-post.md": post("Good post", "2026-11-01")}
	tests := []struct {
		name, file, text string
		wantProblem      string
	}{
		{"front matter is not YAML", "posts/2026-11-20-bad-yaml.md", "---\ntitle: [oops\ndate: 2026-11-20\n---\nText.\n", "front matter: yaml: "},
		{"no front matter", "posts/2026-11-20-bare.md", "Just text.\n", "file must start with front matter between --- lines"},
		{"front matter not closed", "posts/2026-11-20-open.md", "---\ntitle: Open\ndate: 2026-11-20\n", "front matter is not closed by a --- line"},
		{"no title", "posts/2026-11-20-untitled.md", "---\ndate: 2026-11-20\n---\nText.\n", "front matter needs a title"},
		{"blank title", "posts/2026-11-20-blank.md", "---\ntitle: '  '\ndate: 2026-11-20\n---\nText.\n", "front matter needs a title"},
		{"no date", "posts/2026-11-20-undated.md", "---\ntitle: Undated\n---\nText.\n", "front matter needs a date (YYYY-MM-DD)"},
		{"slug already used", "posts/2026-12-01-good-post.md", post("Good post again", "2026-12-01"),
			`slug "good-post" is already used by posts/2026-11-01-good-post.md`},
		{"file name not a slug", "posts/2026-11-20-Not_A_Slug.md", post("Not a slug", "2026-11-20"),
			"file name must be lower-case words joined by hyphens (it becomes the URL)"},
		{"page without a title", "pages/colophon.md", "---\norder: 2\n---\nText.\n", "front matter needs a title"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			content := map[string]string{tt.file: tt.text}
			for name, text := range good {
				content[name] = text
			}
			s := sqliteSite(t, files(t, content))
			problems := s.store.Problems()
			if len(problems) != 1 || !strings.HasPrefix(problems[0], tt.file+": "+tt.wantProblem) {
				t.Errorf("Problems() = %q; want [%q...]", problems, tt.file+": "+tt.wantProblem)
			}
			if got := slugs(s.store.Current()); !slices.Equal(got, []string{"good-post"}) {
				t.Errorf("posts = %v; want the good post only", got)
			}
			s.postID(t, "good-post")
			if rows, err := s.posts.ListPosts(ctx); err != nil || len(rows) != 1 || rows[0].Title != "Good post" {
				t.Errorf("rows = %+v, %v; want the good post's only", rows, err)
			}
			if pages := s.store.Library().Pages; len(pages) != 0 {
				t.Errorf("pages = %+v; want none", pages)
			}
		})
	}
}

// TestReloadPicksUpNewChangedAndRemovedPosts proves Reload swaps in a new snapshot (the one readers held stays
// as it was) with a new post's row, a changed title in the row, a removed post gone from the list while its
// slug is still known by id, the same id when its file comes back, and a post made a draft out of the list.
func TestReloadPicksUpNewChangedAndRemovedPosts(t *testing.T) {
	content := map[string]string{
		"posts/2026-11-01-first-post.md":  post("First post", "2026-11-01"),
		"posts/2026-11-10-second-post.md": post("Second post", "2026-11-10"),
	}
	eachSite(t, content, func(t *testing.T, s *site) {
		first, second := s.postID(t, "first-post"), s.postID(t, "second-post")
		old := s.store.Current()

		s.write(t, "posts/2026-11-30-third-post.md", post("Third post", "2026-11-30"))
		s.write(t, "posts/2026-11-10-second-post.md", post("Second post, revised", "2026-11-10"))
		s.remove(t, "posts/2026-11-01-first-post.md")
		if err := s.store.Reload(ctx); err != nil {
			t.Fatal(err)
		}

		now := s.store.Current()
		if got, want := slugs(now), []string{"third-post", "second-post"}; !slices.Equal(got, want) {
			t.Errorf("posts after reload = %v, want %v", got, want)
		}
		third := s.postID(t, "third-post")
		if third == first || third == second {
			t.Errorf("the new post reuses id %d", third)
		}
		if got := s.postID(t, "second-post"); got != second {
			t.Errorf("the changed post's id = %d, want %d (its row kept)", got, second)
		}
		if got := s.store.Title(second); got != "Second post, revised" {
			t.Errorf("Title of the changed post = %q", got)
		}
		if row, err := s.posts.FindPostBySlug(ctx, "second-post"); err != nil || row.Title != "Second post, revised" {
			t.Errorf("row of the changed post = %+v, %v; want the new title", row, err)
		}
		if id, ok := now.PostID("first-post"); ok {
			t.Errorf("the removed post still has id %d in the snapshot", id)
		}
		if got := s.store.Slug(first); got != "first-post" {
			t.Errorf("Slug of the removed post = %q; want it still known (its comments link to it)", got)
		}
		if got := s.store.Title(first); got != "first-post" {
			t.Errorf("Title of the removed post = %q; want its slug", got)
		}
		if _, err := s.posts.FindPostBySlug(ctx, "first-post"); err != nil {
			t.Errorf("the removed post's row: %v; want it kept with its comments", err)
		}
		if got := openSite(t, s.dir, s.posts).store.Slug(first); got != "first-post" {
			t.Errorf("after a restart, Slug of the removed post = %q; want it known from its row", got)
		}

		if got := slugs(old); !slices.Equal(got, []string{"second-post", "first-post"}) || old.Lib.Posts[0].Title != "Second post" {
			t.Errorf("the snapshot held before the reload changed: %v", got)
		}
		if id, ok := old.PostID("first-post"); !ok || id != first {
			t.Errorf("the old snapshot lost the removed post: %d, %v", id, ok)
		}

		s.write(t, "posts/2026-11-01-first-post.md", post("First post", "2026-11-01"))
		if err := s.store.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		if got := s.postID(t, "first-post"); got != first {
			t.Errorf("the returning post has id %d, want %d (its comments come back)", got, first)
		}

		s.write(t, "posts/2026-11-01-first-post.md", post("First post", "2026-11-01", "draft: true"))
		if err := s.store.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		if id, ok := s.store.Current().PostID("first-post"); ok || slices.Contains(slugs(s.store.Current()), "first-post") {
			t.Errorf("the post made a draft is still listed (id %d)", id)
		}
		if _, ok := s.store.Library().DraftBySlug("first-post"); !ok {
			t.Errorf("the post made a draft is not among the drafts")
		}
	})
}

// TestWatchSwapsInChanges proves Watch, on a real folder, swaps in a changed file, a new post and a removed one
// by itself, watches a folder created after it started, and returns when its context ends.
func TestWatchSwapsInChanges(t *testing.T) {
	s := sqliteSite(t, files(t, map[string]string{"posts/2026-11-01-first-post.md": post("First post", "2026-11-01")}))
	first := s.postID(t, "first-post")
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.store.Watch(wctx, s.dir) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Watch returned %v after its context ended, want nil", err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("Watch did not return within 30 s of its context ending")
		}
	})

	// Watch says nothing when it is watching, so the first change is written again every half second until it
	// shows: a write made before the watcher started would otherwise never be seen.
	changed := post("First post, changed", "2026-11-01")
	s.write(t, "posts/2026-11-01-first-post.md", changed)
	lastWrite := time.Now()
	waitFor(t, "the changed title", func() bool {
		if time.Since(lastWrite) > 500*time.Millisecond {
			s.write(t, "posts/2026-11-01-first-post.md", changed)
			lastWrite = time.Now()
		}
		return s.store.Title(first) == "First post, changed"
	})
	if p, ok := s.store.Library().PostBySlug("first-post"); !ok || !strings.Contains(string(p.HTML), "First post, changed") {
		t.Errorf("the post's text was not swapped in with its title: %+v", p)
	}

	s.write(t, "posts/2026-11-30-new-post.md", post("New post", "2026-11-30"))
	waitFor(t, "the new post", func() bool {
		_, ok := s.store.Current().PostID("new-post")
		return ok
	})
	s.remove(t, "posts/2026-11-01-first-post.md")
	waitFor(t, "the removed post to go", func() bool {
		_, ok := s.store.Current().PostID("first-post")
		return !ok
	})
	if got := slugs(s.store.Current()); !slices.Equal(got, []string{"new-post"}) {
		t.Errorf("posts = %v, want [new-post]", got)
	}
	if got := s.store.Slug(first); got != "first-post" {
		t.Errorf("Slug of the removed post = %q", got)
	}

	// A folder made after Watch started is watched from then on: its first file shows, then a change to it.
	s.write(t, "pages/about.md", "---\ntitle: About\n---\nWho writes here.\n")
	waitFor(t, "the page in a new folder", func() bool {
		_, ok := s.store.Library().PageBySlug("about")
		return ok
	})
	s.write(t, "pages/about.md", "---\ntitle: About me\n---\nWho writes here.\n")
	waitFor(t, "the changed page in the new folder", func() bool {
		p, _ := s.store.Library().PageBySlug("about")
		return p.Title == "About me"
	})
}

// waitFor polls cond until it holds, failing the test after a generous deadline (the README promises moments).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 15 s for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
