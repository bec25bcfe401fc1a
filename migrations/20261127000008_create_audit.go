package migrations

import "github.com/go-rel/rel"

// MigrateCreateAudit creates the audit trail: every action of the owner or of the command line, with its time,
// actor, the comments it touched and their previous states.
func MigrateCreateAudit(schema *rel.Schema) {
	schema.CreateTable("audit", func(t *rel.Table) {
		t.BigID("id")
		t.DateTime("at", rel.Required(true))
		t.String("actor", rel.Limit(16), rel.Required(true))
		t.String("action", rel.Limit(32), rel.Required(true))
		t.Text("comment_ids", rel.Required(true))
		t.Text("previous", rel.Required(true))
		t.Text("detail", rel.Required(true))
	})
}

// RollbackCreateAudit drops the audit trail.
func RollbackCreateAudit(schema *rel.Schema) {
	schema.DropTable("audit")
}
