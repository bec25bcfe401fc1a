package migrations

import (
	"context"

	"github.com/go-rel/rel"
)

// emptyDefaults are the text columns added to tables that already had rows, with "" as their default. Before
// their migrations wrote the SQL out, go-rel/postgres left the default out: a PostgreSQL blog that added them to
// empty tables has them without one, and a statement that does not name them fails there and not on SQLite.
var emptyDefaults = [][2]string{
	{"posts", "comments_override"},
	{"comments", "source_url"},
	{"comments", "author_url"},
	{"comments", "mention_kind"},
}

// MigrateSetEmptyDefaults gives those columns their default on PostgreSQL (SQLite kept it all along).
func MigrateSetEmptyDefaults(schema *rel.Schema) {
	schema.Do(func(ctx context.Context, r rel.Repository) error {
		var pg []string
		for _, c := range emptyDefaults {
			pg = append(pg, "ALTER TABLE "+c[0]+" ALTER COLUMN "+c[1]+" SET DEFAULT ''")
		}
		return execAll(ctx, r, nil, pg)
	})
}

// RollbackSetEmptyDefaults leaves the defaults: the columns' earlier migrations meant them.
func RollbackSetEmptyDefaults(schema *rel.Schema) {
	schema.Do(func(context.Context, rel.Repository) error { return nil })
}
