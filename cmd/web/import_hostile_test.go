package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"blog/internal/dbtest"
)

// peakBudgetMiB is the most memory an import may take, whatever the file: the kernel's count of the process's
// peak resident memory.
const peakBudgetMiB = 200

// importPeak runs the program's run() with these arguments in a process of its own (this test binary started
// again, running TestImportProcess) and returns its output, whether it failed, and its peak resident memory in
// MiB as the kernel counts it: the process's VmHWM, which exec starts afresh. (wait4's Maxrss would not do:
// Linux counts in it the peak of the process that started the child, here the test binary with everything the
// other tests did.) A process past 400 MiB is killed, as is one still running after three minutes, so that a
// regression fails the test instead of taking the machine with it.
func importPeak(t *testing.T, env map[string]string, args ...string) (string, float64, error) {
	t.Helper()
	// A deadline only for an import that never ends: the largest here takes 40 s on a quiet machine and took
	// over 3 minutes with two fresh-clone runs and two cold builds sharing its two cores.
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestImportProcess$", "-test.count=1")
	encoded, _ := json.Marshal(args)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "BLOG_IMPORT_ARGS=" + string(encoded)}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var killed atomic.Int64
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if rss := residentMiB(cmd.Process.Pid, "VmRSS:"); rss > 400 {
					killed.Store(int64(rss))
					cmd.Process.Kill()
					return
				}
			}
		}
	}()
	werr := cmd.Wait()
	close(done)
	switch {
	case killed.Load() > 0:
		return buf.String(), float64(killed.Load()), fmt.Errorf("killed at %d MiB resident", killed.Load())
	case ctx.Err() != nil:
		return buf.String(), 0, errors.New("still running after 15 minutes: killed")
	}
	out, rest, ok := strings.Cut(buf.String(), importMark)
	var kib, code int
	if _, err := fmt.Sscanf(rest, "%d %d", &kib, &code); !ok || err != nil {
		t.Fatalf("the import process ended (%v) without its figures:\n%s", werr, buf.String())
	}
	if code != 0 {
		return out, float64(kib) / 1024, fmt.Errorf("exit status %d", code)
	}
	return out, float64(kib) / 1024, nil
}

// importMark precedes, in TestImportProcess's output, its peak resident memory in KiB and its exit status.
const importMark = "\nimport-process-peak-kib-and-status: "

// TestImportProcess is not a test of its own: importPeak starts the test binary again to run it. It runs the
// program as main does, with the arguments in BLOG_IMPORT_ARGS, and prints after its output the process's peak
// resident memory and its exit status.
func TestImportProcess(t *testing.T) {
	var args []string
	if err := json.Unmarshal([]byte(os.Getenv("BLOG_IMPORT_ARGS")), &args); err != nil {
		t.Skip("run by importPeak in a process of its own")
	}
	err := run(context.Background(), args, os.Getenv, strings.NewReader(""), os.Stdout, os.Stderr)
	code := 0
	if err != nil {
		fmt.Fprintln(os.Stdout, "web:", err)
		code = 1
	}
	fmt.Printf("%s%d %d\n", importMark, residentKiB(os.Getpid(), "VmHWM:"), code)
}

// residentMiB reads a process's memory figure (VmRSS:, VmHWM:) from /proc, in MiB.
func residentMiB(pid int, field string) int { return residentKiB(pid, field) / 1024 }

func residentKiB(pid int, field string) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == field {
			kb, _ := strconv.Atoi(f[1])
			return kb
		}
	}
	return 0
}

