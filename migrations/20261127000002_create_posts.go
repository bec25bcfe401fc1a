package migrations

import "github.com/go-rel/rel"

// MigrateCreatePosts creates the posts table: one row per Markdown post, so comments can reference it.
func MigrateCreatePosts(schema *rel.Schema) {
	schema.CreateTable("posts", func(t *rel.Table) {
		t.BigID("id")
		t.String("slug", rel.Limit(200), rel.Required(true))
		t.String("title", rel.Limit(300), rel.Required(true))
		t.DateTime("created_at", rel.Required(true))
	})
	schema.CreateUniqueIndex("posts", "posts_slug_unique", []string{"slug"})
}

// RollbackCreatePosts drops the posts table.
func RollbackCreatePosts(schema *rel.Schema) {
	schema.DropTable("posts")
}
