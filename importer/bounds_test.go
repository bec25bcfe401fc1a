package importer_test

import (
	"bufio"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"blog/importer"
	"blog/importer/source"
	"blog/internal/dbtest"
)

// writeLines writes a file line by line from gen, which returns "" when done.
func writeLines(t *testing.T, name string, gen func(i int) string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	for i := 0; ; i++ {
		l := gen(i)
		if l == "" {
			break
		}
		w.WriteString(l)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return path
}

const remarkHeader = `{"version":1,"users":[],"posts":[]}`

// TestHeldThreadsAreBounded: a Disqus export whose threads would take more than MaxHeld to remember is refused
// at the thread that passes it, with what to know.
func TestHeldThreadsAreBounded(t *testing.T) {
	s := newSite(t, dbtest.SQLite(t))
	long := strings.Repeat("a", 2000)
	path := writeLines(t, "threads.xml", func(i int) string {
		switch {
		case i == 0:
			return `<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">`
		case i <= 9000:
			return fmt.Sprintf(`<thread dsq:id="%d"><link>https://old.example.com/%s/%d</link></thread>`, i, long, i)
		case i == 9001:
			return "</disqus>"
		}
		return ""
	})
	_, err := s.runOpts(t, importer.Options{From: "disqus", Path: path, DryRun: true, SkipInvalid: true})
	if err == nil || !strings.Contains(err.Error(), "the file lists more than 16 MiB of threads (") {
		t.Fatalf("%v", err)
	}
}

// TestWaitingRepliesAreBounded: replies that come before the comments they answer wait in memory, up to
// MaxWaitingBytes; a file that needs more is refused.
func TestWaitingRepliesAreBounded(t *testing.T) {
	s := newSite(t, dbtest.SQLite(t))
	body := strings.Repeat("word ", 600)
	n := importer.MaxWaitingBytes/len(body) + 10
	path := writeLines(t, "waiting.jsonl", func(i int) string {
		switch {
		case i == 0:
			return remarkHeader
		case i <= n:
			return fmt.Sprintf(`{"id":"r%d","pid":"p%d","orig":"%s","user":{"name":"R"},"locator":{"url":"/posts/hello-world"},"time":"2020-01-01T00:00:00Z"}`, i, i, body)
		}
		return ""
	})
	_, err := s.runOpts(t, importer.Options{From: "remark42", Path: path, DryRun: true})
	if err == nil || !strings.Contains(err.Error(), "come before the comments they answer") {
		t.Fatalf("%v", err)
	}
}

// TestReportListsAreBounded: a file can hold a new unmatched address, or a new malformed record, in every line;
// the report lists the first MaxListed and counts the rest.
func TestReportListsAreBounded(t *testing.T) {
	s := newSite(t, dbtest.SQLite(t))
	extra := 7
	path := writeLines(t, "many.jsonl", func(i int) string {
		switch {
		case i == 0:
			return remarkHeader
		case i <= importer.MaxListed+extra:
			return fmt.Sprintf(`{"id":"u%d","orig":"x","locator":{"url":"https://old.example.com/page-%d"},"time":"2020-01-01T00:00:00Z"}`, i, i)
		case i <= 2*(importer.MaxListed+extra):
			return fmt.Sprintf(`{"id":"b%d","time":"day %d"}`, i, i)
		}
		return ""
	})
	r, err := s.runOpts(t, importer.Options{From: "remark42", Path: path, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	out := printed(r)
	if len(r.Unmatched()) != importer.MaxListed || len(r.Bad()) != importer.MaxListed || r.Malformed != importer.MaxListed+extra ||
		!strings.Contains(out, fmt.Sprintf("unmatched threads (%d comments not imported)", importer.MaxListed+extra)) ||
		!strings.Contains(out, fmt.Sprintf("… and %d comments on other addresses (the first %d addresses are listed)", extra, importer.MaxListed)) ||
		!strings.Contains(out, fmt.Sprintf("… and %d more (the first %d are listed)", extra, importer.MaxListed)) {
		t.Fatalf("%d unmatched, %d listed malformed of %d\n%s", len(r.Unmatched()), len(r.Bad()), r.Malformed, out[len(out)-600:])
	}
}

// TestDeepQuotesAreFlattened: quotes nested past eight levels keep their text but not their depth, and a
// comment whose HTML goes on far past what the Markdown can keep is cut before it is converted.
func TestDeepQuotesAreFlattened(t *testing.T) {
	s := newSite(t, dbtest.SQLite(t))
	deep := strings.Repeat("<blockquote>", 12) + "deep words" + strings.Repeat("</blockquote>", 12) + "<p>after</p>"
	long := "<p>" + strings.Repeat("many words ", 30000) + "</p>"
	path := writeLines(t, "deep.jsonl", func(i int) string {
		switch i {
		case 0:
			return remarkHeader
		case 1, 2:
			text := deep
			if i == 2 {
				text = long
			}
			return fmt.Sprintf(`{"id":"q%d","text":%q,"user":{"name":"Q"},"locator":{"url":"/posts/hello-world"},"time":"2020-01-01T00:00:0%dZ"}`, i, text, i)
		}
		return ""
	})
	r, err := s.runOpts(t, importer.Options{From: "remark42", Path: path})
	if err != nil || r.Imported != 2 {
		t.Fatalf("%v\n%s", err, printed(r))
	}
	cs := s.all(t, "hello-world")
	quoted := byBody(t, cs, "deep words")
	if !strings.HasPrefix(quoted.Body, strings.Repeat("> ", 8)+"deep words") || strings.HasPrefix(quoted.Body, strings.Repeat("> ", 9)) ||
		!strings.HasSuffix(quoted.Body, "after") {
		t.Fatalf("nested quotes: %q", quoted.Body)
	}
	cut := byBody(t, cs, "many words")
	if n := len([]rune(cut.Body)); n != source.MaxImportedBody || !strings.HasSuffix(cut.Body, "…") {
		t.Fatalf("long comment: %d characters", n)
	}
	if r.Notes()[fmt.Sprintf("longer than %d characters: cut", source.MaxImportedBody)] != 1 {
		t.Fatalf("notes: %v", r.Notes())
	}
}

// TestIssoValuesAreBounded: through the importer, an Isso row with a value over MaxRecord is a malformed record
// (listed with its id, passed over with SkipInvalid), and a thread whose address is too long skips its comments.
func TestIssoValuesAreBounded(t *testing.T) {
	s := newSite(t, dbtest.SQLite(t))
	path := filepath.Join(t.TempDir(), "comments.db")
	schema, _ := os.ReadFile("testdata/isso.sql")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{string(schema),
		`INSERT INTO threads VALUES (3, '/' || printf('%.*c', 3000, 'p'), 'Long')`,
		`INSERT INTO comments VALUES (1, 7, NULL, 1546301400.0, NULL, 1, '', printf('%.*c', 2000000, 'x'), 'Big', NULL, NULL, 0, 0, x'00', 0)`,
		`INSERT INTO comments VALUES (3, 8, NULL, 1546301500.0, NULL, 1, '', 'On the long thread', 'Ada', NULL, NULL, 0, 0, x'00', 0)`} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	if _, err := s.runOpts(t, importer.Options{From: "isso", Path: path}); err == nil ||
		!strings.Contains(err.Error(), "1 record is malformed (first at comment id 7: its text is 2000000 bytes, longer than 1048576)") {
		t.Fatalf("%v", err)
	}
	r, err := s.runOpts(t, importer.Options{From: "isso", Path: path, SkipInvalid: true})
	if err != nil || r.Imported != 6 || r.Skipped()["the address of its thread is longer than 2048 bytes"] != 1 {
		t.Fatalf("%v\n%s", err, printed(r))
	}
}
