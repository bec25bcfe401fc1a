package migrations

import "github.com/go-rel/rel"

// MigrateAddCommentPinned records when the owner pinned a conversation's first comment (nil: not pinned): pinned
// comments are shown first, marked as pinned, whatever the order.
func MigrateAddCommentPinned(schema *rel.Schema) {
	schema.AddColumn("comments", "pinned_at", rel.DateTime)
}

// RollbackAddCommentPinned forgets which comments are pinned: they go back to their places.
func RollbackAddCommentPinned(schema *rel.Schema) {
	schema.DropColumn("comments", "pinned_at")
}
