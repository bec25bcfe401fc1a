package migrations

import "github.com/go-rel/rel"

// MigrateCreateChanges creates the change feed: one row for every change to what a post page shows (a comment
// added, approved, removed, restored, edited), written in the same transaction as the change, numbered by an
// increasing sequence per post. Posts keep their newest sequence and their count of published comments, so
// neither is ever counted. Live streams, caches and reconnecting readers all read this feed.
func MigrateCreateChanges(schema *rel.Schema) {
	schema.CreateTable("changes", func(t *rel.Table) {
		t.BigID("id")
		t.BigInt("post_id", rel.Required(true))
		t.BigInt("seq", rel.Required(true))
		// No foreign key: a comment purged for good keeps its place in the feed (it reads as removed).
		t.BigInt("comment_id", rel.Required(true))
		t.String("kind", rel.Limit(16), rel.Required(true))
		t.DateTime("created_at", rel.Required(true))
		t.ForeignKey("post_id", "posts", "id")
	})
	schema.CreateUniqueIndex("changes", "changes_post_seq", []string{"post_id", "seq"})
	schema.AddColumn("posts", "last_seq", rel.BigInt, rel.Required(true), rel.Default(0))
	schema.AddColumn("posts", "comment_count", rel.Int, rel.Required(true), rel.Default(0))
	schema.Exec(rel.Raw("UPDATE posts SET comment_count = (SELECT COUNT(*) FROM comments WHERE comments.post_id = posts.id AND comments.state = 'published')"))
}

// RollbackCreateChanges drops the feed and the posts' counters.
func RollbackCreateChanges(schema *rel.Schema) {
	schema.DropColumn("posts", "comment_count")
	schema.DropColumn("posts", "last_seq")
	schema.DropTable("changes")
}
