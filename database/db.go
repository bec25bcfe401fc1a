package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/go-rel/postgres"
	"github.com/go-rel/rel"
	"github.com/go-rel/sqlite3"
	"github.com/lib/pq" // also registers the "postgres" database/sql driver (CreateDatabase, Reachable)

	"blog/database/sqlite"
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

// DB is an open database: the rel repository the stores use, the pool behind it, and which dialect it speaks.
// What differs between the dialects (locks, placeholders, consistent views, announcing changes) is decided here,
// so that nothing above this package branches on the dialect.
type DB struct {
	repo    rel.Repository
	pool    *sql.DB
	dialect Dialect
	// rawURL is the connection string as configured (PostgreSQL listeners open their own connection with it).
	rawURL string
	// logger receives the warnings of background work (the change watcher); nil means slog's default logger.
	logger *slog.Logger
	// committed are told, after each commit, of every change of a post's feed it recorded (OnCommit).
	committedMu sync.Mutex
	committed   []func(postID, seq int64)

	// path is the SQLite file; lock holds it shared (or exclusive) for this process; file is what it was when
	// opened, to notice it being deleted or replaced.
	path string
	lock *os.File
	file os.FileInfo

	// wal queues this process's SQLite write transactions and keeps the write-ahead log in bounds (sqlite.WAL).
	wal *sqlite.WAL
}

// Write runs fn in a transaction, and once it has committed announces the changes fn recorded (Record) to the
// OnCommit listeners: each committed change is announced once, after commit, by the layer that committed it. On
// SQLite it first waits its turn among this process's writers, and refuses to write into a database file that was
// deleted or replaced since it was opened. A commit that leaves the write-ahead log past half of sqlite.WALLimit
// wakes the checkpointer, and one that leaves it past the whole limit starts it over before the next writer's turn.
func (d *DB) Write(ctx context.Context, fn func(ctx context.Context) error) error {
	pending := &pendingNotices{}
	ctx = context.WithValue(ctx, pendingKey{}, pending)
	err := d.write(ctx, func(ctx context.Context) error {
		clear(pending.seqs) // a transaction tried again records again
		return fn(ctx)
	})
	if err == nil {
		d.announce(pending)
	}
	return err
}

func (d *DB) write(ctx context.Context, fn func(ctx context.Context) error) error {
	if d.dialect != SQLite {
		return d.repo.Transaction(ctx, fn)
	}
	if err := d.CheckFile(); err != nil {
		return err
	}
	return d.wal.Write(func() error { return d.repo.Transaction(ctx, fn) })
}

// Location is a parsed DATABASE_URL: which database, and where.
type Location struct {
	Dialect Dialect
	// Path is the SQLite file; URL the PostgreSQL connection string.
	Path, URL string
}

// ParseURL reads a DATABASE_URL: empty means the SQLite file app.db in the working directory; "postgres://" or
// "postgresql://" PostgreSQL; "sqlite:PATH", "file:PATH" or a plain path a SQLite file. Any other scheme is an
// error rather than a file of that name.
func ParseURL(raw string) (Location, error) {
	switch {
	case strings.HasPrefix(raw, "postgres://"), strings.HasPrefix(raw, "postgresql://"):
		return Location{Dialect: Postgres, URL: raw}, nil
	case raw == "":
		return Location{Dialect: SQLite, Path: DefaultSQLiteFile}, nil
	}
	path := raw
	if scheme, rest, ok := strings.Cut(raw, ":"); ok && schemeLike(scheme) {
		if scheme != "sqlite" && scheme != "file" {
			return Location{}, fmt.Errorf("DATABASE_URL: unknown scheme %q: want postgres://..., sqlite:PATH or a file path", scheme+":")
		}
		path = strings.TrimPrefix(rest, "//")
	}
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	switch path {
	case "":
		return Location{}, errors.New("DATABASE_URL: the SQLite file has no path")
	case ":memory:":
		return Location{}, errors.New("DATABASE_URL: :memory: gives every pooled connection its own database; use a file")
	}
	return Location{Dialect: SQLite, Path: path}, nil
}

