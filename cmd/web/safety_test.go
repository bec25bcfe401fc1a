package main

import (
	"context"
	"database/sql"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"blog/internal/dbtest"
)

// TestNoDestructiveCommandWhileServing: restore and migrate down refuse while a server has the database open,
// and change nothing.
func TestNoDestructiveCommandWhileServing(t *testing.T) {
	dbURL := dbtest.SQLiteURL(t)
	env := map[string]string{"DATABASE_URL": dbURL}
	base, _ := startServer(t, env)
	newVisitor(t).comment(t, base, "hello-world", "Ann", "ann@example.com", "acknowledged")
	snap := filepath.Join(t.TempDir(), "snap.db")
	if err := run(context.Background(), []string{"backup", snap}, envFunc(env), strings.NewReader(""), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"restore", snap}, {"migrate", "down"}, {"migrate", "down", "--force"}} {
		err := run(context.Background(), args, envFunc(env), strings.NewReader(""), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "in use") {
			t.Errorf("web %s while serving: %v; want a refusal", strings.Join(args, " "), err)
		}
	}
	resp := newVisitor(t).comment(t, base, "hello-world", "Bob", "bob@example.com", "still acknowledged")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("comment after the refusals: %d", resp.StatusCode)
	}
	if page := okBody(t, base+"/posts/hello-world"); !strings.Contains(page, "still acknowledged") || !strings.Contains(page, ">acknowledged<") {
		t.Fatal("the server lost comments")
	}
}

// TestRestoreRefusesForeignSnapshots: a snapshot of a newer schema, a file with a bare comments table, or not a
// database at all is refused before anything is replaced.
func TestRestoreRefusesForeignSnapshots(t *testing.T) {
	dir := t.TempDir()
	dbURL := "sqlite:" + filepath.Join(dir, "blog.db")
	env := map[string]string{"DATABASE_URL": dbURL}
	if err := run(context.Background(), []string{"migrate", "up"}, envFunc(env), strings.NewReader(""), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	newer := filepath.Join(dir, "newer.db")
	if err := run(context.Background(), []string{"backup", newer}, envFunc(env), strings.NewReader(""), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	exec := func(path, stmt string) {
		db, err := sql.Open("sqlite", "file:"+path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	exec(newer, `INSERT INTO rel_schema_versions (version, created_at, updated_at) VALUES (29990101000000, '2026-01-01', '2026-01-01')`)
	bare := filepath.Join(dir, "bare.db")
	exec(bare, `CREATE TABLE comments (id INTEGER PRIMARY KEY, body TEXT)`)
	junk := filepath.Join(dir, "junk.db")
	os.WriteFile(junk, []byte("not a database at all, just some text"), 0o600)
	before, _ := os.ReadFile(filepath.Join(dir, "blog.db"))
	for file, want := range map[string]string{newer: "does not know", bare: "not a database of this blog", junk: "not a sound database"} {
		err := run(context.Background(), []string{"restore", file}, envFunc(env), strings.NewReader(""), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("restore %s: %v; want %q", filepath.Base(file), err, want)
		}
	}
	after, _ := os.ReadFile(filepath.Join(dir, "blog.db"))
	if string(before) != string(after) {
		t.Fatal("a refused restore changed the database")
	}
}

// TestDeletedOrReplacedDatabaseStopsAcknowledging: once the database file is deleted (or another file takes its
// place) under a running server, comments get 503 and /readyz fails, instead of being written where nobody will
// read them again.
func TestDeletedOrReplacedDatabaseStopsAcknowledging(t *testing.T) {
	for _, how := range []string{"deleted", "replaced"} {
		t.Run(how, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "blog.db")
			base, _ := startServer(t, map[string]string{"DATABASE_URL": "sqlite:" + path})
			if resp := newVisitor(t).comment(t, base, "hello-world", "Ann", "ann@example.com", "before"); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("comment: %d", resp.StatusCode)
			}
			switch how {
			case "deleted":
				os.Remove(path)
			case "replaced":
				os.WriteFile(filepath.Join(dir, "other.db"), []byte{}, 0o600)
				os.Rename(filepath.Join(dir, "other.db"), path)
			}
			resp := newVisitor(t).comment(t, base, "hello-world", "Bob", "bob@example.com", "after")
			if resp.StatusCode != http.StatusServiceUnavailable {
				t.Fatalf("comment after the file was %s: %d, want 503", how, resp.StatusCode)
			}
			if status, _ := get(t, base+"/readyz"); status != http.StatusServiceUnavailable {
				t.Fatalf("/readyz after the file was %s: %d, want 503", how, status)
			}
			// A read (the list a page reloads, asked past what the instance holds) is served from the file still
			// open, or, on a connection that opened the new file, refused like a write: never a 500.
			for range 20 {
				if status, _ := get(t, base+"/posts/hello-world/comments/fresh?min=999"); status != http.StatusOK && status != http.StatusServiceUnavailable {
					t.Fatalf("a read after the file was %s: %d, want 200 or 503", how, status)
				}
			}
		})
	}
}

// TestMediaStaysInsideTheContentFolder: a symbolic link in the media folder that leads outside it (to the
// database, say) is not followed, and a file over the size cap is not served; an ordinary image is.
func TestMediaStaysInsideTheContentFolder(t *testing.T) {
	dir := t.TempDir()
	contentDir := filepath.Join(dir, "content")
	for _, d := range []string{"posts", "pages", "media"} {
		os.MkdirAll(filepath.Join(contentDir, d), 0o755)
	}
	os.WriteFile(filepath.Join(contentDir, "posts", "2026-11-01-p.md"), []byte("---\ntitle: P\ndate: 2026-11-01\n---\nHi."), 0o644)
	os.WriteFile(filepath.Join(contentDir, "media", "ok.png"), []byte("\x89PNG\r\n\x1a\nfake image"), 0o644)
	dbPath := filepath.Join(dir, "blog.db")
	os.Symlink(dbPath, filepath.Join(contentDir, "media", "db.png"))
	os.Symlink("/etc/hostname", filepath.Join(contentDir, "media", "host.png"))
	big, _ := os.Create(filepath.Join(contentDir, "media", "big.png"))
	big.Truncate(21 << 20)
	big.Close()
	base, _ := startServer(t, map[string]string{"DATABASE_URL": "sqlite:" + dbPath, "CONTENT_DIR": contentDir})
	for path, want := range map[string]int{"/media/ok.png": 200, "/media/db.png": 404, "/media/host.png": 404, "/media/big.png": 404} {
		status, body := get(t, base+path)
		if status != want {
			t.Errorf("%s: %d, want %d", path, status, want)
		}
		if strings.Contains(body, "SQLite format") {
			t.Errorf("%s served the database", path)
		}
	}
}
