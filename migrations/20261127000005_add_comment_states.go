package migrations

import "github.com/go-rel/rel"

// MigrateAddCommentStates gives every comment a moderation state with its reason, the name it was posted under
// (so a later comment with the same email never renames it), keyed hashes of the poster's address and network,
// and the time its state last changed. Existing comments are published and take their author's current name.
func MigrateAddCommentStates(schema *rel.Schema) {
	// Written out because go-rel/postgres drops an empty-string default, and existing rows need one.
	for _, col := range []string{"username VARCHAR(64)", "reason VARCHAR(200)", "ip_hash VARCHAR(64)", "net_hash VARCHAR(64)"} {
		schema.Exec(rel.Raw("ALTER TABLE comments ADD COLUMN " + col + " NOT NULL DEFAULT ''"))
	}
	schema.AddColumn("comments", "state", rel.String, rel.Limit(16), rel.Required(true), rel.Default("published"))
	schema.AddColumn("comments", "state_at", rel.DateTime)
	schema.Exec(rel.Raw("UPDATE comments SET username = (SELECT users.username FROM users WHERE users.id = comments.user_id)"))
	schema.CreateIndex("comments", "comments_state_newest", []string{"state", "id"})
	schema.CreateIndex("comments", "comments_ip_hash", []string{"ip_hash"})
	schema.CreateIndex("comments", "comments_net_hash", []string{"net_hash"})
}

// RollbackAddCommentStates removes those columns again (the names stay on the users table).
func RollbackAddCommentStates(schema *rel.Schema) {
	schema.DropIndex("comments", "comments_state_newest")
	schema.DropIndex("comments", "comments_ip_hash")
	schema.DropIndex("comments", "comments_net_hash")
	for _, col := range []string{"state_at", "net_hash", "ip_hash", "reason", "state", "username"} {
		schema.DropColumn("comments", col)
	}
}
