package migrations

import "github.com/go-rel/rel"

// MigrateCreateComments creates the comments table with foreign keys to its post and author, and the index that
// serves "comments of a post, newest first" (ids grow with time).
func MigrateCreateComments(schema *rel.Schema) {
	schema.CreateTable("comments", func(t *rel.Table) {
		t.BigID("id")
		t.BigInt("post_id", rel.Required(true))
		t.BigInt("user_id", rel.Required(true))
		t.Text("body", rel.Required(true))
		t.DateTime("created_at", rel.Required(true))
		t.ForeignKey("post_id", "posts", "id")
		t.ForeignKey("user_id", "users", "id")
	})
	schema.CreateIndex("comments", "comments_post_newest", []string{"post_id", "id"})
	schema.CreateIndex("comments", "comments_user", []string{"user_id"})
}

// RollbackCreateComments drops the comments table.
func RollbackCreateComments(schema *rel.Schema) {
	schema.DropTable("comments")
}