// fileWith writes a file from parts, each written times[i] times (1 when missing), through gzip when zip is set.
func fileWith(t *testing.T, path string, zip bool, parts []string, times ...int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	var w io.Writer = bw
	var gz *gzip.Writer
	if zip {
		gz, _ = gzip.NewWriterLevel(bw, gzip.BestSpeed)
		w = gz
	}
	for i, p := range parts {
		n := 1
		if i < len(times) && times[i] > 0 {
			n = times[i]
		}
		for range n {
			if _, err := io.WriteString(w, p); err != nil {
				t.Fatal(err)
			}
		}
	}
	if gz != nil {
		if err := gz.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
}

// sqliteWith writes a SQLite file built by these statements.
func sqliteWith(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

const (
	mib         = 1 << 20
	dsqOpen     = `<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">` + "\n" + `<thread dsq:id="1"><link>https://old.example.com/posts/hello-world/</link></thread>` + "\n"
	dsqPostHead = `<post dsq:id="7"><createdAt>2016-03-02T10:00:00Z</createdAt><author><email>a@example.com</email><name>A</name></author><thread dsq:id="1"/><message><![CDATA[`
	dsqPostTail = "]]></message></post>\n</disqus>\n"
	issoThreads = `CREATE TABLE threads (id INTEGER PRIMARY KEY, uri VARCHAR(256) UNIQUE, title VARCHAR(256))`
	issoTable   = `CREATE TABLE comments (tid INTEGER, id INTEGER PRIMARY KEY, parent INTEGER, created FLOAT, mode INTEGER, author TEXT, email TEXT, text TEXT)`
	issoView    = `CREATE VIEW comments AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n%s)
		SELECT i AS id, 1 AS tid, NULL AS parent, 1.0 AS created, 1 AS mode, %s AS text, 'a' AS author, 'a@b.c' AS email FROM n`
)

// TestHostileImportsStayBounded runs the program's `web import --dry-run` on files made to exhaust an importer: a
// gzip bomb, SQLite files whose tables are views (one endless, one building 500 MB texts) or compute columns,
// records of hundreds of megabytes in every format, a quote nested 500 deep. Each is refused or read within its
// bounds with a clear message, and the process's peak memory stays under 200 MiB.
func TestHostileImportsStayBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes files of hundreds of megabytes")
	}
	t.Parallel()
	env := map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t)}
	if out, err := webCmd(t, env, "", "migrate", "up"); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	dir := t.TempDir()
	for _, tt := range []struct {
		name, from string
		write      func(t *testing.T, path string)
		ok         bool
		want       string
	}{
		{"remark42 gzip bomb (1 line of 256 MiB in 250 KB)", "remark42", func(t *testing.T, p string) {
			fileWith(t, p, true, []string{`{"version":1,"users":[],"posts":[]}` + "\n" + `{"id":"1","text":"`, strings.Repeat("A", mib), "\"}\n"}, 1, 256)
		}, true, "line 2: longer than 1 MiB"},
		{"remark42 unpacking past 1 GiB", "remark42", func(t *testing.T, p string) {
			fileWith(t, p, true, []string{`{"version":1,"users":[],"posts":[]}` + "\n", strings.Repeat(" ", mib/2) + "\n"}, 1, 2*1024+8)
		}, false, "the backup unpacks to more than 1 GiB"},
		{"isso endless view", "isso", func(t *testing.T, p string) {
			sqliteWith(t, p, issoThreads, fmt.Sprintf(issoView, "", "'x'"))
		}, false, `not an Isso database: "comments" is a view, not a table`},
		{"isso view of 500 MB texts", "isso", func(t *testing.T, p string) {
			sqliteWith(t, p, issoThreads, fmt.Sprintf(issoView, " WHERE i < 20", "printf('%.*c', 500000000, 'x')"))
		}, false, `not an Isso database: "comments" is a view, not a table`},
		{"isso generated column of 150 MB", "isso", func(t *testing.T, p string) {
			sqliteWith(t, p, issoThreads, `CREATE TABLE comments (tid INTEGER, id INTEGER PRIMARY KEY, parent INTEGER, created FLOAT, mode INTEGER, author TEXT, email TEXT)`,
				`INSERT INTO threads VALUES (1, '/posts/hello-world', 'Hello')`, `INSERT INTO comments VALUES (1, 1, NULL, 1.0, 1, 'a', 'a@b.c')`,
				`ALTER TABLE comments ADD COLUMN text TEXT GENERATED ALWAYS AS (printf('%.*c', 150000000, 'x')) VIRTUAL`)
		}, false, "not an Isso database: column comments.text is generated"},
		{"isso row with a 120 MB text", "isso", func(t *testing.T, p string) {
			// A zero blob last in its row is written without being built in memory (here, in the test's process).
			sqliteWith(t, p, issoThreads, issoTable, `INSERT INTO threads VALUES (1, '/posts/hello-world', 'Hello')`,
				`INSERT INTO comments VALUES (1, 1, NULL, 1.0, 1, 'a', 'a@b.c', zeroblob(120000000))`,
				`INSERT INTO comments VALUES (1, 2, NULL, 2.0, 1, 'b', 'b@b.c', 'fine')`)
		}, true, "comment id 1: its text is 120000000 bytes, longer than 1048576"},
		{"disqus message of 200 MiB", "disqus", func(t *testing.T, p string) {
			fileWith(t, p, false, []string{dsqOpen + dsqPostHead, strings.Repeat("<p>", mib/3), dsqPostTail}, 1, 200)
		}, true, "line 4: <post> is longer than 1 MiB"},
		{"disqus quote nested 500 deep", "disqus", func(t *testing.T, p string) {
			fileWith(t, p, false, []string{dsqOpen + dsqPostHead, "<blockquote>", "l<br>", dsqPostTail}, 1, 500, 150_000)
		}, true, "would import 1 comments"},
		{"wordpress comment of 200 MiB", "wordpress", func(t *testing.T, p string) {
			fileWith(t, p, false, []string{`<rss><channel><item><link>https://old.example.com/posts/hello-world/</link>` +
				"\n<wp:comment><wp:comment_id>1</wp:comment_id><wp:comment_content><![CDATA[", strings.Repeat("w", mib),
				"]]></wp:comment_content></wp:comment></item></channel></rss>\n"}, 1, 200)
		}, true, "line 2: <wp:comment> is longer than 1 MiB"},
		{"commento value of 200 MiB", "commento", func(t *testing.T, p string) {
			fileWith(t, p, false, []string{`{"version": 1, "commenters": [], "comments": [{"commentHex": "a1", "markdown": "`,
				strings.Repeat("c", mib), `"}]}`}, 1, 200)
		}, false, "a value longer than 1 MiB"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, "hostile")
			tt.write(t, path)
			defer os.Remove(path)
			st, _ := os.Stat(path)
			out, peak, err := importPeak(t, env, "import", "--from", tt.from, path, "--dry-run")
			t.Logf("%s: file %.1f MiB, peak %.1f MiB", tt.name, float64(st.Size())/mib, peak)
			if (err == nil) != tt.ok || !strings.Contains(out, tt.want) {
				t.Errorf("exit %v, want success %v and %q in:\n%.2000s", err, tt.ok, tt.want, out)
			}
			if peak >= peakBudgetMiB {
				t.Errorf("peak resident memory %.1f MiB, budget %d MiB", peak, peakBudgetMiB)
			}
		})
	}
}

