package migrations

import "github.com/go-rel/rel"

// MigrateCreateOwner creates what the owner signs in with: credentials (an Argon2id password hash or a passkey),
// sessions (stored as hashes of their random ids, so they work across instances and survive restarts) and
// one-time setup tokens (also hashed).
func MigrateCreateOwner(schema *rel.Schema) {
	schema.CreateTable("owner_credentials", func(t *rel.Table) {
		t.BigID("id")
		t.String("kind", rel.Limit(16), rel.Required(true))
		t.String("name", rel.Limit(100), rel.Required(true))
		t.Text("secret", rel.Required(true))
		t.DateTime("created_at", rel.Required(true))
		t.DateTime("used_at")
	})
	schema.CreateTable("owner_sessions", func(t *rel.Table) {
		t.BigID("id")
		t.String("token_hash", rel.Limit(64), rel.Required(true))
		t.String("method", rel.Limit(16), rel.Required(true))
		t.DateTime("created_at", rel.Required(true))
		t.DateTime("seen_at", rel.Required(true))
		t.DateTime("expires_at", rel.Required(true))
	})
	schema.CreateUniqueIndex("owner_sessions", "owner_sessions_token", []string{"token_hash"})
	schema.CreateTable("owner_tokens", func(t *rel.Table) {
		t.BigID("id")
		t.String("token_hash", rel.Limit(64), rel.Required(true))
		t.DateTime("created_at", rel.Required(true))
	})
	schema.CreateUniqueIndex("owner_tokens", "owner_tokens_hash", []string{"token_hash"})
}

// RollbackCreateOwner drops the owner's credentials, sessions and setup tokens.
func RollbackCreateOwner(schema *rel.Schema) {
	schema.DropTable("owner_tokens")
	schema.DropTable("owner_sessions")
	schema.DropTable("owner_credentials")
}
