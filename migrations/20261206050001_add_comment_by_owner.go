package migrations

import "github.com/go-rel/rel"

// MigrateAddCommentByOwner records which comments the blog's owner wrote while signed in (from the console's reply
// form, or from a post's form with the owner's session): they are shown with an "author" badge. Only the server
// sets it, from the session; a name or an email typed in the form never does.
func MigrateAddCommentByOwner(schema *rel.Schema) {
	schema.AddColumn("comments", "by_owner", rel.Bool, rel.Required(true), rel.Default(false))
}

// RollbackAddCommentByOwner forgets which comments the owner wrote: they stay, without their badge.
func RollbackAddCommentByOwner(schema *rel.Schema) {
	schema.DropColumn("comments", "by_owner")
}
