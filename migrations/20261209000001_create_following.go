package migrations

import "github.com/go-rel/rel"

// MigrateCreateFollowing creates what the blog keeps of the actors it follows: each followed actor with the
// state of its Follow (fed_following: pending until their server accepts, accepted, or rejected) and the newest
// posts they sent (fed_timeline, bounded per actor and in all). Each announced post gains the inbox of the author
// it replies to (fed_posts.reply_inbox), so that its deletion reaches them as its creation did.
func MigrateCreateFollowing(schema *rel.Schema) {
	schema.CreateTable("fed_following", func(t *rel.Table) {
		t.BigID("id")
		t.String("actor_uri", rel.Limit(2048), rel.Required(true))
		t.String("inbox", rel.Limit(2048), rel.Required(true))
		t.String("handle", rel.Limit(200), rel.Required(true), rel.Default(""))
		t.String("name", rel.Limit(200), rel.Required(true), rel.Default(""))
		t.String("profile_url", rel.Limit(2048), rel.Required(true), rel.Default(""))
		t.String("follow_id", rel.Limit(2048), rel.Required(true))
		t.String("state", rel.Limit(16), rel.Required(true))
		t.DateTime("created_at", rel.Required(true))
		t.DateTime("updated_at", rel.Required(true))
	})
	schema.CreateUniqueIndex("fed_following", "fed_following_actor", []string{"actor_uri"})
	schema.CreateTable("fed_timeline", func(t *rel.Table) {
		t.BigID("id")
		t.String("actor_uri", rel.Limit(2048), rel.Required(true))
		t.String("object_uri", rel.Limit(2048), rel.Required(true))
		t.String("url", rel.Limit(2048), rel.Required(true))
		t.String("title", rel.Limit(300), rel.Required(true), rel.Default(""))
		t.Text("summary", rel.Required(true))
		t.String("in_reply_to", rel.Limit(2048), rel.Required(true), rel.Default(""))
		t.DateTime("published", rel.Required(true))
		t.DateTime("created_at", rel.Required(true))
	})
	schema.CreateUniqueIndex("fed_timeline", "fed_timeline_object", []string{"object_uri"})
	schema.CreateIndex("fed_timeline", "fed_timeline_actor", []string{"actor_uri", "id"})
	// Written out because go-rel/postgres drops an empty-string default, and the posts announced already need one.
	schema.Exec(rel.Raw("ALTER TABLE fed_posts ADD COLUMN reply_inbox VARCHAR(2048) NOT NULL DEFAULT ''"))
}

// RollbackCreateFollowing forgets whom the blog follows and what they posted (their servers keep sending until
// they are followed and unfollowed again), and where replies were sent.
func RollbackCreateFollowing(schema *rel.Schema) {
	schema.DropColumn("fed_posts", "reply_inbox")
	schema.DropTable("fed_timeline")
	schema.DropTable("fed_following")
}
