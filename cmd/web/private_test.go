package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// TestDatabaseFilesArePrivate: with the usual umask (022), the database the server creates, its log, a backup
// written by `web backup` and the one written before a destructive rollback are readable by their owner only:
// they hold the site secret and the owner's password hash.
func TestDatabaseFilesArePrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := t.TempDir()
	path := filepath.Join(dir, "blog.db")
	env := map[string]string{"DATABASE_URL": "sqlite:" + path}
	private := func(p string) {
		t.Helper()
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if mode := st.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s: mode %v, want -rw-------", filepath.Base(p), mode)
		}
	}
	cli := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		if err := run(context.Background(), args, envFunc(env), strings.NewReader(""), &out, io.Discard); err != nil {
			t.Fatalf("web %s: %v\n%s", strings.Join(args, " "), err, out.String())
		}
		return out.String()
	}

	base, stop := startServer(t, env)
	if resp := newVisitor(t).comment(t, base, "hello-world", "Ann", "ann@example.com", "Private"); resp.StatusCode != 303 {
		t.Fatalf("comment: status %d", resp.StatusCode)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		private(p)
	}
	cli("backup", filepath.Join(dir, "backup.db"))
	private(filepath.Join(dir, "backup.db"))
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	// Roll back until a rollback destroys data (the comment's): a backup is written first.
	backupLine := regexp.MustCompile(`backup written to (\S+)`)
	for {
		out := cli("migrate", "down", "--force")
		if m := backupLine.FindStringSubmatch(out); m != nil {
			private(m[1])
			break
		}
		if strings.Contains(out, "nothing to roll back") {
			t.Fatal("no rollback wrote a backup")
		}
	}
}
