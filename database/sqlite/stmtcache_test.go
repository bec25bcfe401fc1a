package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/go-rel/rel"
	"github.com/go-rel/rel/where"
	"github.com/go-rel/sqlite3"
)

// The kept statements give the same answers as fresh ones: after a write, across a schema change, with the same
// query asked again while its first rows are still being read, and past the bound on what one connection keeps.
func TestKeptStatements(t *testing.T) {
	ctx := context.Background()
	pool, _ := open(t, filepath.Join(t.TempDir(), "kept.db"))
	conn, err := pool.Conn(ctx) // one connection, so every statement below meets the same cache
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := conn.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	count := func() int {
		t.Helper()
		var n int
		if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM t WHERE v > ?", 0).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)")
	for i := 1; i <= 3; i++ {
		exec("INSERT INTO t (v) VALUES (?)", i)
		if n := count(); n != i {
			t.Fatalf("count after %d inserts = %d", i, n)
		}
	}

	// A schema change under a kept statement: SQLite prepares it again by itself.
	exec("UPDATE t SET v = ? WHERE id = ?", 10, 1)
	exec("ALTER TABLE t ADD COLUMN w INTEGER NOT NULL DEFAULT 7")
	exec("UPDATE t SET v = ? WHERE id = ?", 11, 1)
	rows, err := conn.QueryContext(ctx, "SELECT * FROM t WHERE id >= ? ORDER BY id", 1)
	if err != nil {
		t.Fatal(err)
	}
	cols, _ := rows.Columns()
	if len(cols) != 3 {
		t.Fatalf("columns after ALTER TABLE = %v, want id, v, w", cols)
	}

	// The same query again while its rows are open: it must not reuse (and reset) the statement being read.
	var outer []int
	for rows.Next() {
		var id, v, w int
		if err := rows.Scan(&id, &v, &w); err != nil {
			t.Fatal(err)
		}
		outer = append(outer, id)
		if id == 1 {
			inner, err := conn.QueryContext(ctx, "SELECT * FROM t WHERE id >= ? ORDER BY id", 2)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for inner.Next() {
				n++
			}
			inner.Close()
			if n != 2 {
				t.Fatalf("inner query read %d rows, want 2", n)
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if fmt.Sprint(outer) != "[1 2 3]" {
		t.Fatalf("outer query read %v, want [1 2 3]", outer)
	}

	// A failed statement leaves its kept statement usable.
	if _, err := conn.ExecContext(ctx, "UPDATE t SET id = ? WHERE id = ?", 2, 1); err == nil {
		t.Fatal("update onto an existing primary key succeeded")
	}
	if _, err := conn.ExecContext(ctx, "UPDATE t SET id = ? WHERE id = ?", 9, 1); err != nil {
		t.Fatalf("the same update with other values after a failure: %v", err)
	}

	// Many different texts: the connection keeps at most stmtsPerConn of them and still answers every one.
	for i := range stmtsPerConn * 2 {
		var n int
		if err := conn.QueryRowContext(ctx, fmt.Sprintf("SELECT %d + ?", i), 1).Scan(&n); err != nil || n != i+1 {
			t.Fatalf("SELECT %d + 1 = %d (%v)", i, n, err)
		}
	}
	err = conn.Raw(func(dc any) error {
		c, ok := dc.(*cachingConn)
		if !ok {
			return fmt.Errorf("connection is a %T, want the statement-keeping one", dc)
		}
		if len(c.stmts) > stmtsPerConn {
			return fmt.Errorf("%d statements kept, bound %d", len(c.stmts), stmtsPerConn)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 3 {
		t.Fatalf("count at the end = %d", n)
	}
}

// rel writes an INSERT's columns in a map's order: the same insert in two orders becomes one statement text, each
// value still beside its column, and any other form is left alone.
func TestCanonicalInsert(t *testing.T) {
	nv := func(vals ...any) []driver.NamedValue {
		out := make([]driver.NamedValue, len(vals))
		for i, v := range vals {
			out[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
		}
		return out
	}
	q1, a1, ok1 := canonicalInsert(`INSERT INTO "comments" ("post_id","body","state") VALUES (?,?,?) RETURNING "id";`, nv(int64(3), "hi", "published"))
	q2, a2, ok2 := canonicalInsert(`INSERT INTO "comments" ("state","post_id","body") VALUES (?,?,?) RETURNING "id";`, nv("published", int64(3), "hi"))
	want := `INSERT INTO "comments" ("body","post_id","state") VALUES (?,?,?) RETURNING "id";`
	if !ok1 || !ok2 || q1 != want || q2 != want {
		t.Fatalf("canonical forms:\n%s %v\n%s %v\nwant %s", q1, ok1, q2, ok2, want)
	}
	if !reflect.DeepEqual(a1, nv("hi", int64(3), "published")) || !reflect.DeepEqual(a2, a1) {
		t.Fatalf("values moved wrongly: %v / %v", a1, a2)
	}
	for _, q := range []string{
		`INSERT INTO "t" ("a","b") VALUES (?,?) ON CONFLICT ("a") DO UPDATE SET "b"=?;`, // a value after VALUES
		`INSERT INTO "t" ("a","b") VALUES (?,?),(?,?);`,                                 // several rows
		`INSERT INTO "t" ("a","b") SELECT ?, ?;`,
		`INSERT INTO t (a,b) VALUES (?,?);`, // not as rel writes it
		`INSERT INTO "t" ("a","b") VALUES (?,1);`,
	} {
		args := nv(1, 2)
		if strings.Count(q, "?") == 3 {
			args = nv(1, 2, 3)
		} else if strings.Count(q, "?") == 4 {
			args = nv(1, 2, 3, 4)
		} else if strings.Count(q, "?") == 1 {
			args = nv(1)
		}
		if _, _, ok := canonicalInsert(q, args); ok {
			t.Errorf("rewrote %s", q)
		}
	}
}

// Through rel, inserts in every column order land their values in the right columns and share one kept statement.
func TestInsertsAreKept(t *testing.T) {
	ctx := context.Background()
	pool, repo := open(t, filepath.Join(t.TempDir(), "inserts.db"))
	pool.SetMaxOpenConns(1) // one connection: one cache to look at
	if _, _, err := repo.Exec(ctx, `CREATE TABLE things (id INTEGER PRIMARY KEY, a TEXT, b TEXT, c TEXT, d INTEGER, e INTEGER)`); err != nil {
		t.Fatal(err)
	}
	type thing struct {
		ID      int64
		A, B, C string
		D, E    int
	}
	for i := range 200 {
		th := thing{A: fmt.Sprint("a", i), B: fmt.Sprint("b", i), C: fmt.Sprint("c", i), D: i, E: -i}
		if err := repo.Insert(ctx, &th); err != nil {
			t.Fatal(err)
		}
		var back thing
		if err := repo.Find(ctx, &back, where.Eq("id", th.ID)); err != nil || back != th {
			t.Fatalf("insert %d read back as %+v (%v), want %+v", i, back, err, th)
		}
	}
	conn, err := pool.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	inserts := 0
	conn.Raw(func(dc any) error {
		for q := range dc.(*cachingConn).stmts {
			if strings.HasPrefix(q, "INSERT") {
				inserts++
			}
		}
		return nil
	})
	if inserts != 1 {
		t.Fatalf("%d kept INSERT statements for one insert in 200 column orders, want 1", inserts)
	}
}

// open opens a SQLite file as the database package does (Pragmas, a busy timeout, connections that keep their
// statements), with the rel repository the stores would use over it.
func open(t *testing.T, path string) (*sql.DB, rel.Repository) {
	t.Helper()
	pool := sql.OpenDB(NewConnector("file:" + path + "?" + Pragmas + "&_pragma=busy_timeout(5000)"))
	t.Cleanup(func() { pool.Close() })
	if err := pool.Ping(); err != nil {
		t.Fatal(err)
	}
	adapter := sqlite3.New(pool)
	adapter.(*sqlite3.SQLite3).ErrorMapper = ErrorMapper
	return pool, rel.New(adapter)
}
