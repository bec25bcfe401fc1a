// Package schema applies, rolls back and reports the blog's migrations. It holds the one ordered list of
// migrations/ versions, and the only recover in the code base: go-rel/migration panics by design, and this package
// turns those panics into errors.
//
// The list lives here rather than in cmd/web so that tests of every layer can build the real schema.
package schema

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"

	"github.com/go-rel/migration"
	"github.com/go-rel/rel"

	"blog/database"
	"blog/migrations"
)

// step is one registered migration.
type step struct {
	version  int
	name     string
	up, down func(*rel.Schema)
	// loses says what rolling the step back destroys: the tables whose rows (or some of whose columns) go.
	loses []Loss
}

// Loss is data a rollback destroys: what, in words, and the table whose rows hold it.
type Loss struct {
	What  string
	Table string
}

// steps is the schema history, oldest first. Append new versions; never edit or reorder shipped ones.
var steps = []step{
	{20261127000001, "create_users", migrations.MigrateCreateUsers, migrations.RollbackCreateUsers,
		[]Loss{{"every commenter (table users)", "users"}}},
	{20261127000002, "create_posts", migrations.MigrateCreatePosts, migrations.RollbackCreatePosts,
		[]Loss{{"every post's row (table posts)", "posts"}}},
	{20261127000003, "create_comments", migrations.MigrateCreateComments, migrations.RollbackCreateComments,
		[]Loss{{"every comment (table comments)", "comments"}}},
	{20261127000004, "create_secrets", migrations.MigrateCreateSecrets, migrations.RollbackCreateSecrets,
		[]Loss{{"the site's keys (table secrets): visitors' tokens and address hashes stop matching", "secrets"}}},
	{20261127000005, "add_comment_states", migrations.MigrateAddCommentStates, migrations.RollbackAddCommentStates,
		[]Loss{{"every comment's state, reason, own name and address hashes (held, spam and deleted comments become visible)", "comments"}}},
	{20261127000006, "create_changes", migrations.MigrateCreateChanges, migrations.RollbackCreateChanges,
		[]Loss{{"the change feed (table changes)", "changes"}}},
	{20261127000007, "create_bans", migrations.MigrateCreateBans, migrations.RollbackCreateBans,
		[]Loss{{"every ban (table bans)", "bans"}}},
	{20261127000008, "create_audit", migrations.MigrateCreateAudit, migrations.RollbackCreateAudit,
		[]Loss{{"the audit trail (table audit)", "audit"}}},
	{20261127000009, "create_owner", migrations.MigrateCreateOwner, migrations.RollbackCreateOwner,
		[]Loss{{"the owner's passwords and passkeys (table owner_credentials)", "owner_credentials"},
			{"the owner's sessions (table owner_sessions)", "owner_sessions"}}},
	{20261127000010, "add_replies_and_edits", migrations.MigrateAddRepliesAndEdits, migrations.RollbackAddRepliesAndEdits,
		[]Loss{{"every comment's place in its conversation, format and edit time", "comments"},
			{"the earlier versions of edited comments (table comment_versions)", "comment_versions"}}},
	{20261127000011, "create_imports", migrations.MigrateCreateImports, migrations.RollbackCreateImports,
		[]Loss{{"where imported comments came from (table imported_comments): importing the same file again would add them twice", "imported_comments"}}},
	{20261127000012, "create_notifications", migrations.MigrateCreateNotifications, migrations.RollbackCreateNotifications,
		[]Loss{{"each comment's choice to hear about replies (column comments.notify)", "comments"},
			{"confirmed and unsubscribed addresses (table subscribers)", "subscribers"},
			{"unsent messages and the record of sent ones (table outbox)", "outbox"}}},
	{20261206000001, "add_comment_html", migrations.MigrateAddCommentHTML, migrations.RollbackAddCommentHTML,
		[]Loss{{"each comment's stored rendering (made again from its text at the next start)", "comments"}}},
	{20261206000002, "add_comment_moderated", migrations.MigrateAddCommentModerated, migrations.RollbackAddCommentModerated,
		[]Loss{{"which comments the owner acted on (their authors could edit or delete them again)", "comments"}}},
	{20261206010001, "create_owner_challenges", migrations.MigrateCreateOwnerChallenges, migrations.RollbackCreateOwnerChallenges,
		[]Loss{{"the record of answered passkey challenges (table owner_challenges): an answer from the last few minutes could be sent again", "owner_challenges"}}},
	{20261206020001, "add_mailboxes", migrations.MigrateAddMailboxes, migrations.RollbackAddMailboxes,
		[]Loss{{"the mailbox each subscription stands for (column subscribers.mailbox): spellings of an address merged on the way up need a new confirmation", "subscribers"},
			{"the mailbox of each message (column outbox.mailbox): the hourly bound counts per address again", "outbox"}}},
	{20261206050001, "add_comment_by_owner", migrations.MigrateAddCommentByOwner, migrations.RollbackAddCommentByOwner,
		[]Loss{{"which comments the owner wrote (column comments.by_owner): they lose their \"author\" badge", "comments"}}},
	{20261206060001, "add_post_comment_rules", migrations.MigrateAddPostCommentRules, migrations.RollbackAddPostCommentRules,
		[]Loss{{"which posts are closed to comments (columns posts.comments_*): every post takes comments again", "posts"}}},
	{20261206060002, "add_comment_pinned", migrations.MigrateAddCommentPinned, migrations.RollbackAddCommentPinned,
		[]Loss{{"which comments are pinned (column comments.pinned_at): they go back to their places", "comments"}}},
	{20261206070001, "create_reactions", migrations.MigrateCreateReactions, migrations.RollbackCreateReactions,
		[]Loss{{"every reader's reactions (table reactions) and the counts beside comments and posts", "reactions"}}},
	{20261206080001, "create_data_requests", migrations.MigrateCreateDataRequests, migrations.RollbackCreateDataRequests,
		[]Loss{{"the last day's requests for a commenter's data (table data_requests): their bounds count from zero again", "data_requests"}}},
	{20261207010001, "create_search", migrations.MigrateCreateSearch, migrations.RollbackCreateSearch,
		[]Loss{{"the search index (table search_posts and the index of comments' text): made again when the content next loads", "search_posts"}}},
	{20261207020001, "create_writings", migrations.MigrateCreateWritings, migrations.RollbackCreateWritings,
		[]Loss{{"every post written in the desk (table writings): export them first with web posts export DIR", "writings"},
			{"every saved version of them (table writing_versions)", "writing_versions"}}},
	{20261207030001, "create_uploads", migrations.MigrateCreateUploads, migrations.RollbackCreateUploads,
		[]Loss{{"every uploaded image (tables uploads and upload_data): posts that show one show a broken image", "uploads"}}},
	{20261207050001, "create_newsletter", migrations.MigrateCreateNewsletter, migrations.RollbackCreateNewsletter,
		[]Loss{{"every subscriber to new posts by email (table newsletter_subscribers): export them first with web subscribers export FILE", "newsletter_subscribers"},
			{"which posts were mailed (table newsletter_posts): posts dated after the feature starts again would be mailed", "newsletter_posts"},
			{"the last day's subscribe requests (table newsletter_requests): their bounds count from zero again", "newsletter_requests"},
			{"when posts by email started (table newsletter_start): it starts again at the next start", "newsletter_start"}}},
	{20261207060001, "create_webmentions", migrations.MigrateCreateWebmentions, migrations.RollbackCreateWebmentions,
		[]Loss{{"the Webmentions received (table webmentions): likes and reposts from other sites are no longer counted", "webmentions"},
			{"where comments from other sites came from (columns comments.source_url, author_url, mention_kind): they show as ordinary comments", "comments"}}},
	{20261207060002, "create_webmention_sends", migrations.MigrateCreateWebmentionSends, migrations.RollbackCreateWebmentionSends,
		[]Loss{{"the record of Webmentions sent (table webmention_sends): every post's links are notified again", "webmention_sends"}}},
	{20261208010001, "add_writing_lang", migrations.MigrateAddWritingLang, migrations.RollbackAddWritingLang,
		[]Loss{{"the languages desk posts declare (column writings.lang): they speak the blog's language", "writings"}}},
	{20261208020001, "create_federation", migrations.MigrateCreateFederation, migrations.RollbackCreateFederation,
		[]Loss{{"the blog's ActivityPub key (table fed_keys): followers' servers refuse the new one until they read the actor again", "fed_keys"},
			{"every follower on the fediverse (table fed_followers): they must follow again", "fed_followers"},
			{"the activities waiting for delivery (table fed_deliveries)", "fed_deliveries"},
			{"which posts were announced to followers (table fed_posts): posts are announced again", "fed_posts"},
			{"which comments came from the fediverse (table fed_objects): their edits and deletions no longer follow", "fed_objects"},
			{"the likes and boosts from the fediverse (table fed_reactions)", "fed_reactions"},
			{"the handles of fediverse authors (column comments.author_handle)", "comments"}}},
	{20261208030001, "create_pictures", migrations.MigrateCreatePictures, migrations.RollbackCreatePictures,
		[]Loss{{"the pictures fetched from other sites (tables pictures and picture_sources): they are fetched again", "pictures"}}},
	{20261208030002, "add_comment_author_photo", migrations.MigrateAddCommentAuthorPhoto, migrations.RollbackAddCommentAuthorPhoto,
		[]Loss{{"which picture each comment from another site shows (column comments.author_photo): they show the blog's drawn picture", "comments"}}},
	{20261208040001, "add_search_post_date", migrations.MigrateAddSearchPostDate, migrations.RollbackAddSearchPostDate, nil},
	{20261208050001, "set_empty_defaults", migrations.MigrateSetEmptyDefaults, migrations.RollbackSetEmptyDefaults, nil},
	{20261209000001, "create_following", migrations.MigrateCreateFollowing, migrations.RollbackCreateFollowing,
		[]Loss{{"whom the blog follows on the fediverse (table fed_following): follow them again", "fed_following"},
			{"the posts received from them (table fed_timeline)", "fed_timeline"},
			{"where each reply post was sent (column fed_posts.reply_inbox): deleting one no longer tells the author replied to", "fed_posts"}}},
	{20261209000002, "add_writing_in_reply_to", migrations.MigrateAddWritingInReplyTo, migrations.RollbackAddWritingInReplyTo,
		[]Loss{{"what desk posts answer (column writings.in_reply_to): they become posts of their own", "writings"}}},
	{20261210000001, "fold_comment_search", migrations.MigrateFoldCommentSearch, migrations.RollbackFoldCommentSearch, nil},
}

