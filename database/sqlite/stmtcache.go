package sqlite

import (
	"context"
	"database/sql/driver"
	"errors"
	"slices"
	"strings"
	"sync/atomic"

	modernc "modernc.org/sqlite"
)

// The SQLite driver prepares every statement it is given afresh: parsing the SQL was a quarter of a comment
// POST's CPU. The connections the blog opens keep their prepared statements instead, per connection, keyed by
// the SQL text (rel writes the same text for the same query, values travel as parameters), and run them again
// with new parameters. SQLite re-prepares a kept statement by itself when the schema changes under it.

// stmtsPerConn bounds the statements a connection keeps: queries whose text varies (an IN list of another
// length) would otherwise pile up.
const stmtsPerConn = 128

// stmtCacheConnector opens SQLite connections that keep their prepared statements.
type stmtCacheConnector struct {
	dsn    string
	driver *modernc.Driver
}

// NewConnector returns the connector of SQLite connections to dsn that keep their prepared statements.
func NewConnector(dsn string) driver.Connector {
	return &stmtCacheConnector{dsn: dsn, driver: &modernc.Driver{}}
}

func (c *stmtCacheConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.driver.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return newCachingConn(conn)
}

func (c *stmtCacheConnector) Driver() driver.Driver { return c.driver }

// inner is what the SQLite driver's connections offer and the cache relies on.
type inner interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// cachingConn is a SQLite connection that keeps its prepared statements. database/sql uses a connection from one
// goroutine at a time, so the map needs no lock.
type cachingConn struct {
	inner
	stmts map[string]*keptStmt
}

type keptStmt struct {
	stmt interface {
		driver.Stmt
		driver.StmtExecContext
		driver.StmtQueryContext
	}
	// busy: its rows are still being read; the same query asked meanwhile is prepared on its own.
	busy atomic.Bool
}

func newCachingConn(c driver.Conn) (*cachingConn, error) {
	in, ok := c.(inner)
	if !ok {
		c.Close()
		return nil, errors.New("sqlite: the driver's connection lacks an interface the statement cache needs")
	}
	return &cachingConn{inner: in, stmts: map[string]*keptStmt{}}, nil
}

// kept returns the connection's prepared statement for query, preparing and keeping it the first time; nil when
// it is not kept: a statement whose rows are still being read, or one whose driver statement lacks the context
// methods. An INSERT is kept only in its canonical form (see canonicalInsert).
func (c *cachingConn) kept(ctx context.Context, query string) (*keptStmt, error) {
	if k, ok := c.stmts[query]; ok {
		if k.busy.Load() {
			return nil, nil
		}
		return k, nil
	}
	if len(c.stmts) >= stmtsPerConn {
		c.evictOne()
	}
	s, err := c.inner.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	k := &keptStmt{}
	var ok bool
	if k.stmt, ok = s.(interface {
		driver.Stmt
		driver.StmtExecContext
		driver.StmtQueryContext
	}); !ok {
		s.Close()
		return nil, nil
	}
	c.stmts[query] = k
	return k, nil
}

// canonicalInsert rewrites an INSERT as rel writes it, INSERT INTO "t" ("a","b") VALUES (?,?) and what follows,
// with its columns (and their values) in name order: rel writes them in a map's order, so the same insert
// rarely had the same text twice, and each was parsed afresh (46% of the comment INSERT's time at 8 posting
// clients). It reports false, changing nothing, for any other form, a placeholder after the values included.
func canonicalInsert(query string, args []driver.NamedValue) (string, []driver.NamedValue, bool) {
	head, rest, ok := strings.Cut(query, " (")
	if !ok || !strings.HasPrefix(head, "INSERT INTO ") || strings.Contains(head[len("INSERT INTO "):], " ") {
		return "", nil, false
	}
	list, rest, ok := strings.Cut(rest, ") VALUES (")
	if !ok {
		return "", nil, false
	}
	marks, tail, ok := strings.Cut(rest, ")")
	cols := strings.Split(list, ",")
	if !ok || len(cols) != len(args) || marks != strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",") ||
		strings.Contains(tail, "?") {
		return "", nil, false
	}
	for i, col := range cols {
		if len(col) < 3 || col[0] != '"' || col[len(col)-1] != '"' || strings.ContainsAny(col[1:len(col)-1], `" ,()`) ||
			args[i].Name != "" || args[i].Ordinal != i+1 {
			return "", nil, false
		}
	}
	order := make([]int, len(cols))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(cols[a], cols[b]) })
	sorted := make([]string, len(cols))
	moved := make([]driver.NamedValue, len(args))
	for i, j := range order {
		sorted[i] = cols[j]
		moved[i] = driver.NamedValue{Ordinal: i + 1, Value: args[j].Value}
	}
	return head + " (" + strings.Join(sorted, ",") + ") VALUES (" + marks + ")" + tail, moved, true
}

