package database

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"regexp"
)

var scratchName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// CreateDatabase creates an empty PostgreSQL database named name on the server that serverURL connects to, and
// returns its URL and a function that drops it (for tests and benchmarks, which each need a fresh database).
func CreateDatabase(ctx context.Context, serverURL, name string) (string, func(), error) {
	if !scratchName.MatchString(name) {
		return "", nil, fmt.Errorf("database name %q: want lower-case letters, digits and _", name)
	}
	admin, err := sql.Open("postgres", postgresDSN(serverURL))
	if err != nil {
		return "", nil, err
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", nil, fmt.Errorf("create database %s: %w", name, err)
	}
	u, err := url.Parse(serverURL)
	if err != nil {
		return "", nil, err
	}
	u.Path = "/" + name
	drop := func() {
		if admin, err := sql.Open("postgres", postgresDSN(serverURL)); err == nil {
			admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			admin.Close()
		}
	}
	return u.String(), drop, nil
}

// Reachable reports whether a PostgreSQL server answers at serverURL.
func Reachable(ctx context.Context, serverURL string) bool {
	db, err := sql.Open("postgres", postgresDSN(serverURL))
	if err != nil {
		return false
	}
	defer db.Close()
	return db.PingContext(ctx) == nil
}