// TestImportAtItsBoundsStaysUnder200MiB imports a Disqus export that fills every bound at once: as many threads as
// are kept (16 MiB of 2 KB addresses), as many waiting replies (16 MiB), and past 500,000 comments, each by a
// new commenter. It is refused at the 500,001st comment, and the process never holds more than 200 MiB.
func TestImportAtItsBoundsStaysUnder200MiB(t *testing.T) {
	if testing.Short() {
		t.Skip("reads half a million comments")
	}
	t.Parallel()
	env := map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t)}
	if out, err := webCmd(t, env, "", "migrate", "up"); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	path := filepath.Join(t.TempDir(), "worst.xml")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, mib)
	w.WriteString(dsqOpen)
	pad := strings.Repeat("p", 1950)
	const threads, waiting, comments = 7500, 12_000, 500_001
	for i := range threads {
		fmt.Fprintf(w, "<thread dsq:id=\"t%d\"><link>https://old.example.com/%s/%d</link></thread>\n", i, pad, i)
	}
	body := strings.Repeat("word ", 200)
	for i := 1; i <= comments; i++ {
		msg, parent := fmt.Sprintf("<p>Comment %d</p>", i), ""
		if i <= waiting {
			msg, parent = "<p>"+body+"</p>", fmt.Sprintf(`<parent dsq:id="%d"/>`, comments-i)
		}
		fmt.Fprintf(w, "<post dsq:id=\"%d\"><message><![CDATA[%s]]></message><createdAt>2016-03-02T10:00:00Z</createdAt>"+
			"<author><email>reader%d@example.com</email><name>Reader %d</name></author><thread dsq:id=\"1\"/>%s</post>\n", i, msg, i, i, parent)
	}
	w.WriteString("</disqus>\n")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	start := time.Now()
	out, peak, err := importPeak(t, env, "import", "--from", "disqus", path, "--dry-run")
	t.Logf("peak %.1f MiB in %v", peak, time.Since(start).Round(time.Second))
	if err == nil || !strings.Contains(out, "more than 500000 comments: an import reads at most that many") {
		t.Errorf("exit %v:\n%.2000s", err, out)
	}
	if peak >= peakBudgetMiB {
		t.Errorf("peak resident memory %.1f MiB, budget %d MiB", peak, peakBudgetMiB)
	}
}

