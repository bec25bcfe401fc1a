package migrations

import "github.com/go-rel/rel"

// MigrateAddCommentModerated indexes conversations' published replies, and records when the owner (or the command line, or a ban's sweep) last acted on a
// comment: from then on its author can no longer edit or delete it. Comments whose state changed before, other
// than by their author's own delete, count as acted on.
func MigrateAddCommentModerated(schema *rel.Schema) {
	schema.AddColumn("comments", "moderated_at", rel.DateTime)
	schema.Exec(rel.Raw("UPDATE comments SET moderated_at = state_at WHERE state_at IS NOT NULL AND reason <> 'deleted by its author'"))
	// A conversation's published replies, read and counted from the index alone (pages of "more replies").
	schema.CreateIndex("comments", "comments_thread_state", []string{"thread_id", "state", "id"})
}

// RollbackAddCommentModerated forgets which comments the owner acted on.
func RollbackAddCommentModerated(schema *rel.Schema) {
	schema.DropIndex("comments", "comments_thread_state")
	schema.DropColumn("comments", "moderated_at")
}
