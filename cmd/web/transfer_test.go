package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"blog/internal/dbtest"
)

// TestImportAndExportCommands runs the commands as an operator types them, while the blog serves: a dry run
// writes nothing, the import reaches the open page live and passes the blog's spam rules, a second import adds
// nothing, the export never overwrites a file and restores into a new blog.
func TestImportAndExportCommands(t *testing.T) {
	env := map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t), "SPAM_WORDS": "marche"}
	p := startProc(t, env)
	page := okBody(t, p.base+"/posts/hello-world")
	m := seqInPage.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no stream address in the page")
	}
	lines := streamLines(t, p.base+"/posts/hello-world/events?after="+m[1])
	disqus, _ := filepath.Abs("../../importer/testdata/disqus.xml")
	mapFile, _ := filepath.Abs("../../importer/testdata/map.txt")

	out, err := webCmd(t, env, "", "import", "--from", "disqus", disqus, "--dry-run")
	if err != nil || !strings.Contains(out, "Dry run, nothing was written") || !strings.Contains(out, "would import 6 comments") ||
		!strings.Contains(out, "held by this blog's rules (a ban, too many links, a listed word): 1 ") {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	if strings.Contains(okBody(t, p.base+"/posts/hello-world"), "First!") {
		t.Fatal("the dry run wrote a comment")
	}
	start := time.Now()
	out, err = webCmd(t, env, "", "import", "--from", "disqus", disqus, "--map", mapFile)
	if err != nil || !strings.Contains(out, "imported 7 comments on 2 posts") {
		t.Fatalf("import: %v\n%s", err, out)
	}
	waitLine(t, lines, "First! The", 30*time.Second)
	t.Logf("imported comments reached the open stream %v after the command started", time.Since(start).Round(time.Millisecond))
	if page := okBody(t, p.base+"/posts/hello-world"); !strings.Contains(page, `<a href="https://example.org/page" rel="ugc nofollow noopener"`) ||
		strings.Contains(page, "watches") || strings.Contains(page, "regret") || strings.Contains(page, "Ça marche") {
		t.Fatal("the imported comments are not shown as they should be (link kept; spam, deleted and held by SPAM_WORDS hidden)")
	}
	if out, err := webCmd(t, env, "", "import", "--from", "disqus", disqus, "--map", mapFile); err != nil || !strings.Contains(out, "imported 0 comments") ||
		!strings.Contains(out, "already imported before: 7") {
		t.Fatalf("second import: %v\n%s", err, out)
	}
	// Refusals say what and where, and change nothing.
	bad := filepath.Join(t.TempDir(), "bad.xml")
	os.WriteFile(bad, []byte("<disqus><post><message>cut"), 0o600)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"import", "--from", "disqus", bad}, "cut short"},
		{[]string{"import", "--from", "blogger", disqus}, "use one of blog, commento, disqus, isso, remark42, wordpress"},
		{[]string{"import", "--from", "disqus", "/nonexistent.xml"}, "not a file"},
		{[]string{"import", disqus}, "usage: web import"},
		{[]string{"import", "--from", "disqus", disqus, "--map", bad}, "line 1"},
	} {
		out, err := webCmd(t, env, "", tt.args...)
		if err == nil || !strings.Contains(out, tt.want) {
			t.Errorf("web %s: %v\n%s\nwant a refusal with %q", strings.Join(tt.args, " "), err, out, tt.want)
		}
	}

	dir := t.TempDir()
	file := filepath.Join(dir, "blog.jsonl")
	out, err = webCmd(t, env, "", "export", file)
	if err != nil || !regexp.MustCompile(`exported 7 comments, 5 commenters, 3 posts and 0 bans to `).MatchString(out) {
		t.Fatalf("export: %v\n%s", err, out)
	}
	before, _ := os.ReadFile(file)
	if out, err := webCmd(t, env, "", "export", file); err == nil || !strings.Contains(out, "already exists") {
		t.Fatalf("export over a file: %v\n%s", err, out)
	}
	if after, _ := os.ReadFile(file); string(after) != string(before) {
		t.Fatal("a refused export changed the file")
	}
	if st, _ := os.Stat(file); st.Mode().Perm() != 0o600 {
		t.Fatalf("the export (emails, address hashes) is readable by others: %v", st.Mode())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("the export left temporary files: %v", entries)
	}
	// Into a new blog: migrate, import, and the comments are there.
	env2 := map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t)}
	if out, err := webCmd(t, env2, "", "migrate", "up"); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	if out, err := webCmd(t, env2, "", "import", "--from", "blog", file); err != nil || !strings.Contains(out, "imported 7 comments") {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	file2 := filepath.Join(dir, "again.jsonl")
	webCmd(t, env2, "", "export", file2)
	again, _ := os.ReadFile(file2)
	if withoutTime(string(again)) != withoutTime(string(before)) {
		t.Fatal("export, import into a new blog, export: the files differ")
	}
}

var exportedAt = regexp.MustCompile(`"exported_at":"[^"]*"`)

func withoutTime(s string) string { return exportedAt.ReplaceAllString(s, "") }
