// Package migrations holds the blog's schema history as go-rel migration functions, one file per version.
// Files here are append-only: never edit one that has shipped; add a new version instead.
package migrations

import "github.com/go-rel/rel"

// MigrateCreateUsers creates the users table. Emails are stored in lower case, so the unique index makes them
// unique regardless of letter case.
func MigrateCreateUsers(schema *rel.Schema) {
	schema.CreateTable("users", func(t *rel.Table) {
		t.BigID("id")
		t.String("username", rel.Limit(64), rel.Required(true))
		t.String("email", rel.Limit(120), rel.Required(true))
		t.DateTime("created_at", rel.Required(true))
	})
	schema.CreateUniqueIndex("users", "users_email_unique", []string{"email"})
}

// RollbackCreateUsers drops the users table.
func RollbackCreateUsers(schema *rel.Schema) {
	schema.DropTable("users")
}
