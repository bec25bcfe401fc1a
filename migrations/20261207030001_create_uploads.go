package migrations

import "github.com/go-rel/rel"

// MigrateCreateUploads creates the images the owner uploads, stored in the database so that every instance on
// one database serves them: uploads holds what the console lists (the name, which is a hash of the bytes, the
// type, the size in bytes and pixels, the file's original name and alternative text, and the image it is the
// dark-theme variant of), upload_data the bytes, read only when an image is served.
func MigrateCreateUploads(schema *rel.Schema) {
	schema.CreateTable("uploads", func(t *rel.Table) {
		t.BigID("id")
		t.String("name", rel.Limit(64), rel.Required(true), rel.Unique(true))
		t.String("content_type", rel.Limit(32), rel.Required(true))
		t.BigInt("size", rel.Required(true))
		t.Int("width", rel.Required(true), rel.Default(0))
		t.Int("height", rel.Required(true), rel.Default(0))
		t.String("original", rel.Limit(255), rel.Required(true), rel.Default(""))
		t.String("alt", rel.Limit(500), rel.Required(true), rel.Default(""))
		// dark_of names the upload this one replaces for dark-theme readers ("" for none).
		t.String("dark_of", rel.Limit(64), rel.Required(true), rel.Default(""))
		t.DateTime("created_at", rel.Required(true))
	})
	schema.CreateIndex("uploads", "uploads_dark_of", []string{"dark_of"})
	schema.CreateTable("upload_data", func(t *rel.Table) {
		t.BigID("id")
		t.String("name", rel.Limit(64), rel.Required(true), rel.Unique(true))
		// BYTEA is PostgreSQL's binary type; SQLite takes the name as it takes any and stores the bytes as a
		// BLOB unchanged (rel has no binary column type of its own).
		t.Column("data", rel.ColumnType("BYTEA"), rel.Required(true))
	})
}

// RollbackCreateUploads drops the uploaded images: posts that show one show a broken image.
func RollbackCreateUploads(schema *rel.Schema) {
	schema.DropTable("upload_data")
	schema.DropTable("uploads")
}
