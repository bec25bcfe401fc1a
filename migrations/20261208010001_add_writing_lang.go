package migrations

import "github.com/go-rel/rel"

// MigrateAddWritingLang keeps the language a desk post declares (its front matter's lang; empty: the blog's).
func MigrateAddWritingLang(schema *rel.Schema) {
	// Written out because go-rel/postgres drops an empty-string default, and existing rows need one.
	schema.Exec(rel.Raw("ALTER TABLE writings ADD COLUMN lang VARCHAR(35) NOT NULL DEFAULT ''"))
}

// RollbackAddWritingLang forgets the desk posts' languages: they speak the blog's.
func RollbackAddWritingLang(schema *rel.Schema) {
	schema.DropColumn("writings", "lang")
}
