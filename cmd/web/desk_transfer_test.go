package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"blog/content"
	"blog/desk"
	"blog/internal/dbtest"
	"blog/repo/writing"
)

// TestPostsExportImportRoundTrip writes posts in the desk (published, with every front-matter field, code and
// text in several scripts; a draft without a date; a scheduled one; a deleted one), exports them with `web posts
// export DIR`, reads that folder as CONTENT_DIR would (the published posts served as the desk serves them, the
// draft and the scheduled post as drafts), imports it with `web posts import DIR` into an empty database, and
// exports again: the files are the same, byte for byte. An import with one bad file imports nothing. On SQLite
// and PostgreSQL.
func TestPostsExportImportRoundTrip(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			url := func() string {
				if kind == "sqlite" {
					return dbtest.SQLiteURL(t)
				}
				return dbtest.PostgresURL(t)
			}
			ctx := context.Background()
			from := url()
			db := dbtest.Open(t, from, true)
			d := &desk.Service{Store: writing.New(db)}
			write := func(in desk.Input) writing.Writing {
				t.Helper()
				w, errs, err := d.Create(ctx, in)
				if err != nil {
					t.Fatalf("create %q: %v %v", in.Title, errs, err)
				}
				return w
			}
			pub := write(desk.Input{Title: "Ünïcode: 日本語 and “quotes” — a test", Date: "2026-11-03T09:30", Summary: "A summary: with a colon # and a hash.",
				Tags: "go, Notes, web dev", Image: "card.png", Comments: "closed",
				Body: "Intro with **bold**.\n\n```go {linenos=table}\nfunc main() { fmt.Println(\"hi\") }\n```\n\n---\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"})
			if _, errs, err := d.Publish(ctx, pub.ID, nil); err != nil {
				t.Fatalf("publish: %v %v", errs, err)
			}
			write(desk.Input{Title: "A draft", Body: "Not yet.\n"})
			sched := write(desk.Input{Title: "Later", Date: "2030-01-02", Body: "Soon.\n"})
			at := time.Date(2030, 1, 2, 8, 0, 0, 0, time.UTC)
			if _, errs, err := d.Publish(ctx, sched.ID, &at); err != nil {
				t.Fatalf("schedule: %v %v", errs, err)
			}
			page := write(desk.Input{Title: "About the desk", Kind: writing.KindPage, Order: "3", Body: "A page written here.\n"})
			if _, errs, err := d.Publish(ctx, page.ID, nil); err != nil {
				t.Fatalf("publish the page: %v %v", errs, err)
			}
			gone := write(desk.Input{Title: "Deleted", Body: "Gone.\n"})
			if _, err := d.Delete(ctx, gone.ID); err != nil {
				t.Fatal(err)
			}
			db.Close()

			dir := t.TempDir()
			posts := func(dbURL string, args ...string) string {
				t.Helper()
				var out bytes.Buffer
				env := map[string]string{"DATABASE_URL": dbURL}
				if err := run(ctx, append([]string{"posts"}, args...), envFunc(env), strings.NewReader(""), &out, io.Discard); err != nil {
					t.Fatalf("web posts %v: %v\n%s", args, err, out.String())
				}
				return out.String()
			}
			posts(from, "export", dir)
			first := readTree(t, dir)
			if len(first) != 4 {
				t.Fatalf("exported %d files, want 4 (not the deleted post): %v", len(first), keys(first))
			}

			// The folder as CONTENT_DIR reads it.
			lib, err := content.Load(os.DirFS(dir))
			if err != nil || len(lib.Problems) > 0 {
				t.Fatalf("the exported folder does not load: %v %v", err, lib.Problems)
			}
			if len(lib.Posts) != 1 || len(lib.Drafts) != 2 {
				t.Fatalf("CONTENT_DIR reads %d posts and %d drafts, want 1 and 2", len(lib.Posts), len(lib.Drafts))
			}
			if pg, ok := lib.PageBySlug("about-the-desk"); !ok || pg.Order != 3 || !strings.Contains(string(pg.HTML), "A page written here.") {
				t.Fatalf("the exported page reads back as %+v", pg)
			}
			p := lib.Posts[0]
			if p.Title != "Ünïcode: 日本語 and “quotes” — a test" || !p.CommentsClosed || p.Image != "card.png" ||
				strings.Join(p.Tags, "|") != "go|Notes|web dev" || !p.Date.Equal(time.Date(2026, 11, 3, 9, 30, 0, 0, time.UTC)) ||
				!strings.Contains(string(p.HTML), `class="chroma"`) {
				t.Fatalf("the exported post reads back as %+v", p)
			}

			to := url()
			dbtest.Open(t, to, true).Close()
			posts(to, "import", dir)
			again := t.TempDir()
			posts(to, "export", again)
			second := readTree(t, again)
			for name, src := range first {
				if second[name] != src {
					t.Errorf("%s after a round trip:\n%s\nwant:\n%s", name, second[name], src)
				}
			}
			if len(second) != len(first) {
				t.Errorf("files after a round trip: %v, want %v", keys(second), keys(first))
			}

			// One bad file: nothing imported.
			bad := t.TempDir()
			writeTreeFile(t, bad, "posts/2026-12-01-fine.md", "---\ntitle: Fine\ndate: 2026-12-01\n---\nFine.\n")
			writeTreeFile(t, bad, "posts/2026-12-02-broken.md", "---\ntitle: [unclosed\n---\nBroken.\n")
			var out bytes.Buffer
			err = run(ctx, []string{"posts", "import", bad}, envFunc(map[string]string{"DATABASE_URL": to}), strings.NewReader(""), &out, io.Discard)
			if err == nil || !strings.Contains(err.Error(), "broken.md") || !strings.Contains(err.Error(), "nothing imported") {
				t.Fatalf("import of a bad file: %v", err)
			}
			check := dbtest.Open(t, to, false)
			if _, err := writing.New(check).FindBySlug(ctx, writing.KindPost, "fine"); err == nil {
				t.Fatal("an import with a bad file imported the good one")
			}
		})
	}
}

func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func writeTreeFile(t *testing.T, dir, name, text string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
