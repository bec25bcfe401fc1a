package repo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-rel/postgres"
	"github.com/go-rel/rel"
	"github.com/go-rel/sqlite3"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"modernc.org/sqlite"
	sqlite3lib "modernc.org/sqlite/lib"
)

// Dialect names the database behind a DB.
type Dialect string

// The supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DefaultSQLiteFile is the database file used when DATABASE_URL is not set.
const DefaultSQLiteFile = "app.db"

// sqlitePragmas are applied to every pooled connection through the DSN: SQLite keeps them per connection.
const sqlitePragmas = "_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)" +
	"&_pragma=synchronous(NORMAL)&_txlock=immediate&_time_format=sqlite"

// DB is an open database: the rel repository, the raw pool behind it, and which dialect it speaks.
type DB struct {
	Repo    rel.Repository
	SQL     *sql.DB
	Dialect Dialect
	// URL is the connection string as configured (PostgreSQL listeners open their own connection with it).
	URL string
	// Log receives the warnings of background work (the change watcher); nil means slog's default logger.
	Log *slog.Logger

	// writeMu queues this process's SQLite write transactions. SQLite allows one writer at a time; without the
	// queue, waiting writers poll in SQLite's busy handler, sleeping up to 100 ms between tries, which showed as
	// a long latency tail under concurrent posting.
	writeMu sync.Mutex
}

// Write runs fn in a transaction; on SQLite it first waits its turn among this process's writers.
func (d *DB) Write(ctx context.Context, fn func(ctx context.Context) error) error {
	if d.Dialect == SQLite {
		d.writeMu.Lock()
		defer d.writeMu.Unlock()
	}
	return d.Repo.Transaction(ctx, fn)
}

// Open connects to the database named by rawURL: empty means the SQLite file app.db in the working directory,
// "postgres://" or "postgresql://" means PostgreSQL, "sqlite:PATH", "file:PATH" or a plain path mean SQLite.
func Open(ctx context.Context, rawURL string) (*DB, error) {
	switch {
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		return openPostgres(ctx, rawURL)
	default:
		return openSQLite(ctx, rawURL)
	}
}

func openSQLite(ctx context.Context, rawURL string) (*DB, error) {
	path := strings.TrimPrefix(strings.TrimPrefix(rawURL, "sqlite:"), "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	if path == "" {
		path = DefaultSQLiteFile
	}
	if path == ":memory:" {
		return nil, errors.New("open database: :memory: gives every pooled connection its own database; use a file")
	}
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + sqlitePragmas
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	adapter := sqlite3.New(db)
	adapter.(*sqlite3.SQLite3).ErrorMapper = sqliteErrorMapper
	repo := rel.New(adapter)
	repo.Instrumentation(nil)
	return &DB{Repo: repo, SQL: db, Dialect: SQLite, URL: rawURL}, nil
}

func openPostgres(ctx context.Context, rawURL string) (*DB, error) {
	db, err := sql.Open("pgx", rawURL)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(10)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	repo := rel.New(postgres.New(db))
	repo.Instrumentation(nil)
	return &DB{Repo: repo, SQL: db, Dialect: Postgres, URL: rawURL}, nil
}

func (d *DB) log() *slog.Logger {
	if d.Log != nil {
		return d.Log
	}
	return slog.Default()
}

// Close releases the connection pool.
func (d *DB) Close() error { return d.SQL.Close() }

// Ping reports whether the database answers.
func (d *DB) Ping(ctx context.Context) error { return d.SQL.PingContext(ctx) }

// sqliteErrorMapper turns modernc's SQLite errors into rel constraint errors by result code, because go-rel/sqlite3
// only recognises the error texts of the cgo driver.
func sqliteErrorMapper(err error) error {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code() {
	case sqlite3lib.SQLITE_CONSTRAINT_UNIQUE, sqlite3lib.SQLITE_CONSTRAINT_PRIMARYKEY:
		return rel.ConstraintError{Type: rel.UniqueConstraint, Err: err}
	case sqlite3lib.SQLITE_CONSTRAINT_FOREIGNKEY:
		return rel.ConstraintError{Type: rel.ForeignKeyConstraint, Err: err}
	case sqlite3lib.SQLITE_CONSTRAINT_CHECK:
		return rel.ConstraintError{Type: rel.CheckConstraint, Err: err}
	case sqlite3lib.SQLITE_CONSTRAINT_NOTNULL:
		return rel.ConstraintError{Type: rel.NotNullConstraint, Err: err}
	}
	return err
}
