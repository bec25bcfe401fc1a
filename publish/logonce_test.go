package publish_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A skipped file is logged once per change of it: reloads caused by other files do not log it again; saving
// it again (still bad), or fixing it and breaking it again, does.
func TestSkippedFileIsLoggedOncePerChange(t *testing.T) {
	const bad = "posts/2026-11-20-undated.md"
	s := sqliteSite(t, files(t, map[string]string{
		"posts/2026-11-01-good-post.md": post("Good post", "2026-11-01"),
		bad:                             "---\ntitle: Undated\n---\nText.\n",
	}))
	logged := func() int { return strings.Count(s.log.String(), "content: file skipped") }
	reload := func() {
		t.Helper()
		if err := s.store.Reload(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// touch gives the bad file a later modification time, as a save by an editor does.
	step := time.Now()
	touch := func() {
		t.Helper()
		step = step.Add(time.Second)
		if err := os.Chtimes(filepath.Join(s.dir, filepath.FromSlash(bad)), step, step); err != nil {
			t.Fatal(err)
		}
	}
	if n := logged(); n != 1 {
		t.Fatalf("after opening: %d log lines, want 1:\n%s", n, s.log)
	}
	for i := range 3 {
		s.write(t, fmt.Sprintf("posts/2026-11-0%d-other-%d.md", i+2, i), post(fmt.Sprint("Other ", i), "2026-11-02"))
		reload()
	}
	reload()
	if n := logged(); n != 1 {
		t.Fatalf("after reloads for other files: %d log lines, want still 1:\n%s", n, s.log)
	}
	s.write(t, bad, "---\ntitle: Undated, still\n---\nText.\n")
	touch()
	reload()
	if n := logged(); n != 2 {
		t.Fatalf("after saving the bad file again: %d log lines, want 2", n)
	}
	s.write(t, bad, post("Dated now", "2026-11-20"))
	reload()
	s.write(t, bad, "---\ntitle: Undated again\n---\nText.\n")
	touch()
	reload()
	if n := logged(); n != 3 {
		t.Fatalf("after fixing and breaking it again: %d log lines, want 3", n)
	}
	if got := s.store.Problems(); len(got) != 1 || !strings.HasPrefix(got[0], bad) {
		t.Fatalf("Problems() = %q; the console still lists the file at every load", got)
	}
}
