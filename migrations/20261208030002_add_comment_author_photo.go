package migrations

import "github.com/go-rel/rel"

// MigrateAddCommentAuthorPhoto gives comments from other sites their author's picture: the blog's own address
// of its copy (/media/p/NAME, table pictures), "" for none and for every comment written here.
func MigrateAddCommentAuthorPhoto(schema *rel.Schema) {
	// Written out because go-rel/postgres drops an empty-string default, and existing rows need one.
	schema.Exec(rel.Raw("ALTER TABLE comments ADD COLUMN author_photo VARCHAR(128) NOT NULL DEFAULT ''"))
}

// RollbackAddCommentAuthorPhoto drops the reference: comments from other sites show the blog's drawn picture.
func RollbackAddCommentAuthorPhoto(schema *rel.Schema) {
	schema.DropColumn("comments", "author_photo")
}
