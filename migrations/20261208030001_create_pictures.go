package migrations

import "github.com/go-rel/rel"

// MigrateCreatePictures creates the pictures fetched from other sites (an author's photo named by a reply sent
// by Webmention), kept in the database so that every instance serves them: pictures holds each one as the blog
// made it (scaled down, encoded again, no metadata), named by a hash of its bytes; picture_sources remembers
// which address gave which picture, so that each address is fetched once.
func MigrateCreatePictures(schema *rel.Schema) {
	schema.CreateTable("pictures", func(t *rel.Table) {
		t.BigID("id")
		t.String("name", rel.Limit(64), rel.Required(true), rel.Unique(true))
		t.String("content_type", rel.Limit(32), rel.Required(true))
		t.Int("width", rel.Required(true))
		t.Int("height", rel.Required(true))
		t.BigInt("size", rel.Required(true))
		// BYTEA is PostgreSQL's binary type; SQLite stores the bytes as a BLOB (as upload_data does).
		t.Column("data", rel.ColumnType("BYTEA"), rel.Required(true))
		t.DateTime("created_at", rel.Required(true))
	})
	schema.CreateTable("picture_sources", func(t *rel.Table) {
		t.BigID("id")
		// url_hash is the SHA-256 of url: a unique key of fixed length, whatever the address's.
		t.String("url_hash", rel.Limit(64), rel.Required(true), rel.Unique(true))
		t.String("url", rel.Limit(2048), rel.Required(true))
		t.String("name", rel.Limit(64), rel.Required(true))
		t.DateTime("fetched_at", rel.Required(true))
	})
	schema.CreateIndex("picture_sources", "picture_sources_name", []string{"name"})
}

// RollbackCreatePictures drops the fetched pictures: comments from other sites show the blog's drawn picture.
func RollbackCreatePictures(schema *rel.Schema) {
	schema.DropTable("picture_sources")
	schema.DropTable("pictures")
}
