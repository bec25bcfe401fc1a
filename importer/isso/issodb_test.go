package isso_test

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"blog/importer/isso"
)

// issoFile writes a SQLite file built by these statements.
func issoFile(t *testing.T, stmts ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "comments.db")
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
	return path
}

const (
	issoThreadsTable  = `CREATE TABLE threads (id INTEGER PRIMARY KEY, uri VARCHAR(256) UNIQUE, title VARCHAR(256))`
	issoCommentsTable = `CREATE TABLE comments (tid REFERENCES threads(id), id INTEGER PRIMARY KEY, parent INTEGER,
		created FLOAT NOT NULL, modified FLOAT, mode INTEGER, remote_addr VARCHAR, text VARCHAR, author VARCHAR,
		email VARCHAR, website VARCHAR, likes INTEGER DEFAULT 0, dislikes INTEGER DEFAULT 0, voters BLOB, notification INTEGER DEFAULT 0)`
)

var issoLimits = isso.Limits{File: 1 << 30, Value: 1 << 20, Stall: time.Minute}

func readIsso(path string, lim isso.Limits) ([]isso.Thread, []isso.Comment, error) {
	var threads []isso.Thread
	var comments []isso.Comment
	err := isso.ReadDatabase(context.Background(), path, lim, isso.Receiver{
		Thread:  func(t isso.Thread) error { threads = append(threads, t); return nil },
		Comment: func(c isso.Comment) error { comments = append(comments, c); return nil },
	})
	return threads, comments, err
}

// TestReadIssoRefusesWhatCouldRun: an Isso file may come from anyone. Reading it uses only its two tables, as
// tables: a view (here one that never ends, and one that builds a 500 MB text per row), a virtual table or a
// generated column is refused before any row is read, and the file is not changed.
func TestReadIssoRefusesWhatCouldRun(t *testing.T) {
	endless := `CREATE VIEW comments AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n)
		SELECT i AS id, 1 AS tid, NULL AS parent, 1.0 AS created, 1 AS mode, 'x' AS text, 'a' AS author, 'a@b.c' AS email FROM n`
	huge := `CREATE VIEW comments AS SELECT 1 AS id, 1 AS tid, NULL AS parent, 1.0 AS created, 1 AS mode,
		printf('%.*c', 500000000, 'x') AS text, 'a' AS author, 'a@b.c' AS email`
	for _, tt := range []struct {
		name  string
		stmts []string
		want  string
	}{
		{"endless view", []string{issoThreadsTable, endless}, `not an Isso database: "comments" is a view, not a table`},
		{"huge view", []string{issoThreadsTable, huge}, `not an Isso database: "comments" is a view, not a table`},
		{"threads view", []string{`CREATE VIEW threads AS SELECT 1 AS id, '/x' AS uri`, issoCommentsTable}, `"threads" is a view`},
		{"virtual table", []string{issoThreadsTable, `CREATE VIRTUAL TABLE comments USING fts5(id, tid, parent, created, mode, text, author, email)`},
			`"comments" is a virtual, not a table`},
		{"generated column", []string{issoThreadsTable, `CREATE TABLE comments (id INTEGER PRIMARY KEY, tid INTEGER, parent INTEGER,
			created FLOAT, mode INTEGER, author TEXT, email TEXT, text TEXT GENERATED ALWAYS AS (printf('%.*c', 500000000, 'x')) VIRTUAL)`},
			"column comments.text is generated"},
		{"missing column", []string{issoThreadsTable, `CREATE TABLE comments (id INTEGER PRIMARY KEY, tid INTEGER, parent INTEGER,
			created FLOAT, mode INTEGER, text TEXT, author TEXT)`}, "no column comments.email"},
		{"no threads", []string{issoCommentsTable}, `no table "threads"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := issoFile(t, tt.stmts...)
			before, _ := os.ReadFile(path)
			start := time.Now()
			_, _, err := readIsso(path, issoLimits)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("%v, want an error with %q", err, tt.want)
			}
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("refusing took %v", took)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
				t.Error("reading changed the file")
			}
		})
	}
}

// TestReadIssoBoundsValues: a value longer than the limit is never loaded; its row says so, with its id, and the
// rows around it are read. Values of the wrong type read as nothing rather than failing.
func TestReadIssoBoundsValues(t *testing.T) {
	path := issoFile(t, issoThreadsTable, issoCommentsTable,
		`INSERT INTO threads VALUES (1, '/posts/hello-world', 'Hello'), (2, '/'||printf('%.*c', 3000000, 'p'), 'Long')`,
		`INSERT INTO comments (tid, id, parent, created, mode, text, author, email) VALUES
			(1, 1, NULL, 1546300800.5, 1, 'fine', 'Ada', 'ada@example.com'),
			(1, 2, 1, 1546300900, 1, printf('%.*c', 50000000, 'x'), 'Bob', 'bob@example.com'),
			(1, 3, 'two', 'yesterday', 'one', 'typed wrongly', x'00', NULL),
			(2, 4, NULL, 1546301000, 1, 'on the long thread', 'Zoë', NULL)`)
	threads, comments, err := readIsso(path, issoLimits)
	if err != nil {
		t.Fatal(err)
	}
	if len(threads) != 2 || threads[0].URI != "/posts/hello-world" || threads[1].URI != "" || threads[1].TooLong != 3000001 {
		t.Fatalf("threads: %+v", threads)
	}
	if len(comments) != 4 {
		t.Fatalf("%d comments", len(comments))
	}
	if c := comments[0]; c.Text != "fine" || c.Created != 1546300800.5 || c.Bad != "" {
		t.Fatalf("comment 1: %+v", c)
	}
	if c := comments[1]; c.ID != 2 || c.Text != "" || c.Bad != "its text is 50000000 bytes, longer than 1048576" {
		t.Fatalf("comment 2: %+v", c)
	}
	if c := comments[2]; c.Parent != 0 || c.Created != 0 || c.Mode != 0 || c.Text != "typed wrongly" || c.Bad != "" {
		t.Fatalf("comment 3: %+v", c)
	}
}

// TestReadIssoBudgets: a file over the size bound is refused unread, and SQLite is stopped (through the
// context, which modernc's driver turns into an interrupt) when it works past the stall budget without handing
// over a row: here, sorting two million rows whose ids are not the table's key.
func TestReadIssoBudgets(t *testing.T) {
	path := issoFile(t, issoThreadsTable,
		`CREATE TABLE comments (id INTEGER, tid INTEGER, parent INTEGER, created FLOAT, mode INTEGER, text TEXT, author TEXT, email TEXT)`,
		`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 2000000)
			INSERT INTO comments SELECT (i * 7919) % 2000003, 1, NULL, 1.0, 1, 'x', 'a', 'a@b.c' FROM n`)
	st, _ := os.Stat(path)
	small := issoLimits
	small.File = st.Size() - 1
	if _, _, err := readIsso(path, small); err == nil || !strings.Contains(err.Error(), "more than the") {
		t.Fatalf("file over the bound: %v", err)
	}
	quick := issoLimits
	quick.Stall = 50 * time.Millisecond
	start := time.Now()
	_, comments, err := readIsso(path, quick)
	if err == nil || !strings.Contains(err.Error(), "SQLite worked for more than 50ms on the database without handing over a row") {
		t.Fatalf("stalled read: %v (%d comments)", err, len(comments))
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("the stalled read was stopped after %v", took)
	}
	t.Logf("stopped after %v", time.Since(start).Round(time.Millisecond))
}
