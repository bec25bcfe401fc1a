package isso

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3lib "modernc.org/sqlite/lib"
)

// Thread is one thread (page) of an Isso database.
type Thread struct {
	ID  int64
	URI string
	// TooLong says that its address is longer than the limit (URI is then empty).
	TooLong int64
}

// Comment is one comment of an Isso database.
type Comment struct {
	ID, Thread, Parent int64
	// Created is seconds since 1970, as Isso stores it.
	Created float64
	// Mode is Isso's state: 1 published, 2 waiting for moderation, 4 deleted (kept for its replies).
	Mode                int
	Text, Author, Email string
	// Bad says why the row cannot be imported (a value longer than the limit), "" when it can.
	Bad string
}

// Limits bounds what reading an Isso database may cost: the file's size, the bytes of one value (a longer
// one is reported with its row, never loaded), and the longest SQLite may work without handing over a row.
type Limits struct {
	File  int64
	Value int
	Stall time.Duration
}

// Receiver receives what ReadDatabase reads: every thread first, then every comment in id order (Isso gives
// ids in the order comments were posted, so a parent comes before its replies).
type Receiver struct {
	Thread  func(Thread) error
	Comment func(Comment) error
}

// issoColumns are the columns an import reads from each of the two tables.
var issoColumns = map[string][]string{
	"threads":  {"id", "uri"},
	"comments": {"id", "tid", "parent", "created", "mode", "text", "author", "email"},
}

// ReadDatabase reads an Isso comment database, a SQLite file that may come from anyone: it is opened read-only
// and immutable (nothing is written, no journal is replayed), and only the tables threads and comments are
// read, after checking that they are plain tables with plain columns; views, triggers and generated columns,
// which could make reading a row run arbitrary queries, are never used. No value longer than lim.Value is
// loaded.
func ReadDatabase(ctx context.Context, path string, lim Limits, to Receiver) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if st.Size() > lim.File {
		return fmt.Errorf("the database is %d MiB, more than the %d MiB an import reads", st.Size()>>20, lim.File>>20)
	}
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+
		"?mode=ro&immutable=1&_pragma=query_only(1)&_pragma=trusted_schema(0)&_pragma=cell_size_check(1)")
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stall := &stallTimer{limit: lim.Stall}
	stall.timer = time.AfterFunc(lim.Stall, func() {
		cancel(fmt.Errorf("SQLite worked for more than %v on the database without handing over a row", lim.Stall))
	})
	defer stall.timer.Stop()
	conn, err := db.Conn(ctx)
	if err != nil {
		return issoError(ctx, err)
	}
	defer conn.Close()
	// Anything SQLite would build longer than this (a computed value) fails instead of filling memory.
	if _, err := sqlite.Limit(conn, sqlite3lib.SQLITE_LIMIT_LENGTH, 2*lim.Value+1024); err != nil {
		return err
	}
	for _, table := range []string{"threads", "comments"} {
		if err := issoTable(ctx, conn, table); err != nil {
			return issoError(ctx, err)
		}
	}
	if err := issoThreads(ctx, conn, lim, stall, to.Thread); err != nil {
		return issoError(ctx, err)
	}
	return issoError(ctx, issoComments(ctx, conn, lim, stall, to.Comment))
}

// stallTimer gives SQLite lim.Stall for each row; the time spent on a row once it is handed over is not counted.
type stallTimer struct {
	limit time.Duration
	timer *time.Timer
}

func (s *stallTimer) pause()  { s.timer.Stop() }
func (s *stallTimer) resume() { s.timer.Reset(s.limit) }

