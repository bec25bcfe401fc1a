package database_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"blog/database"
	"blog/database/backups"
	"blog/database/schema"
)

// withUmask sets the process's umask for the length of the test: 022, the usual default, under which SQLite
// created every file 0644.
func withUmask(t *testing.T, mask int) {
	old := syscall.Umask(mask)
	t.Cleanup(func() { syscall.Umask(old) })
}

func wantMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != want {
		t.Errorf("%s: mode %v, want %v", filepath.Base(path), got, want)
	}
}

// The database, its log and its backups hold the site secret and the owner's password hash: only their owner
// may read them, whatever the umask, and a database made before (0644) is made private when opened.
func TestSQLiteFilesArePrivate(t *testing.T) {
	withUmask(t, 0o022)
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "blog.db")
	db, err := database.Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := schema.Up(ctx, db); err != nil {
		t.Fatal(err)
	}
	seedPost(t, db, "private")
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		wantMode(t, p, 0o600)
	}
	backup := filepath.Join(dir, "backup.db")
	if err := db.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}
	wantMode(t, backup, 0o600)
	if _, err := backups.InspectSnapshot(ctx, backup); err != nil {
		t.Fatalf("the backup written into the file made for it: %v", err)
	}
	if err := db.Backup(ctx, backup); err == nil {
		t.Fatal("a second backup over the first one: want a refusal")
	}
	db.Close()

	// A database (and a log left by a crash) from before: opened, they lose the group's and others' permissions.
	for _, p := range []string{backup, backup + "-wal"} {
		if p != backup {
			if err := os.WriteFile(p, nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old, err := database.OpenMode(ctx, "sqlite:"+backup, database.Existing)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	wantMode(t, backup, 0o600)
	wantMode(t, backup+"-wal", 0o600)
}
