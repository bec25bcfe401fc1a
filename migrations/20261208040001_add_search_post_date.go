package migrations

import "github.com/go-rel/rel"

// MigrateAddSearchPostDate keeps each indexed post's date beside its text, so that a search can show a post from
// the index alone: one the desk has just published is found before any instance has read the content again.
// Rows already there get their date when the content next loads (their text's hash includes it).
func MigrateAddSearchPostDate(schema *rel.Schema) {
	schema.AddColumn("search_posts", "date", rel.DateTime)
}

// RollbackAddSearchPostDate drops the dates again; results then take them from the content.
func RollbackAddSearchPostDate(schema *rel.Schema) {
	schema.DropColumn("search_posts", "date")
}
