package migrations

import "github.com/go-rel/rel"

// MigrateCreateNewsletter adds posts by email: newsletter_subscribers holds each mailbox that asked for new
// posts (double opt-in: confirmed_at is set by the signed link's page, unsubscribed_at by any mail's link);
// newsletter_posts records, once for the whole blog, that a post was announced, with the mail every subscriber
// of that moment is sent (the outbox rows name it instead of holding ten thousand copies); newsletter_requests
// keeps a day of subscribe requests as keyed hashes of the client's address and network, for the bounds;
// newsletter_start holds when the feature first ran, so the posts from before it are never mailed.
func MigrateCreateNewsletter(schema *rel.Schema) {
	schema.CreateTable("newsletter_subscribers", func(t *rel.Table) {
		t.BigID("id")
		t.String("email", rel.Limit(255), rel.Required(true))
		t.String("mailbox", rel.Limit(255), rel.Required(true))
		t.String("source", rel.Limit(32), rel.Required(true))
		t.DateTime("confirmed_at")
		t.DateTime("unsubscribed_at")
		t.DateTime("created_at", rel.Required(true))
	})
	schema.CreateUniqueIndex("newsletter_subscribers", "newsletter_subscribers_mailbox", []string{"mailbox"})
	schema.CreateTable("newsletter_posts", func(t *rel.Table) {
		t.BigInt("post_id", rel.Primary(true))
		t.String("slug", rel.Limit(255), rel.Required(true))
		t.String("subject", rel.Limit(400), rel.Required(true))
		t.Text("text", rel.Required(true))
		t.Text("html", rel.Required(true))
		t.Int("recipients", rel.Required(true), rel.Default(0))
		t.DateTime("announced_at", rel.Required(true))
	})
	schema.CreateTable("newsletter_requests", func(t *rel.Table) {
		t.BigID("id")
		t.String("ip_hash", rel.Limit(64), rel.Required(true))
		t.String("net_hash", rel.Limit(64), rel.Required(true))
		t.DateTime("created_at", rel.Required(true))
	})
	schema.CreateIndex("newsletter_requests", "newsletter_requests_created", []string{"created_at"})
	schema.CreateTable("newsletter_start", func(t *rel.Table) {
		t.Int("id", rel.Primary(true))
		t.DateTime("started_at", rel.Required(true))
	})
}

// RollbackCreateNewsletter removes posts by email: the subscribers, the record of announced posts (mail already
// queued is still sent) and when the feature started.
func RollbackCreateNewsletter(schema *rel.Schema) {
	schema.DropTable("newsletter_start")
	schema.DropTable("newsletter_requests")
	schema.DropTable("newsletter_posts")
	schema.DropTable("newsletter_subscribers")
}
