// Package dbtest opens real, migrated databases for tests: a SQLite file in the test's temporary folder, and a
// fresh PostgreSQL database on the server named by TEST_DATABASE_URL.
package dbtest

import (
	"context"
	"fmt"
	"os"
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
	return open(t, SQLiteURL(t), true)
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

// PostgresURL creates a new, empty PostgreSQL database for this test and returns its URL; it is dropped when the
// test ends. The server is TEST_DATABASE_URL, or the local one when it answers; without either the test is
// skipped, except in CI (CI=true), where it fails: CI must run every PostgreSQL test.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := serverURL()
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("TEST_DATABASE_URL is not set in CI: PostgreSQL tests must run there")
		}
		t.Skip("no PostgreSQL (TEST_DATABASE_URL unset and none on 127.0.0.1:5432); skipping PostgreSQL test")
	}
	name := fmt.Sprintf("blogtest_%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9, counter.Add(1))
	u, drop, err := database.CreateDatabase(context.Background(), base, name)
	if err != nil {
		t.Fatalf("%v (is PostgreSQL running at %s?)", err, base)
	}
	t.Cleanup(drop)
	return u
}

// Postgres opens a migrated PostgreSQL database created for this test.
func Postgres(t testing.TB) *database.DB {
	return open(t, PostgresURL(t), true)
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
