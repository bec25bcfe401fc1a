package migrations

import "github.com/go-rel/rel"

// MigrateCreateOwnerChallenges records the passkey challenges that have been answered, until they expire, so that
// each is accepted once: a captured answer cannot be sent again, on this instance or another.
func MigrateCreateOwnerChallenges(schema *rel.Schema) {
	schema.CreateTable("owner_challenges", func(t *rel.Table) {
		t.BigID("id")
		t.String("challenge_hash", rel.Limit(64), rel.Required(true))
		t.DateTime("expires_at", rel.Required(true))
	})
	schema.CreateUniqueIndex("owner_challenges", "owner_challenges_hash", []string{"challenge_hash"})
	schema.CreateIndex("owner_challenges", "owner_challenges_expiry", []string{"expires_at"})
}

// RollbackCreateOwnerChallenges drops the record of answered passkey challenges.
func RollbackCreateOwnerChallenges(schema *rel.Schema) {
	schema.DropTable("owner_challenges")
}
