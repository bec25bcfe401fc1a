package migrations

import "github.com/go-rel/rel"

// MigrateCreateFederation creates what the blog keeps as an ActivityPub actor: its key pair (fed_keys), the
// remote actors it has read (fed_actors, a cache of their inboxes, keys, names and pictures), its followers
// (fed_followers), the durable queue of activities to deliver, one row per inbox (fed_deliveries), each post's
// last announced state (fed_posts: created once, updated when its content changes, deleted when it goes), the
// objects that became comments or were made of comments (fed_objects) and the likes and boosts of posts
// (fed_reactions). Comments gain the handle of a fediverse author (@user@server).
func MigrateCreateFederation(schema *rel.Schema) {
	schema.CreateTable("fed_keys", func(t *rel.Table) {
		t.BigID("id")
		t.String("name", rel.Limit(64), rel.Required(true))
		t.Text("private_key", rel.Required(true))
		t.DateTime("created_at", rel.Required(true))
	})
	schema.CreateUniqueIndex("fed_keys", "fed_keys_name", []string{"name"})
	schema.CreateTable("fed_actors", func(t *rel.Table) {
		t.BigID("id")
		t.String("uri", rel.Limit(2048), rel.Required(true))
		t.String("inbox", rel.Limit(2048), rel.Required(true))
		t.String("shared_inbox", rel.Limit(2048), rel.Required(true), rel.Default(""))
		t.String("key_id", rel.Limit(2048), rel.Required(true))
		t.Text("public_key", rel.Required(true))
		t.String("name", rel.Limit(200), rel.Required(true), rel.Default(""))
		t.String("handle", rel.Limit(200), rel.Required(true), rel.Default(""))
		t.String("profile_url", rel.Limit(2048), rel.Required(true), rel.Default(""))
		t.String("icon_url", rel.Limit(2048), rel.Required(true), rel.Default(""))
		t.DateTime("fetched_at", rel.Required(true))
	})
	schema.CreateUniqueIndex("fed_actors", "fed_actors_uri", []string{"uri"})
	schema.CreateIndex("fed_actors", "fed_actors_key", []string{"key_id"})
	schema.CreateTable("fed_followers", func(t *rel.Table) {
		t.BigID("id")
		t.String("actor_uri", rel.Limit(2048), rel.Required(true))
		t.String("inbox", rel.Limit(2048), rel.Required(true))
		t.String("shared_inbox", rel.Limit(2048), rel.Required(true), rel.Default(""))
		t.String("domain", rel.Limit(255), rel.Required(true))
		t.String("handle", rel.Limit(200), rel.Required(true), rel.Default(""))
		t.String("follow_id", rel.Limit(2048), rel.Required(true), rel.Default(""))
		t.DateTime("created_at", rel.Required(true))
	})
	schema.CreateUniqueIndex("fed_followers", "fed_followers_actor", []string{"actor_uri"})
	schema.CreateIndex("fed_followers", "fed_followers_domain", []string{"domain"})
	schema.CreateTable("fed_deliveries", func(t *rel.Table) {
		t.BigID("id")
		t.String("inbox", rel.Limit(2048), rel.Required(true))
		t.String("domain", rel.Limit(255), rel.Required(true))
		t.Text("activity", rel.Required(true))
		t.String("status", rel.Limit(16), rel.Required(true))
		t.Int("attempts", rel.Required(true), rel.Default(0))
		t.DateTime("next_try_at", rel.Required(true))
		t.String("last_error", rel.Limit(500), rel.Required(true), rel.Default(""))
		t.DateTime("created_at", rel.Required(true))
	})
	schema.CreateIndex("fed_deliveries", "fed_deliveries_due", []string{"status", "next_try_at"})
	schema.CreateTable("fed_posts", func(t *rel.Table) {
		t.BigID("id")
		t.BigInt("post_id", rel.Required(true))
		t.String("uri", rel.Limit(2048), rel.Required(true))
		t.String("hash", rel.Limit(64), rel.Required(true))
		t.Bool("gone", rel.Required(true), rel.Default(false))
		t.DateTime("created_at", rel.Required(true))
		t.DateTime("updated_at", rel.Required(true))
		t.ForeignKey("post_id", "posts", "id")
	})
	schema.CreateUniqueIndex("fed_posts", "fed_posts_post", []string{"post_id"})
	schema.CreateTable("fed_objects", func(t *rel.Table) {
		t.BigID("id")
		t.String("uri", rel.Limit(2048), rel.Required(true))
		t.BigInt("comment_id", rel.Required(true))
		t.BigInt("post_id", rel.Required(true))
		t.String("actor_uri", rel.Limit(2048), rel.Required(true))
		t.Bool("outgoing", rel.Required(true), rel.Default(false))
		t.DateTime("created_at", rel.Required(true))
	})
	schema.CreateUniqueIndex("fed_objects", "fed_objects_uri", []string{"uri"})
	schema.CreateIndex("fed_objects", "fed_objects_comment", []string{"comment_id"})
	schema.CreateTable("fed_reactions", func(t *rel.Table) {
		t.BigID("id")
		t.String("activity_uri", rel.Limit(2048), rel.Required(true))
		t.String("actor_uri", rel.Limit(2048), rel.Required(true))
		t.String("name", rel.Limit(200), rel.Required(true), rel.Default(""))
		t.BigInt("post_id", rel.Required(true))
		t.String("kind", rel.Limit(16), rel.Required(true))
		t.DateTime("created_at", rel.Required(true))
		t.ForeignKey("post_id", "posts", "id")
	})
	schema.CreateUniqueIndex("fed_reactions", "fed_reactions_activity", []string{"activity_uri"})
	schema.CreateUniqueIndex("fed_reactions", "fed_reactions_actor", []string{"post_id", "actor_uri", "kind"})
	// Written out because go-rel/postgres drops an empty-string default, and the comments already there need one.
	schema.Exec(rel.Raw("ALTER TABLE comments ADD COLUMN author_handle VARCHAR(200) NOT NULL DEFAULT ''"))
}

// RollbackCreateFederation drops everything the blog kept as an ActivityPub actor: its key (a new one is made,
// and followers' servers refuse it until they read the actor again), its followers and the queue. Comments
// that came from the fediverse stay, without their handles.
func RollbackCreateFederation(schema *rel.Schema) {
	schema.DropColumn("comments", "author_handle")
	schema.DropTable("fed_reactions")
	schema.DropTable("fed_objects")
	schema.DropTable("fed_posts")
	schema.DropTable("fed_deliveries")
	schema.DropTable("fed_followers")
	schema.DropTable("fed_actors")
	schema.DropTable("fed_keys")
}
