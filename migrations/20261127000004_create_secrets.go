package migrations

import "github.com/go-rel/rel"

// MigrateCreateSecrets creates the secrets table: server-side keys (such as the one that signs CSRF tokens) that
// every instance sharing the database must agree on.
func MigrateCreateSecrets(schema *rel.Schema) {
	schema.CreateTable("secrets", func(t *rel.Table) {
		t.BigID("id")
		t.String("name", rel.Limit(64), rel.Required(true))
		t.String("value", rel.Limit(255), rel.Required(true))
		t.DateTime("created_at", rel.Required(true))
	})
	schema.CreateUniqueIndex("secrets", "secrets_name_unique", []string{"name"})
}

// RollbackCreateSecrets drops the secrets table.
func RollbackCreateSecrets(schema *rel.Schema) {
	schema.DropTable("secrets")
}