// issoTable checks that the table is a plain table with the columns an import reads, none of them generated.
func issoTable(ctx context.Context, conn *sql.Conn, table string) error {
	var kind string
	err := conn.QueryRowContext(ctx, `SELECT type FROM pragma_table_list WHERE schema = 'main' AND name = ?`, table).Scan(&kind)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("not an Isso database: no table %q", table)
	}
	if err != nil {
		return err
	}
	if kind != "table" {
		return fmt.Errorf("not an Isso database: %q is a %s, not a table", table, kind)
	}
	rows, err := conn.QueryContext(ctx, `SELECT name, hidden FROM pragma_table_xinfo(?)`, table)
	if err != nil {
		return err
	}
	defer rows.Close()
	have := map[string]bool{}
	for rows.Next() {
		var name string
		var hidden int
		if err := rows.Scan(&name, &hidden); err != nil {
			return err
		}
		if hidden != 0 {
			return fmt.Errorf("not an Isso database: column %s.%s is generated", table, name)
		}
		have[strings.ToLower(name)] = true
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, c := range issoColumns[table] {
		if !have[c] {
			return fmt.Errorf("not an Isso database: no column %s.%s", table, c)
		}
	}
	return nil
}

// issoText selects a text column as its length in bytes and its value when it is no longer than the limit
// (?1). octet_length reads a value's length from the row's header, without loading it.
func issoText(col string) string {
	return fmt.Sprintf("octet_length(%[1]s), CASE WHEN octet_length(%[1]s) <= ?1 THEN %[1]s END", col)
}

// issoInt selects an integer column, 0 when it holds anything else; typeof does not load the value either.
func issoInt(col string) string {
	return fmt.Sprintf("CASE WHEN typeof(%[1]s) = 'integer' THEN %[1]s ELSE 0 END", col)
}

func issoThreads(ctx context.Context, conn *sql.Conn, lim Limits, stall *stallTimer, fn func(Thread) error) error {
	rows, err := conn.QueryContext(ctx, `SELECT `+issoInt("id")+`, `+issoText("uri")+` FROM threads`, lim.Value)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var t Thread
		var n sql.NullInt64
		var uri sql.NullString
		if err := rows.Scan(&t.ID, &n, &uri); err != nil {
			return fmt.Errorf("thread: %w", err)
		}
		t.URI = uri.String
		if n.Int64 > int64(lim.Value) {
			t.TooLong = n.Int64
		}
		stall.pause()
		err := fn(t)
		stall.resume()
		if err != nil {
			return err
		}
	}
	return rows.Err()
}

func issoComments(ctx context.Context, conn *sql.Conn, lim Limits, stall *stallTimer, fn func(Comment) error) error {
	rows, err := conn.QueryContext(ctx, `SELECT `+issoInt("id")+`, `+issoInt("tid")+`, `+issoInt("parent")+`,
		CASE WHEN typeof(created) IN ('integer', 'real') THEN created ELSE 0 END, `+issoInt("mode")+`,
		`+issoText("text")+`, `+issoText("author")+`, `+issoText("email")+`
		FROM comments ORDER BY id`, lim.Value)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var c Comment
		var mode int64
		var n [3]sql.NullInt64
		var s [3]sql.NullString
		if err := rows.Scan(&c.ID, &c.Thread, &c.Parent, &c.Created, &mode, &n[0], &s[0], &n[1], &s[1], &n[2], &s[2]); err != nil {
			return fmt.Errorf("comment: %w", err)
		}
		c.Mode = int(mode)
		c.Text, c.Author, c.Email = s[0].String, s[1].String, s[2].String
		for i, name := range []string{"text", "author", "email"} {
			if n[i].Int64 > int64(lim.Value) {
				c.Bad = fmt.Sprintf("its %s is %d bytes, longer than %d", name, n[i].Int64, lim.Value)
				c.Text, c.Author, c.Email = "", "", ""
				break
			}
		}
		stall.pause()
		err := fn(c)
		stall.resume()
		if err != nil {
			return err
		}
	}
	return rows.Err()
}

// issoError says in plain words what is wrong with a file that is not a readable Isso database.
func issoError(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "not a database"), strings.Contains(msg, "file is encrypted"):
		return errors.New("not an Isso database: the file is not a SQLite database")
	case strings.Contains(msg, "malformed"):
		return fmt.Errorf("the database is damaged: %s", msg)
	}
	return err
}
