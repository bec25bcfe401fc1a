// Package dbtest opens real, migrated databases for tests: a SQLite file in the test's temporary folder, and a
// fresh PostgreSQL database on the server named by TEST_DATABASE_URL.
//
// Migrating costs more than copying: a test binary migrates one SQLite file and one PostgreSQL template database
// the first time it needs them, and every migrated database after that is a copy (a file copy, or CREATE
// DATABASE ... TEMPLATE). The migrations themselves are tested on empty databases (PostgresURL, SQLiteURL) in
// database/schema. A package whose tests use migrated PostgreSQL databases calls Main from its TestMain, so the
// template is dropped when its tests end.
package dbtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"blog/database"
	"blog/database/schema"
)

// SQLiteURL returns the URL of a new, empty SQLite file in t's temporary folder.
func SQLiteURL(t testing.TB) string {
	return "sqlite:" + t.TempDir() + "/test.db"
}

// SQLite opens a migrated SQLite database in a new file.
func SQLite(t testing.TB) *database.DB {
	return open(t, MigratedSQLiteURL(t), true)
}

// Open opens the database at rawURL, migrated when migrate is set, and closes it when the test ends.
func Open(t testing.TB, rawURL string, migrate bool) *database.DB {
	return open(t, rawURL, migrate)
}

func open(t testing.TB, rawURL string, migrate bool) *database.DB {
	t.Helper()
	ctx := context.Background()
	db, err := database.Open(ctx, rawURL)
	if err != nil {
		t.Fatalf("open %s: %v", rawURL, err)
	}
	t.Cleanup(func() { db.Close() })
	if migrate {
		if err := schema.Up(ctx, db); err != nil {
			t.Fatalf("migrate: %v", err)
		}
	}
	return db
}

// sqliteTemplate holds the files of a migrated SQLite database, read once per test binary.
var sqliteTemplate struct {
	once  sync.Once
	files map[string][]byte // by suffix: "" (the database), "-wal" (its log, if any was left)
	err   error
}

// MigratedSQLiteURL returns the URL of a new SQLite file in t's temporary folder holding the migrated schema
// and nothing else: a copy of a database migrated once per test binary.
func MigratedSQLiteURL(t testing.TB) string {
	t.Helper()
	sqliteTemplate.once.Do(func() { sqliteTemplate.files, sqliteTemplate.err = migratedSQLiteFiles() })
	if sqliteTemplate.err != nil {
		t.Fatalf("migrate the SQLite template: %v", sqliteTemplate.err)
	}
	path := filepath.Join(t.TempDir(), "test.db")
	for suffix, b := range sqliteTemplate.files {
		if err := os.WriteFile(path+suffix, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return "sqlite:" + path
}

// migratedSQLiteFiles migrates a database in a folder of its own, closes it and returns its files; the folder
// is removed at once.
func migratedSQLiteFiles() (map[string][]byte, error) {
	dir, err := os.MkdirTemp("", "blogtest-sqlite-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "test.db")
	ctx := context.Background()
	db, err := database.Open(ctx, "sqlite:"+path)
	if err != nil {
		return nil, err
	}
	err = schema.Up(ctx, db)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(path + suffix)
		if errors.Is(err, os.ErrNotExist) && suffix != "" {
			continue
		}
		if err != nil {
			return nil, err
		}
		files[suffix] = b
	}
	return files, nil
}

var counter atomic.Int64

// LocalPostgres is the server tried when TEST_DATABASE_URL is not set: a PostgreSQL on this machine, as
// `make test` and CI use.
const LocalPostgres = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable&connect_timeout=2"

var (
	localOnce sync.Once
	localOK   bool
)

// serverURL is TEST_DATABASE_URL, or the local PostgreSQL when it answers, or "".
func serverURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	localOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		localOK = database.Reachable(ctx, LocalPostgres)
	})
	if localOK {
		return LocalPostgres
	}
	return ""
}

// server returns the PostgreSQL server's URL, or skips the test without one, except in CI (CI=true), where it
// fails: CI must run every PostgreSQL test.
func server(t testing.TB) string {
	t.Helper()
	base := serverURL()
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("TEST_DATABASE_URL is not set in CI: PostgreSQL tests must run there")
		}
		t.Skip("no PostgreSQL (TEST_DATABASE_URL unset and none on 127.0.0.1:5432); skipping PostgreSQL test")
	}
	return base
}

func newName(kind string) string {
	return fmt.Sprintf("blogtest_%s%d_%d_%d", kind, os.Getpid(), time.Now().UnixNano()%1e9, counter.Add(1))
}

