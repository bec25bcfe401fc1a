package database_test

import (
	"testing"

	"blog/database"
)

// FuzzParseURL checks that reading any DATABASE_URL never panics, and that what it accepts names PostgreSQL or
// a SQLite file with a path.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"", "app.db", "sqlite:/data/app.db", "file:x.db?mode=ro", "postgres://u@h/db",
		"mysql://x", ":memory:", "sqlite:", "C:\\blog.db", "http://evil"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		loc, err := database.ParseURL(raw)
		if err != nil {
			return
		}
		switch loc.Dialect {
		case database.Postgres:
			if loc.URL != raw {
				t.Fatalf("postgres URL changed: %q", loc.URL)
			}
		case database.SQLite:
			if loc.Path == "" || loc.Path == ":memory:" {
				t.Fatalf("%q accepted as SQLite path %q", raw, loc.Path)
			}
		default:
			t.Fatalf("unknown dialect for %q", raw)
		}
	})
}