// Known lists every version this binary knows, oldest first.
func Known() []Version {
	out := make([]Version, len(steps))
	for i, s := range steps {
		out[i] = Version{Version: s.version, Name: s.name}
	}
	return out
}

// Latest is the newest schema version this binary knows.
func Latest() int { return steps[len(steps)-1].version }

// Version is one known or applied schema version.
type Version struct {
	Version int
	Name    string
	Applied bool
	// Unknown is set for a version recorded in the database that this binary does not know (a newer binary
	// migrated the database).
	Unknown bool
}

// ErrNewerDatabase means the database was migrated by a newer binary: running against it could corrupt data.
var ErrNewerDatabase = errors.New("the database schema is newer than this program")

func newMigration(r rel.Repository) migration.Migration {
	m := migration.New(r)
	m.Instrumentation(nil)
	for _, s := range steps {
		m.Register(s.version, s.up, s.down)
	}
	return m
}

// schemaVersion is a row of go-rel/migration's bookkeeping table.
type schemaVersion struct {
	Version int
}

func (schemaVersion) Table() string { return "rel_schema_versions" }

// Status lists every known version with whether it is applied, plus any unknown version found in the database.
func Status(ctx context.Context, db *database.DB) ([]Version, error) {
	var rows []schemaVersion
	if err := db.Repo().FindAll(ctx, &rows, rel.SortAsc("version")); err != nil {
		msg := err.Error()
		if !strings.Contains(msg, "no such table") && !strings.Contains(msg, "does not exist") {
			return nil, fmt.Errorf("read schema versions: %w", err)
		}
		rows = nil
	}
	applied := map[int]bool{}
	for _, r := range rows {
		applied[r.Version] = true
	}
	var out []Version
	for _, s := range steps {
		out = append(out, Version{Version: s.version, Name: s.name, Applied: applied[s.version]})
		delete(applied, s.version)
	}
	for v := range applied {
		out = append(out, Version{Version: v, Name: "(unknown to this program)", Applied: true, Unknown: true})
	}
	slices.SortFunc(out, func(a, b Version) int { return a.Version - b.Version })
	return out, nil
}

