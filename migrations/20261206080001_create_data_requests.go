package migrations

import "github.com/go-rel/rel"

// MigrateCreateDataRequests creates data_requests: one row per request a visitor makes for a link to what the
// blog holds about an email address, kept a day so that the bounds (per mailbox, per client address, per
// network) count every request alike, whether the address has commented or not. It holds keyed hashes only,
// never the address typed or the client's address.
func MigrateCreateDataRequests(schema *rel.Schema) {
	schema.CreateTable("data_requests", func(t *rel.Table) {
		t.BigID("id")
		t.String("mailbox_hash", rel.Limit(64), rel.Required(true))
		t.String("ip_hash", rel.Limit(64), rel.Required(true))
		t.String("net_hash", rel.Limit(64), rel.Required(true))
		t.DateTime("created_at", rel.Required(true))
	})
	schema.CreateIndex("data_requests", "data_requests_created", []string{"created_at"})
}

// RollbackCreateDataRequests drops data_requests: the day's request counts start again from zero.
func RollbackCreateDataRequests(schema *rel.Schema) {
	schema.DropTable("data_requests")
}
