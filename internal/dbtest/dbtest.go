// Package dbtest opens real, migrated databases for tests: a SQLite file in the test's temporary folder, and a
// fresh PostgreSQL database on the server named by TEST_DATABASE_URL.
package dbtest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"blog/dbschema"
	"blog/repo"
)

// SQLiteURL returns the URL of a new, empty SQLite file in t's temporary folder.
func SQLiteURL(t testing.TB) string {
	return "sqlite:" + t.TempDir() + "/test.db"
}

// SQLite opens a migrated SQLite database in a new file.
func SQLite(t testing.TB) *repo.DB {
	return open(t, SQLiteURL(t), true)
}

// Open opens the database at rawURL, migrated when migrate is set, and closes it when the test ends.
func Open(t testing.TB, rawURL string, migrate bool) *repo.DB {
	return open(t, rawURL, migrate)
}

func open(t testing.TB, rawURL string, migrate bool) *repo.DB {
	t.Helper()
	ctx := context.Background()
	db, err := repo.Open(ctx, rawURL)
	if err != nil {
		t.Fatalf("open %s: %v", rawURL, err)
	}
	t.Cleanup(func() { db.Close() })
	if migrate {
		if err := dbschema.Up(ctx, db); err != nil {
			t.Fatalf("migrate: %v", err)
		}
	}
	return db
}

var counter atomic.Int64

// PostgresURL creates a new, empty PostgreSQL database for this test and returns its URL; it is dropped when the
// test ends. Without TEST_DATABASE_URL the test is skipped, except in CI (CI=true), where it fails: CI must run
// every PostgreSQL test.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("TEST_DATABASE_URL is not set in CI: PostgreSQL tests must run there")
		}
		t.Skip("TEST_DATABASE_URL not set; skipping PostgreSQL test")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	defer admin.Close()
	name := fmt.Sprintf("blogtest_%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9, counter.Add(1))
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create database (is PostgreSQL running at %s?): %v", base, err)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse TEST_DATABASE_URL: %v", err)
	}
	u.Path = "/" + name
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer admin.Close()
		admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	})
	return u.String()
}

// Postgres opens a migrated PostgreSQL database created for this test.
func Postgres(t testing.TB) *repo.DB {
	return open(t, PostgresURL(t), true)
}

// Each runs fn once against SQLite and once against PostgreSQL, as subtests.
func Each(t *testing.T, fn func(t *testing.T, db *repo.DB)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// IsPostgres reports whether rawURL names a PostgreSQL database.
func IsPostgres(rawURL string) bool {
	return strings.HasPrefix(rawURL, "postgres")
}