// PostgresURL creates a new, empty PostgreSQL database for this test and returns its URL; it is dropped when the
// test ends. The server is TEST_DATABASE_URL, or the local one when it answers; without either the test is
// skipped, except in CI (CI=true), where it fails: CI must run every PostgreSQL test.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := server(t)
	u, drop, err := database.CreateDatabase(context.Background(), base, newName(""))
	if err != nil {
		t.Fatalf("%v (is PostgreSQL running at %s?)", err, base)
	}
	t.Cleanup(drop)
	return u
}

// pgTemplate is the migrated PostgreSQL database this test binary copies.
var pgTemplate struct {
	mu      sync.Mutex
	name    string // "" until made
	drop    func()
	mainRan bool // Main runs the tests: it will drop the template
}

// MigratedPostgresURL creates a new PostgreSQL database for this test holding the migrated schema and nothing
// else, and returns its URL; it is dropped when the test ends. It is a copy of a template database migrated
// once per test binary, which Main drops when the tests end.
func MigratedPostgresURL(t testing.TB) string {
	t.Helper()
	base := server(t)
	tpl, err := postgresTemplate(base)
	if err != nil {
		t.Fatal(err)
	}
	name := newName("")
	ctx := context.Background()
	admin, err := sql.Open("postgres", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	// The template's own connections (its migration's) may still be closing on the server: PostgreSQL refuses
	// to copy a database someone is connected to, so try again for a while.
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err = admin.ExecContext(ctx, "CREATE DATABASE "+name+" TEMPLATE "+tpl)
		if err == nil {
			break
		}
		if !strings.Contains(err.Error(), "being accessed by other users") || time.Now().After(deadline) {
			t.Fatalf("create database %s from %s: %v", name, tpl, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Cleanup(func() {
		if admin, err := sql.Open("postgres", base); err == nil {
			admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			admin.Close()
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// postgresTemplate returns the name of this binary's migrated template database, making it on first use.
func postgresTemplate(base string) (string, error) {
	pgTemplate.mu.Lock()
	defer pgTemplate.mu.Unlock()
	if pgTemplate.name != "" {
		return pgTemplate.name, nil
	}
	if !pgTemplate.mainRan {
		return "", errors.New("migrated PostgreSQL databases are copies of a template that dbtest.Main drops: " +
			"call it from the package's TestMain (func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) })")
	}
	ctx := context.Background()
	name := newName("tpl_")
	u, drop, err := database.CreateDatabase(ctx, base, name)
	if err != nil {
		return "", fmt.Errorf("%v (is PostgreSQL running at %s?)", err, base)
	}
	db, err := database.Open(ctx, u)
	if err == nil {
		err = schema.Up(ctx, db)
		db.Close()
	}
	if err != nil {
		drop()
		return "", fmt.Errorf("migrate the PostgreSQL template: %w", err)
	}
	pgTemplate.name, pgTemplate.drop = name, drop
	return name, nil
}

// Main runs a package's tests and then drops the PostgreSQL template they copied, if they made one; it returns
// the exit code for os.Exit.
func Main(m *testing.M) int {
	pgTemplate.mu.Lock()
	pgTemplate.mainRan = true
	pgTemplate.mu.Unlock()
	code := m.Run()
	pgTemplate.mu.Lock()
	defer pgTemplate.mu.Unlock()
	if pgTemplate.drop != nil {
		pgTemplate.drop()
		pgTemplate.name, pgTemplate.drop = "", nil
	}
	return code
}

// Postgres opens a migrated PostgreSQL database created for this test.
func Postgres(t testing.TB) *database.DB {
	return open(t, MigratedPostgresURL(t), true)
}

// Each runs fn once against SQLite and once against PostgreSQL, as subtests.
func Each(t *testing.T, fn func(t *testing.T, db *database.DB)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// IsPostgres reports whether rawURL names a PostgreSQL database.
func IsPostgres(rawURL string) bool {
	return strings.HasPrefix(rawURL, "postgres")
}

// WaitAlone waits until no connection is open to the PostgreSQL database at rawURL (nothing for SQLite): a
// connection a closed pool or an ended command used may still be closing on the server for a moment, and a
// command that needs the database to itself (migrate down, restore) refuses while it is there. It fails the test
// if connections stay for 30 s.
func WaitAlone(t testing.TB, rawURL string) {
	t.Helper()
	if !IsPostgres(rawURL) {
		return
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	u.Path = "/postgres"
	admin, err := sql.Open("postgres", u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var n int
		err := admin.QueryRowContext(context.Background(),
			"SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", name).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d connection(s) to %s still open after 30 s", n, name)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