// schemeLike reports whether s looks like a URL scheme (letters first, then letters, digits, + - .), so that
// "C" of a path or a plain file name is not mistaken for one.
func schemeLike(s string) bool {
	if len(s) < 2 {
		return false
	}
	for i, r := range s {
		letter := (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
		if !letter && (i == 0 || !(r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.')) {
			return false
		}
	}
	return true
}

// Mode says how a command may use the database.
type Mode int

// The modes of opening a database.
const (
	// Create opens the database, creating a new SQLite file if there is none (serving, migrate up).
	Create Mode = iota
	// Existing opens a database that must exist; other processes may use it at the same time.
	Existing
	// Exclusive opens a database that must exist and that no other process of the blog is using (restore,
	// migrate down): it fails with ErrInUse while a server or command has it open.
	Exclusive
)

// ErrInUse means another process of the blog has the database open.
var ErrInUse = errors.New("the database is in use by another process of the blog (a running server?)")

// ErrNoDatabase means the database to open does not exist.
var ErrNoDatabase = errors.New("no database there")

// Open connects to the database named by rawURL (see ParseURL), creating a new SQLite file when there is none.
func Open(ctx context.Context, rawURL string) (*DB, error) { return OpenMode(ctx, rawURL, Create) }

// OpenMode connects to the database named by rawURL in the given mode.
func OpenMode(ctx context.Context, rawURL string, mode Mode) (*DB, error) {
	loc, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	if loc.Dialect == Postgres {
		db, err := openPostgres(ctx, loc.URL)
		if err == nil && mode == Exclusive {
			if err = db.aloneOnPostgres(ctx); err != nil {
				db.Close()
				return nil, err
			}
		}
		return db, err
	}
	return openSQLite(ctx, rawURL, loc.Path, mode)
}

func openSQLite(ctx context.Context, rawURL, path string, mode Mode) (*DB, error) {
	if mode != Create {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("open %s: %w (start the server once, or run `web migrate up`, to create it)", path, ErrNoDatabase)
		}
	}
	if err := keepPrivate(path, mode == Create); err != nil {
		return nil, err
	}
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + sqlite.Pragmas
	if mode != Create {
		dsn += "&mode=rw" // never create the file
	}
	// Connections that keep their prepared statements (sqlite.NewConnector).
	db := sql.OpenDB(sqlite.NewConnector(dsn + "&_pragma=busy_timeout(5000)"))
	// Idle connections are kept (database/sql keeps 2 by default), and with them their prepared statements.
	db.SetMaxIdleConns(16)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	lock, file, err := lockFile(path, mode == Exclusive)
	if err != nil {
		db.Close()
		return nil, err
	}
	adapter := sqlite3.New(db)
	adapter.(*sqlite3.SQLite3).ErrorMapper = sqlite.ErrorMapper
	repo := rel.New(adapter)
	repo.Instrumentation(nil)
	d := &DB{repo: repo, pool: db, dialect: SQLite, rawURL: rawURL, path: path, lock: lock, file: file}
	if d.wal, err = sqlite.OpenWAL(ctx, dsn, path, d.log); err != nil {
		lock.Close()
		db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return d, nil
}

// keepPrivate creates the SQLite file at path, readable and writable by its owner only, when there is none (and
// create is set), and takes the group's and others' permissions away from an existing one and its log: they hold
// the site secret and the owner's password hash. SQLite creates a database file 0644 less the umask, and its log
// (-wal, -shm) with the permissions of the database file. A file this process may not change keeps its mode.
func keepPrivate(path string, create bool) error {
	if create {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			return f.Close()
		}
		if !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("create %s: %w", path, err)
		}
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if st, err := os.Stat(path + suffix); err == nil && st.Mode().Perm()&0o077 != 0 {
			os.Chmod(path+suffix, st.Mode().Perm()&^0o077)
		}
	}
	return nil
}

