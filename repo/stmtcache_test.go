package repo

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

// The kept statements give the same answers as fresh ones: after a write, across a schema change, with the same
// query asked again while its first rows are still being read, and past the bound on what one connection keeps.
func TestKeptStatements(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "kept.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.SQL.Conn(ctx) // one connection, so every statement below meets the same cache
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
