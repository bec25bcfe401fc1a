package migrations

import "github.com/go-rel/rel"

// MigrateCreateImports remembers which comment of which other system each imported comment came from
// ("disqus:299619020"), so that importing the same file again adds nothing and a later file adds only what is
// new. No foreign key: the record outlives a comment purged for good, so a re-import does not bring it back.
func MigrateCreateImports(schema *rel.Schema) {
	schema.CreateTable("imported_comments", func(t *rel.Table) {
		t.BigID("id")
		t.String("source_key", rel.Limit(255), rel.Required(true))
		t.BigInt("comment_id", rel.Required(true))
		t.DateTime("imported_at", rel.Required(true))
	})
	schema.CreateUniqueIndex("imported_comments", "imported_comments_key", []string{"source_key"})
	schema.CreateIndex("imported_comments", "imported_comments_comment", []string{"comment_id"})
}

// RollbackCreateImports forgets where imported comments came from (the comments stay).
func RollbackCreateImports(schema *rel.Schema) {
	schema.DropTable("imported_comments")
}