// applicationName marks the blog's PostgreSQL connections, so a command that needs the database to itself can
// see whether a server is connected.
const applicationName = "blog"

func openPostgres(ctx context.Context, rawURL string) (*DB, error) {
	dsn := rawURL
	if u, err := url.Parse(rawURL); err == nil && u.Query().Get("application_name") == "" {
		q := u.Query()
		q.Set("application_name", applicationName)
		u.RawQuery = q.Encode()
		dsn = u.String()
	}
	connector, err := pq.NewConnector(postgresDSN(dsn))
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	// A connection the server ended while it sat in the pool (pg_terminate_backend, a restart, a failover)
	// answers its next statement with FATAL, which lib/pq reports as driver.ErrBadConn: database/sql then runs
	// the statement on another connection, or a new one, so the request does not fail
	// (TestPostgresDroppedConnectionsAreReplaced).
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(10)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	repo := rel.New(postgres.New(db))
	repo.Instrumentation(nil)
	return &DB{repo: repo, pool: db, dialect: Postgres, rawURL: rawURL}, nil
}

// postgresDSN is a PostgreSQL URL as lib/pq should read it, with what the URL leaves unsaid set as the blog
// wants it:
//   - sslmode=prefer: TLS when the server offers it and plain otherwise (libpq's and pgx's default; lib/pq's own
//     is require), unless PGSSLMODE says;
//   - binary_parameters=yes: a statement with parameters costs one round trip, as pgx's statement cache made it,
//     where lib/pq otherwise asks the server to describe the statement first. Comment POSTs, which write under
//     a per-post lock, went from 75 to 58 a second without it. It also sends []byte parameters in binary, which
//     is what the blog's only ones (image bytes, bytea) are.
func postgresDSN(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return raw
	}
	q := u.Query()
	if !q.Has("sslmode") && os.Getenv("PGSSLMODE") == "" {
		q.Set("sslmode", "prefer")
	}
	if !q.Has("binary_parameters") {
		q.Set("binary_parameters", "yes")
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// Repo is the rel repository the stores read and write through.
func (d *DB) Repo() rel.Repository { return d.repo }

// SQL is the connection pool itself, for the database's own tools and for tests.
func (d *DB) SQL() *sql.DB { return d.pool }

// Dialect says which database this is.
func (d *DB) Dialect() Dialect { return d.dialect }

// SetLogger gives background work (the change watcher, the checkpointer) a logger.
func (d *DB) SetLogger(l *slog.Logger) { d.logger = l }

func (d *DB) log() *slog.Logger {
	if d.logger != nil {
		return d.logger
	}
	return slog.Default()
}

// Close releases the connection pool and the file lock.
func (d *DB) Close() error {
	if d.wal != nil {
		d.wal.Close()
	}
	err := d.pool.Close()
	if d.lock != nil {
		d.lock.Close()
	}
	return err
}

// Ping reports whether the database answers and, for SQLite, is still the file that was opened.
func (d *DB) Ping(ctx context.Context) error {
	if err := d.CheckFile(); err != nil {
		return err
	}
	return d.pool.PingContext(ctx)
}

// aloneOnPostgres returns ErrInUse when another connection of the blog uses the same PostgreSQL database. A
// connection that a command which just ended has closed stays listed for a moment while its server process
// exits, so the check looks again for up to aloneWait before it refuses; a running server's connections stay.
func (d *DB) aloneOnPostgres(ctx context.Context) error {
	deadline := time.Now().Add(aloneWait)
	for {
		var n int
		err := d.pool.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
			AND application_name = $1 AND pid <> pg_backend_pid()`, applicationName).Scan(&n)
		switch {
		case err != nil:
			return err
		case n == 0:
			return nil
		case time.Now().After(deadline):
			return fmt.Errorf("%d other connection(s): %w", n, ErrInUse)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// aloneWait is how long aloneOnPostgres waits for other connections to go.
const aloneWait = 3 * time.Second

// Path is the SQLite database file ("" for PostgreSQL).
func (d *DB) Path() string { return d.path }
