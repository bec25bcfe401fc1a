package migrations

import "github.com/go-rel/rel"

// MigrateAddWritingInReplyTo keeps the post elsewhere a desk post answers (its front matter's in_reply_to).
func MigrateAddWritingInReplyTo(schema *rel.Schema) {
	// Written out because go-rel/postgres drops an empty-string default, and existing rows need one.
	schema.Exec(rel.Raw("ALTER TABLE writings ADD COLUMN in_reply_to VARCHAR(2048) NOT NULL DEFAULT ''"))
}

// RollbackAddWritingInReplyTo forgets what desk posts answer: they are posts of their own.
func RollbackAddWritingInReplyTo(schema *rel.Schema) {
	schema.DropColumn("writings", "in_reply_to")
}
