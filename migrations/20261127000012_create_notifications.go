package migrations

import "github.com/go-rel/rel"

// MigrateCreateNotifications adds what email and webhook notifications need: a comment's author may ask to hear
// about replies (notify); subscribers records each address's double opt-in and its unsubscribe; the outbox
// holds every message to send, written before it is sent and marked when it was, so a restart or an outage loses
// nothing and sends nothing twice (dedupe makes one event one message, whichever instance sees it first);
// notify_cursors says how far each post's change feed has been turned into messages.
func MigrateCreateNotifications(schema *rel.Schema) {
	schema.AddColumn("comments", "notify", rel.Bool, rel.Required(true), rel.Default(false))
	schema.CreateTable("subscribers", func(t *rel.Table) {
		t.BigID("id")
		t.String("email", rel.Limit(255), rel.Required(true))
		t.DateTime("confirmed_at")
		t.DateTime("unsubscribed_at")
		t.DateTime("created_at", rel.Required(true))
	})
	schema.CreateUniqueIndex("subscribers", "subscribers_email", []string{"email"})
	schema.CreateTable("outbox", func(t *rel.Table) {
		t.BigID("id")
		t.String("kind", rel.Limit(16), rel.Required(true))
		t.String("topic", rel.Limit(16), rel.Required(true))
		t.String("dedupe", rel.Limit(255), rel.Required(true))
		t.String("recipient", rel.Limit(255), rel.Required(true))
		t.Text("payload", rel.Required(true))
		t.BigInt("comment_id", rel.Required(true))
		t.Int("attempts", rel.Required(true), rel.Default(0))
		t.DateTime("next_at", rel.Required(true))
		t.DateTime("claimed_until")
		t.String("claimed_by", rel.Limit(64))
		t.DateTime("sent_at")
		t.String("delivery", rel.Limit(64))
		t.DateTime("failed_at")
		t.Text("last_error")
		t.DateTime("created_at", rel.Required(true))
	})
	schema.CreateUniqueIndex("outbox", "outbox_dedupe", []string{"dedupe"})
	schema.CreateIndex("outbox", "outbox_due", []string{"sent_at", "next_at"})
	schema.CreateIndex("outbox", "outbox_recipient", []string{"recipient", "sent_at"})
	schema.CreateTable("notify_cursors", func(t *rel.Table) {
		t.BigInt("post_id", rel.Primary(true))
		t.BigInt("seq", rel.Required(true))
	})
	// Notifications start from now: what happened before this version is not announced.
	schema.Exec(rel.Raw("INSERT INTO notify_cursors (post_id, seq) SELECT id, last_seq FROM posts"))
}

// RollbackCreateNotifications removes notifications: subscriptions, unsent messages and the record of sent ones.
func RollbackCreateNotifications(schema *rel.Schema) {
	schema.DropTable("notify_cursors")
	schema.DropTable("outbox")
	schema.DropTable("subscribers")
	schema.DropColumn("comments", "notify")
}
