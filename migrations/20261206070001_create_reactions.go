package migrations

import "github.com/go-rel/rel"

// reactionColumns are the counts of each kind of reaction kept on a comment's and a post's row (and their sum,
// reactions, by which "top" orders conversations), so no page ever counts reactions.
var reactionColumns = []string{"reactions", "react_like", "react_love", "react_laugh", "react_hooray", "react_thinking"}

// MigrateCreateReactions adds readers' reactions: each one a row of reactions (which browser, on which post or
// comment, which kind, from which address's hashes, when, and when it was taken back), and the counts on the
// comments' and posts' rows that every page shows.
func MigrateCreateReactions(schema *rel.Schema) {
	schema.CreateTable("reactions", func(t *rel.Table) {
		t.BigID("id")
		t.BigInt("post_id", rel.Required(true))
		// comment_id is 0 for a reaction to the post itself (0, not NULL, so the reader's lookup is one equality).
		t.BigInt("comment_id", rel.Required(true), rel.Default(0))
		t.String("kind", rel.Limit(16), rel.Required(true))
		t.String("reader", rel.Limit(64), rel.Required(true))
		t.String("ip_hash", rel.Limit(64), rel.Required(true), rel.Default(""))
		t.String("net_hash", rel.Limit(64), rel.Required(true), rel.Default(""))
		t.DateTime("created_at", rel.Required(true))
		t.DateTime("withdrawn_at")
	})
	schema.CreateIndex("reactions", "reactions_reader", []string{"reader", "post_id", "comment_id", "kind"})
	schema.CreateIndex("reactions", "reactions_ip_recent", []string{"ip_hash", "created_at"})
	schema.CreateIndex("reactions", "reactions_net_recent", []string{"net_hash", "created_at"})
	for _, table := range []string{"comments", "posts"} {
		for _, col := range reactionColumns {
			schema.AddColumn(table, col, rel.Int, rel.Required(true), rel.Default(0))
		}
	}
}

// RollbackCreateReactions forgets every reaction and the counts shown beside comments and posts.
func RollbackCreateReactions(schema *rel.Schema) {
	for _, table := range []string{"posts", "comments"} {
		for _, col := range reactionColumns {
			schema.DropColumn(table, col)
		}
	}
	schema.DropTable("reactions")
}
