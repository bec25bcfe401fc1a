package migrations

import "github.com/go-rel/rel"

// MigrateCreateWritings adds the posts (and pages) written in the owner's desk: each one a row of writings holding the copy
// the owner is working on (its front-matter fields and Markdown body), the document readers are served once it is
// published (live), when it appears (publish_at: nil for a draft, a future time for a scheduled post), when it
// was deleted (kept for PURGE_AFTER), and the posts row that anchors its comments and change feed; every saved
// version of it is a row of writing_versions, the whole document as a Markdown file would hold it.
func MigrateCreateWritings(schema *rel.Schema) {
	schema.CreateTable("writings", func(t *rel.Table) {
		t.BigID("id")
		t.BigInt("post_id", rel.Required(true))
		// kind is "post" or "page"; page_order is a page's place in the navigation.
		t.String("kind", rel.Limit(8), rel.Required(true), rel.Default("post"))
		t.Int("page_order", rel.Required(true), rel.Default(0))
		t.String("slug", rel.Limit(100), rel.Required(true))
		t.String("title", rel.Limit(300), rel.Required(true), rel.Default(""))
		t.DateTime("date")
		t.String("summary", rel.Limit(1000), rel.Required(true), rel.Default(""))
		t.String("tags", rel.Limit(1000), rel.Required(true), rel.Default(""))
		t.String("image", rel.Limit(1000), rel.Required(true), rel.Default(""))
		t.String("comments", rel.Limit(8), rel.Required(true), rel.Default(""))
		t.Text("body", rel.Required(true))
		t.Text("live", rel.Required(true))
		t.DateTime("publish_at")
		t.DateTime("first_published_at")
		t.DateTime("removed_at")
		t.Int("revision", rel.Required(true), rel.Default(0))
		t.DateTime("created_at", rel.Required(true))
		t.DateTime("updated_at", rel.Required(true))
	})
	schema.CreateIndex("writings", "writings_slug", []string{"kind", "slug"}, rel.Unique(true))
	schema.CreateIndex("writings", "writings_post", []string{"post_id"}, rel.Unique(true))
	schema.CreateTable("writing_versions", func(t *rel.Table) {
		t.BigID("id")
		t.BigInt("writing_id", rel.Required(true))
		t.String("kind", rel.Limit(16), rel.Required(true))
		t.Text("document", rel.Required(true))
		t.DateTime("saved_at", rel.Required(true))
	})
	schema.CreateIndex("writing_versions", "writing_versions_writing", []string{"writing_id", "id"})
}

// RollbackCreateWritings forgets every post written in the desk and its versions (their posts rows and comments
// stay, as a removed file's do).
func RollbackCreateWritings(schema *rel.Schema) {
	schema.DropTable("writing_versions")
	schema.DropTable("writings")
}
