package migrations

import "github.com/go-rel/rel"

// MigrateAddRepliesAndEdits lets comments answer each other and be edited: parent_id is the comment answered,
// thread_id the top-level comment of the conversation (NULL for a top-level comment), replies the number of
// published replies a top-level comment has (kept by every write, never counted), format how the text is
// written ("text" for the comments from before, "markdown" from now on), and edited_at when its author last
// changed it. comment_versions keeps every earlier text, for the owner.
func MigrateAddRepliesAndEdits(schema *rel.Schema) {
	schema.AddColumn("comments", "parent_id", rel.BigInt)
	schema.AddColumn("comments", "thread_id", rel.BigInt)
	schema.AddColumn("comments", "replies", rel.Int, rel.Required(true), rel.Default(0))
	schema.AddColumn("comments", "format", rel.String, rel.Limit(16), rel.Required(true), rel.Default("text"))
	schema.AddColumn("comments", "edited_at", rel.DateTime)
	schema.CreateIndex("comments", "comments_thread", []string{"thread_id", "id"})
	schema.CreateTable("comment_versions", func(t *rel.Table) {
		t.BigID("id")
		t.BigInt("comment_id", rel.Required(true))
		t.Text("body", rel.Required(true))
		t.String("format", rel.Limit(16), rel.Required(true))
		t.DateTime("replaced_at", rel.Required(true))
	})
	schema.CreateIndex("comment_versions", "comment_versions_comment", []string{"comment_id", "id"})
}

// RollbackAddRepliesAndEdits removes replies, formats and edits again.
func RollbackAddRepliesAndEdits(schema *rel.Schema) {
	schema.DropTable("comment_versions")
	schema.DropIndex("comments", "comments_thread")
	for _, col := range []string{"edited_at", "format", "replies", "thread_id", "parent_id"} {
		schema.DropColumn("comments", col)
	}
}
