package migrations

import "github.com/go-rel/rel"

// MigrateAddCommentHTML keeps each comment's text rendered with it: html is what readers see (its Markdown
// rendered and sanitised once, when it is written), html_version the rules it was rendered by (0: not yet; the
// program renders comments of older versions again at start). Nothing a reader requests renders Markdown.
func MigrateAddCommentHTML(schema *rel.Schema) {
	// Written out because go-rel/postgres drops an empty-string default, and existing rows need one.
	schema.Exec(rel.Raw("ALTER TABLE comments ADD COLUMN html TEXT NOT NULL DEFAULT ''"))
	schema.AddColumn("comments", "html_version", rel.Int, rel.Required(true), rel.Default(0))
	schema.CreateIndex("comments", "comments_html_version", []string{"html_version"})
}

// RollbackAddCommentHTML drops the stored renderings; they can be made again from the texts.
func RollbackAddCommentHTML(schema *rel.Schema) {
	schema.DropIndex("comments", "comments_html_version")
	schema.DropColumn("comments", "html_version")
	schema.DropColumn("comments", "html")
}
