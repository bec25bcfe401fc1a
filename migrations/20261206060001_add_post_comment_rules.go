package migrations

import "github.com/go-rel/rel"

// MigrateAddPostCommentRules records whether a post takes comments: comments_closed is what its file says
// (`comments: closed` in front matter), comments_close_at when COMMENTS_CLOSE_AFTER closes it (its date plus that
// time), comments_override the owner's own choice from the console or the command line ("open", "closed", or ""
// to follow the file and the time), and comments_closed_noted the state last announced in the post's change feed,
// so that a post closing when its time passes is announced once, by one instance.
func MigrateAddPostCommentRules(schema *rel.Schema) {
	schema.AddColumn("posts", "comments_closed", rel.Bool, rel.Required(true), rel.Default(false))
	schema.AddColumn("posts", "comments_close_at", rel.DateTime)
	// Written out because go-rel/postgres drops an empty-string default, and the posts already there need one.
	schema.Exec(rel.Raw("ALTER TABLE posts ADD COLUMN comments_override VARCHAR(8) NOT NULL DEFAULT ''"))
	schema.AddColumn("posts", "comments_closed_noted", rel.Bool, rel.Required(true), rel.Default(false))
}

// RollbackAddPostCommentRules forgets which posts are closed: every post takes comments again.
func RollbackAddPostCommentRules(schema *rel.Schema) {
	schema.DropColumn("posts", "comments_closed_noted")
	schema.DropColumn("posts", "comments_override")
	schema.DropColumn("posts", "comments_close_at")
	schema.DropColumn("posts", "comments_closed")
}
