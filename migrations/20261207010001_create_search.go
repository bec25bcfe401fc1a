package migrations

import (
	"context"

	"github.com/go-rel/postgres"
	"github.com/go-rel/rel"
)

// The full-text indexes differ by database, so this migration writes each one out for its own: SQLite's FTS5
// tables kept by triggers, PostgreSQL's tsvector columns with GIN indexes. Both stem English words (SQLite's
// porter tokenizer, PostgreSQL's 'english' configuration), so "comments" finds "comment".

// searchSQLite is the search index on SQLite: the posts' searchable text (search_posts, written when the content
// loads) and two FTS5 tables over it and over the comments' text, each an external-content index that triggers
// keep in step with every insert, change of text and delete, in the same transaction as the change.
var searchSQLite = []string{
	`CREATE TABLE search_posts (
		post_id INTEGER PRIMARY KEY REFERENCES posts(id),
		slug TEXT NOT NULL,
		title TEXT NOT NULL,
		summary TEXT NOT NULL,
		tags TEXT NOT NULL,
		body TEXT NOT NULL,
		hash TEXT NOT NULL)`,
	`CREATE VIRTUAL TABLE search_posts_fts USING fts5(title, summary, tags, body,
		content='search_posts', content_rowid='post_id', tokenize='porter unicode61 remove_diacritics 2')`,
	`CREATE TRIGGER search_posts_fts_insert AFTER INSERT ON search_posts BEGIN
		INSERT INTO search_posts_fts(rowid, title, summary, tags, body) VALUES (new.post_id, new.title, new.summary, new.tags, new.body);
	END`,
	`CREATE TRIGGER search_posts_fts_delete AFTER DELETE ON search_posts BEGIN
		INSERT INTO search_posts_fts(search_posts_fts, rowid, title, summary, tags, body) VALUES ('delete', old.post_id, old.title, old.summary, old.tags, old.body);
	END`,
	`CREATE TRIGGER search_posts_fts_update AFTER UPDATE ON search_posts BEGIN
		INSERT INTO search_posts_fts(search_posts_fts, rowid, title, summary, tags, body) VALUES ('delete', old.post_id, old.title, old.summary, old.tags, old.body);
		INSERT INTO search_posts_fts(rowid, title, summary, tags, body) VALUES (new.post_id, new.title, new.summary, new.tags, new.body);
	END`,
	`CREATE VIRTUAL TABLE comments_fts USING fts5(body,
		content='comments', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')`,
	`CREATE TRIGGER comments_fts_insert AFTER INSERT ON comments BEGIN
		INSERT INTO comments_fts(rowid, body) VALUES (new.id, new.body);
	END`,
	`CREATE TRIGGER comments_fts_delete AFTER DELETE ON comments BEGIN
		INSERT INTO comments_fts(comments_fts, rowid, body) VALUES ('delete', old.id, old.body);
	END`,
	// Only a change of the text touches the index: states, counts and reactions change often and leave it be.
	`CREATE TRIGGER comments_fts_update AFTER UPDATE OF body ON comments BEGIN
		INSERT INTO comments_fts(comments_fts, rowid, body) VALUES ('delete', old.id, old.body);
		INSERT INTO comments_fts(rowid, body) VALUES (new.id, new.body);
	END`,
	`INSERT INTO comments_fts(comments_fts) VALUES ('rebuild')`,
}

var searchSQLiteDown = []string{
	`DROP TRIGGER IF EXISTS comments_fts_update`,
	`DROP TRIGGER IF EXISTS comments_fts_delete`,
	`DROP TRIGGER IF EXISTS comments_fts_insert`,
	`DROP TABLE IF EXISTS comments_fts`,
	`DROP TRIGGER IF EXISTS search_posts_fts_update`,
	`DROP TRIGGER IF EXISTS search_posts_fts_delete`,
	`DROP TRIGGER IF EXISTS search_posts_fts_insert`,
	`DROP TABLE IF EXISTS search_posts_fts`,
	`DROP TABLE IF EXISTS search_posts`,
}

// searchPostgres is the search index on PostgreSQL: the posts' searchable text with stored, generated tsvectors
// (document, everything, for matching; head, the title, tags and summary, for ranking), and a stored, generated
// tsvector of each comment's text; the database computes them in the same statement as the change, and GIN
// indexes what is matched.
var searchPostgres = []string{
	`CREATE TABLE search_posts (
		post_id BIGINT PRIMARY KEY REFERENCES posts(id),
		slug TEXT NOT NULL,
		title TEXT NOT NULL,
		summary TEXT NOT NULL,
		tags TEXT NOT NULL,
		body TEXT NOT NULL,
		hash TEXT NOT NULL,
		document tsvector GENERATED ALWAYS AS (
			setweight(to_tsvector('english', title), 'A') ||
			setweight(to_tsvector('english', tags), 'B') ||
			setweight(to_tsvector('english', summary), 'B') ||
			setweight(to_tsvector('english', body), 'D')) STORED,
		head tsvector GENERATED ALWAYS AS (
			setweight(to_tsvector('english', title), 'A') ||
			setweight(to_tsvector('english', tags), 'B') ||
			setweight(to_tsvector('english', summary), 'B')) STORED)`,
	`CREATE INDEX search_posts_document ON search_posts USING GIN (document)`,
	`ALTER TABLE comments ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('english', body)) STORED`,
	`CREATE INDEX comments_search ON comments USING GIN (search)`,
}

var searchPostgresDown = []string{
	`DROP INDEX IF EXISTS comments_search`,
	`ALTER TABLE comments DROP COLUMN IF EXISTS search`,
	`DROP TABLE IF EXISTS search_posts`,
}

// MigrateCreateSearch adds the search index of posts and comments (see searchSQLite and searchPostgres). The
// comments already there are indexed on the way up; the posts are indexed when the content next loads.
func MigrateCreateSearch(schema *rel.Schema) {
	schema.Do(func(ctx context.Context, r rel.Repository) error {
		return execAll(ctx, r, searchSQLite, searchPostgres)
	})
}

// RollbackCreateSearch drops the search index; everything in it can be made again from the comments and the
// content.
func RollbackCreateSearch(schema *rel.Schema) {
	schema.Do(func(ctx context.Context, r rel.Repository) error {
		return execAll(ctx, r, searchSQLiteDown, searchPostgresDown)
	})
}

// execAll runs the statements written for the database behind r, in order.
func execAll(ctx context.Context, r rel.Repository, sqlite, pg []string) error {
	stmts := sqlite
	if _, ok := r.Adapter(ctx).(*postgres.Postgres); ok {
		stmts = pg
	}
	for _, s := range stmts {
		if _, _, err := r.Exec(ctx, s); err != nil {
			return err
		}
	}
	return nil
}
