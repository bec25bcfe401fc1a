package migrations

import "github.com/go-rel/rel"

// MigrateCreateWebmentions creates webmentions, one row per source and target received: its state in the
// verification queue (pending, then verified, failed or removed), what the source was found to be (a reply, a
// like, a repost or a mention, its author and original address) and, for a reply or a mention, the comment it
// became. Comments gain their origin: the source's address, the author's address on that site and the kind of
// mention ("" for a comment written here).
func MigrateCreateWebmentions(schema *rel.Schema) {
	schema.CreateTable("webmentions", func(t *rel.Table) {
		t.BigID("id")
		t.String("source", rel.Limit(2048), rel.Required(true))
		t.String("target", rel.Limit(2048), rel.Required(true))
		t.BigInt("post_id", rel.Required(true))
		t.String("status", rel.Limit(16), rel.Required(true))
		t.String("kind", rel.Limit(16), rel.Required(true), rel.Default(""))
		t.BigInt("comment_id")
		t.String("author_name", rel.Limit(200), rel.Required(true), rel.Default(""))
		t.String("author_url", rel.Limit(2048), rel.Required(true), rel.Default(""))
		t.String("url", rel.Limit(2048), rel.Required(true), rel.Default(""))
		t.Int("attempts", rel.Required(true), rel.Default(0))
		t.DateTime("next_try_at", rel.Required(true))
		t.String("last_error", rel.Limit(500), rel.Required(true), rel.Default(""))
		t.String("ip_hash", rel.Limit(64), rel.Required(true), rel.Default(""))
		t.String("net_hash", rel.Limit(64), rel.Required(true), rel.Default(""))
		t.DateTime("created_at", rel.Required(true))
		t.DateTime("updated_at", rel.Required(true))
		t.ForeignKey("post_id", "posts", "id")
	})
	schema.CreateIndex("webmentions", "webmentions_source_target", []string{"source", "target"}, rel.Unique(true))
	schema.CreateIndex("webmentions", "webmentions_due", []string{"status", "next_try_at"})
	schema.CreateIndex("webmentions", "webmentions_post", []string{"post_id", "status", "kind"})
	// Written out because go-rel/postgres drops an empty-string default, and the comments already there need one.
	schema.Exec(rel.Raw("ALTER TABLE comments ADD COLUMN source_url VARCHAR(2048) NOT NULL DEFAULT ''"))
	schema.Exec(rel.Raw("ALTER TABLE comments ADD COLUMN author_url VARCHAR(2048) NOT NULL DEFAULT ''"))
	schema.Exec(rel.Raw("ALTER TABLE comments ADD COLUMN mention_kind VARCHAR(16) NOT NULL DEFAULT ''"))
}

// RollbackCreateWebmentions drops the received mentions and the comments' origin: comments that came from
// other sites stay, shown as ordinary comments under their authors' names.
func RollbackCreateWebmentions(schema *rel.Schema) {
	schema.DropColumn("comments", "mention_kind")
	schema.DropColumn("comments", "author_url")
	schema.DropColumn("comments", "source_url")
	schema.DropTable("webmentions")
}