// statement returns what to run: an INSERT in its canonical form, and whether it may be kept: reads and writes
// of rows, which are asked again and again. A statement that changes the schema (CREATE, ALTER, DROP: a
// migration's) or the connection (PRAGMA, BEGIN) runs once, so keeping it only held its compiled program in
// SQLite's memory, up to 128 of them on the connection that ran the migrations.
func statement(query string, args []driver.NamedValue) (string, []driver.NamedValue, bool) {
	if !strings.HasPrefix(query, "INSERT") {
		return query, args, keepable(query)
	}
	if q, a, ok := canonicalInsert(query, args); ok {
		return q, a, true
	}
	return query, args, false
}

// keepable reports a statement that reads or writes rows.
func keepable(query string) bool {
	q := strings.TrimLeft(query, " \t\r\n(")
	for _, verb := range []string{"SELECT", "UPDATE", "DELETE", "WITH", "REPLACE"} {
		if len(q) >= len(verb) && strings.EqualFold(q[:len(verb)], verb) {
			return true
		}
	}
	return false
}

// evictOne closes a statement that no rows are being read from (the map's order picks which).
func (c *cachingConn) evictOne() {
	for q, k := range c.stmts {
		if !k.busy.Load() {
			k.stmt.Close()
			delete(c.stmts, q)
			return
		}
	}
}

// lookup returns the statement to run (an INSERT in its canonical form) and its kept prepared statement, nil when
// it is not kept.
func (c *cachingConn) lookup(ctx context.Context, query string, args []driver.NamedValue) (*keptStmt, string, []driver.NamedValue, error) {
	query, args, keep := statement(query, args)
	if !keep {
		return nil, query, args, nil
	}
	k, err := c.kept(ctx, query)
	return k, query, args, err
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	k, query, args, err := c.lookup(ctx, query, args)
	if err != nil {
		return nil, err
	}
	if k == nil {
		return c.inner.ExecContext(ctx, query, args)
	}
	return k.stmt.ExecContext(ctx, args)
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	k, query, args, err := c.lookup(ctx, query, args)
	if err != nil {
		return nil, err
	}
	if k == nil {
		return c.inner.QueryContext(ctx, query, args)
	}
	rows, err := k.stmt.QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	k.busy.Store(true)
	return &keptRows{Rows: rows, k: k}, nil
}

// Close closes the kept statements, then the connection.
func (c *cachingConn) Close() error {
	for q, k := range c.stmts {
		k.stmt.Close()
		delete(c.stmts, q)
	}
	return c.inner.Close()
}

// keptRows are rows of a kept statement: closing them (which resets the statement) frees it for the next query.
type keptRows struct {
	driver.Rows
	k *keptStmt
}

func (r *keptRows) Close() error {
	err := r.Rows.Close()
	r.k.busy.Store(false)
	return err
}

// The column-type methods database/sql asks of rows for ColumnTypes, passed through.

func (r *keptRows) ColumnTypeDatabaseTypeName(i int) string {
	if t, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *keptRows) ColumnTypeNullable(i int) (nullable, ok bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeNullable); ok {
		return t.ColumnTypeNullable(i)
	}
	return false, false
}