// Pending returns the known versions not yet applied, and ErrNewerDatabase if the database holds a version this
// binary does not know.
func Pending(ctx context.Context, db *database.DB) ([]Version, error) {
	st, err := Status(ctx, db)
	if err != nil {
		return nil, err
	}
	var pending []Version
	for _, v := range st {
		if v.Unknown {
			return nil, fmt.Errorf("%w: it has version %d, this program knows up to %d; run a newer release",
				ErrNewerDatabase, v.Version, Latest())
		}
		if !v.Applied {
			pending = append(pending, v)
		}
	}
	return pending, nil
}

// Up applies every pending migration. It refuses a database newer than this binary.
func Up(ctx context.Context, db *database.DB) error {
	return locked(ctx, db, func() error {
		if _, err := Pending(ctx, db); err != nil {
			return err
		}
		m := newMigration(db.Repo())
		return recovered("migrate up", func() { m.Migrate(ctx) })
	})
}

// Counted is a Loss with the number of rows it concerns now.
type Counted struct {
	Loss
	Rows int
}

// DownPlan says which version Down would roll back (false when none is applied) and what data that destroys,
// with row counts.
func DownPlan(ctx context.Context, db *database.DB) (Version, []Counted, bool, error) {
	st, err := Pending(ctx, db)
	if err != nil {
		return Version{}, nil, false, err
	}
	pending := map[int]bool{}
	for _, v := range st {
		pending[v.Version] = true
	}
	for i := len(steps) - 1; i >= 0; i-- {
		s := steps[i]
		if pending[s.version] {
			continue
		}
		var out []Counted
		for _, l := range s.loses {
			n, err := db.Repo().Count(ctx, l.Table)
			if err != nil {
				return Version{}, nil, false, fmt.Errorf("count %s: %w", l.Table, err)
			}
			out = append(out, Counted{Loss: l, Rows: n})
		}
		return Version{Version: s.version, Name: s.name, Applied: true}, out, true, nil
	}
	return Version{}, nil, false, nil
}

// Down rolls back the newest applied migration; with nothing applied it does nothing.
func Down(ctx context.Context, db *database.DB) error {
	return locked(ctx, db, func() error {
		if _, err := Pending(ctx, db); err != nil {
			return err
		}
		m := newMigration(db.Repo())
		return recovered("migrate down", func() { m.Rollback(ctx) })
	})
}

// recovered runs fn and turns a panic from go-rel/migration into an error.
func recovered(what string, fn func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = fmt.Errorf("%s: %w", what, e)
			} else {
				err = fmt.Errorf("%s: %v", what, r)
			}
		}
	}()
	fn()
	return nil
}

// locked runs fn while holding a PostgreSQL advisory lock, so that instances starting together do not migrate the
// same database at once (go-rel/migration has no lock of its own). SQLite needs none: one process owns the file.
func locked(ctx context.Context, db *database.DB, fn func() error) error {
	if db.Dialect() != database.Postgres {
		return fn()
	}
	conn, err := db.SQL().Conn(ctx)
	if err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	defer conn.Close()
	h := fnv.New32a()
	h.Write([]byte("blog schema migrations"))
	key := int64(h.Sum32())
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", key); err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", key)
	return fn()
}
