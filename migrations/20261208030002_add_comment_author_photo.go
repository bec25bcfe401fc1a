package migrations

import "github.com/go-rel/rel"

// MigrateAddCommentAuthorPhoto gives comments from other sites their author's picture: the blog's own address
// of its copy (/media/p/NAME, table pictures), "" for none and for every comment written here.
func MigrateAddCommentAuthorPhoto(schema *rel.Schema) {
	schema.AddColumn("comments", "author_photo", rel.String, rel.Limit(128), rel.Required(true), rel.Default(""))
}

// RollbackAddCommentAuthorPhoto drops the reference: comments from other sites show the blog's drawn picture.
func RollbackAddCommentAuthorPhoto(schema *rel.Schema) {
	schema.DropColumn("comments", "author_photo")
}
