package migrations

import (
	"context"
	"strconv"

	"github.com/go-rel/rel"
)

// CommentsFoldEvery is how many new comments SQLite's index of comments waits for before it indexes them, in one
// go, in the transaction of the comment that makes the count (see foldSQLite). A search indexes those waiting
// first, so it finds them all the same.
const CommentsFoldEvery = 64

// foldSQLite changes how SQLite keeps comments_fts (made by create_search). Each FTS5 commit writes a segment of
// its own and merges segments as they pile up: indexing each comment in its own transaction cost a comment POST
// about 0.25 ms of the 0.6 ms its write took without the index (1.38 times the POSTs per second without it). Now
// comments_fts_mark.indexed is the highest comment id the index holds: every comment up to it is indexed, none
// after it. A new comment waits; the insert that brings CommentsFoldEvery comments past the mark indexes all of
// them in one statement (the fold, search_comments_fold), so a POST pays for tokenizing its text and one segment
// in 64 instead of one segment each. A search folds before it looks (searchindex, database.TextSearch's Pending
// and Fold), so what it sees is every comment committed before it started, as before. Edits and deletions of
// indexed comments change the index in their own transaction, as before; those of waiting comments need
// nothing, as the fold reads the comments as they are then. Whatever writes comments (a POST, moderation, an
// import, an erasure), the triggers see it.
var foldSQLite = []string{
	`DROP TRIGGER IF EXISTS comments_fts_insert`,
	`DROP TRIGGER IF EXISTS comments_fts_update`,
	`DROP TRIGGER IF EXISTS comments_fts_delete`,
	`CREATE TABLE comments_fts_mark (
		id INTEGER PRIMARY KEY CHECK (id = 1),
		indexed INTEGER NOT NULL,
		folds INTEGER NOT NULL DEFAULT 0)`,
	// Every comment there is was indexed by create_search's triggers.
	`INSERT INTO comments_fts_mark (id, indexed) VALUES (1, (SELECT coalesce(max(id), 0) FROM comments))`,
	// The fold: counting one more fold indexes the comments past the mark and moves the mark to the newest.
	`CREATE TRIGGER search_comments_fold AFTER UPDATE OF folds ON comments_fts_mark BEGIN
		INSERT INTO comments_fts(rowid, body) SELECT id, body FROM comments WHERE id > old.indexed;
		UPDATE comments_fts_mark SET indexed = (SELECT max(id) FROM comments) WHERE (SELECT max(id) FROM comments) > old.indexed;
	END`,
	`CREATE TRIGGER comments_fts_fold AFTER INSERT ON comments
		WHEN new.id >= (SELECT indexed FROM comments_fts_mark) + ` + strconv.Itoa(CommentsFoldEvery) + ` BEGIN
		UPDATE comments_fts_mark SET folds = folds + 1;
	END`,
	// Comment ids only grow (AUTOINCREMENT), so a new comment is past the mark; one given an id below it (never,
	// today) is indexed at once, so that "up to the mark" stays true.
	`CREATE TRIGGER comments_fts_insert AFTER INSERT ON comments
		WHEN new.id <= (SELECT indexed FROM comments_fts_mark) BEGIN
		INSERT INTO comments_fts(rowid, body) VALUES (new.id, new.body);
	END`,
	`CREATE TRIGGER comments_fts_delete AFTER DELETE ON comments
		WHEN old.id <= (SELECT indexed FROM comments_fts_mark) BEGIN
		INSERT INTO comments_fts(comments_fts, rowid, body) VALUES ('delete', old.id, old.body);
	END`,
	// Only a change of the text touches the index: states, counts and reactions change often and leave it be.
	`CREATE TRIGGER comments_fts_update AFTER UPDATE OF body ON comments
		WHEN old.id <= (SELECT indexed FROM comments_fts_mark) BEGIN
		INSERT INTO comments_fts(comments_fts, rowid, body) VALUES ('delete', old.id, old.body);
		INSERT INTO comments_fts(rowid, body) VALUES (new.id, new.body);
	END`,
}

// foldSQLiteDown indexes the comments waiting, then puts create_search's triggers back.
var foldSQLiteDown = []string{
	`UPDATE comments_fts_mark SET folds = folds + 1`,
	`DROP TRIGGER IF EXISTS comments_fts_fold`,
	`DROP TRIGGER IF EXISTS comments_fts_insert`,
	`DROP TRIGGER IF EXISTS comments_fts_update`,
	`DROP TRIGGER IF EXISTS comments_fts_delete`,
	`DROP TRIGGER IF EXISTS search_comments_fold`,
	`DROP TABLE IF EXISTS comments_fts_mark`,
	`CREATE TRIGGER comments_fts_insert AFTER INSERT ON comments BEGIN
		INSERT INTO comments_fts(rowid, body) VALUES (new.id, new.body);
	END`,
	`CREATE TRIGGER comments_fts_delete AFTER DELETE ON comments BEGIN
		INSERT INTO comments_fts(comments_fts, rowid, body) VALUES ('delete', old.id, old.body);
	END`,
	`CREATE TRIGGER comments_fts_update AFTER UPDATE OF body ON comments BEGIN
		INSERT INTO comments_fts(comments_fts, rowid, body) VALUES ('delete', old.id, old.body);
		INSERT INTO comments_fts(rowid, body) VALUES (new.id, new.body);
	END`,
}

// MigrateFoldCommentSearch has SQLite index new comments in batches (see foldSQLite). PostgreSQL's index is a
// generated column and stays as it is. Nothing is indexed again: the index holds the same rows as before.
func MigrateFoldCommentSearch(schema *rel.Schema) {
	schema.Do(func(ctx context.Context, r rel.Repository) error {
		return execAll(ctx, r, foldSQLite, nil)
	})
}

// RollbackFoldCommentSearch indexes the comments waiting and goes back to indexing each comment as it is written.
func RollbackFoldCommentSearch(schema *rel.Schema) {
	schema.Do(func(ctx context.Context, r rel.Repository) error {
		return execAll(ctx, r, foldSQLiteDown, nil)
	})
}