// TestImportSkipInvalidCommand runs the import command on a Disqus export with one malformed post (an unquoted
// attribute): the import refuses it whole and says how to go on, the dry run lists the record, and
// --skip-invalid imports the others and reports the one passed over.
func TestImportSkipInvalidCommand(t *testing.T) {
	dbURL := dbtest.SQLiteURL(t)
	env := map[string]string{"DATABASE_URL": dbURL}
	if out, err := webCmd(t, env, "", "migrate", "up"); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	src, err := os.ReadFile("../../importer/testdata/disqus.xml")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "export.xml")
	os.WriteFile(path, bytes.Replace(src, []byte(`<post dsq:id="3005">`), []byte(`<post dsq:id=3005>`), 1), 0o600)

	out, err := webCmd(t, env, "", "import", "--from", "disqus", path)
	want := "web: disqus: " + path + ": 1 record is malformed (first at line 77: <post> cannot be read: unquoted or missing attribute " +
		"value in element); run with --dry-run to list them or --skip-invalid to import the rest\n"
	if err == nil || out != want {
		t.Fatalf("import: %v\n%q\nwant %q", err, out, want)
	}
	if n := countComments(t, dbURL); n != 0 {
		t.Fatalf("the refused import wrote %d comments", n)
	}
	out, err = webCmd(t, env, "", "import", "--from", "disqus", path, "--dry-run")
	if err != nil || !strings.Contains(out, "malformed records (1): the import refuses the file unless it runs with --skip-invalid") ||
		!strings.Contains(out, "    line 77: <post> cannot be read: unquoted or missing attribute value in element\n") {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	out, err = webCmd(t, env, "", "import", "--from", "disqus", path, "--skip-invalid")
	if err != nil || !strings.Contains(out, "imported 5 comments on 1 posts") || !strings.Contains(out, "malformed records passed over (1), not imported:") {
		t.Fatalf("--skip-invalid: %v\n%s", err, out)
	}
	if n := countComments(t, dbURL); n != 5 {
		t.Fatalf("%d comments after --skip-invalid, want 5", n)
	}
}

func countComments(t *testing.T, dbURL string) int {
	t.Helper()
	db := dbtest.Open(t, dbURL, false)
	n, err := db.Repo().Count(context.Background(), "comments")
	if err != nil {
		t.Fatal(err)
	}
	return n
}
