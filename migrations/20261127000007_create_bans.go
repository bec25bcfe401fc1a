package migrations

import "github.com/go-rel/rel"

// MigrateCreateBans creates the bans: by email, by email domain, by address or by network. Addresses are kept
// only as keyed hashes (the same ones stored with comments), never in the clear; label says what the owner
// banned in words.
func MigrateCreateBans(schema *rel.Schema) {
	schema.CreateTable("bans", func(t *rel.Table) {
		t.BigID("id")
		t.String("kind", rel.Limit(16), rel.Required(true))
		t.String("value", rel.Limit(255), rel.Required(true))
		t.String("label", rel.Limit(255), rel.Required(true))
		t.DateTime("created_at", rel.Required(true))
	})
	schema.CreateUniqueIndex("bans", "bans_kind_value", []string{"kind", "value"})
}

// RollbackCreateBans drops the bans.
func RollbackCreateBans(schema *rel.Schema) {
	schema.DropTable("bans")
}
