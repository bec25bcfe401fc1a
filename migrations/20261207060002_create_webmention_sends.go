package migrations

import "github.com/go-rel/rel"

// MigrateCreateWebmentionSends creates webmention_sends, one row per post (source) and page it links to
// (target): whether the post links to it now (linked), the version of the post last queued for it
// (content_hash), and the notification's state in the outbox (pending with its next try, then sent, none when
// the page advertises no endpoint, or failed), so that a link added, kept through an update or removed is
// notified once per change, by one instance, with retries.
func MigrateCreateWebmentionSends(schema *rel.Schema) {
	schema.CreateTable("webmention_sends", func(t *rel.Table) {
		t.BigID("id")
		t.String("source", rel.Limit(2048), rel.Required(true))
		t.String("target", rel.Limit(2048), rel.Required(true))
		t.Bool("linked", rel.Required(true))
		t.String("content_hash", rel.Limit(64), rel.Required(true))
		t.String("status", rel.Limit(16), rel.Required(true))
		t.Int("attempts", rel.Required(true), rel.Default(0))
		t.DateTime("next_try_at", rel.Required(true))
		t.Int("answer", rel.Required(true), rel.Default(0))
		t.String("endpoint", rel.Limit(2048), rel.Required(true), rel.Default(""))
		t.String("last_error", rel.Limit(500), rel.Required(true), rel.Default(""))
		t.DateTime("created_at", rel.Required(true))
		t.DateTime("updated_at", rel.Required(true))
	})
	schema.CreateIndex("webmention_sends", "webmention_sends_source_target", []string{"source", "target"}, rel.Unique(true))
	schema.CreateIndex("webmention_sends", "webmention_sends_due", []string{"status", "next_try_at"})
}

// RollbackCreateWebmentionSends drops the record of Webmentions sent: after it, every link of every post is
// notified again at the next start.
func RollbackCreateWebmentionSends(schema *rel.Schema) {
	schema.DropTable("webmention_sends")
}
