// Package fulltext is what the two databases do differently when searching text: SQLite's FTS5 tables (MATCH,
// bm25, snippet) and PostgreSQL's tsvector columns (@@, ts_rank). Both stem English words: the porter
// tokenizer on SQLite, the 'english' configuration on PostgreSQL. The tables are made by the migration
// create_search. Which of the two a search gets is decided by package database (database.DB.TextSearch), so
// that nothing above it branches on the dialect.
package fulltext

import (
	"strconv"
	"strings"
)

// TextQuery is what a reader searches for, already cut into terms: every term must appear in what is found, a
// term of several words as that phrase. Words hold only letters and digits (the search package makes them so),
// so nothing in them is query syntax to either database.
type TextQuery [][]string

// MarkStart and MarkEnd surround the matched words in the excerpts a search returns: characters of Unicode's
// private use area, which no language writes, so the excerpt can be escaped as text and marked afterwards.
const (
	MarkStart = "\uE000"
	MarkEnd   = "\uE001"
)

// TextSearch is a search ready to run: the statements that find posts and comments, and their arguments
// (PostArgs, CommentArgs). The posts' statement returns post_id, slug, date, title and excerpt, best match first;
// the comments' statement returns id, post_id, username, created_at, their post's post_slug, post_title and
// post_date, and excerpt, newest first, only published comments on posts in the search index. On SQLite the title and excerpt come marked (MarkStart, MarkEnd); on
// PostgreSQL excerpt is the whole text, unmarked, and a column lexemes holds the query (see Lexemes).
type TextSearch struct {
	Posts, Comments string
	// CommentsAll, when set, is Comments over every comment: Comments then looks only at the newest comments (a
	// window several pages long), and when it finds less than a page there, the store asks CommentsAll. This is
	// PostgreSQL's way (see Postgres); on SQLite Comments is the whole search.
	CommentsAll string
	// Pending, when set, answers whether comments are waiting to be indexed, and Fold, run in a write
	// transaction, indexes them: SQLite indexes new comments in batches (see the migration fold_comment_search),
	// so a search of comments asks Pending first and folds when it answers true. Both are empty on PostgreSQL.
	Pending, Fold string
	args          []any
	window        bool
}

// PostArgs are the arguments of Posts for a page of limit posts after offset.
func (t TextSearch) PostArgs(limit, offset int) []any {
	return append(append([]any{}, t.args...), limit, offset)
}

// CommentArgs are the arguments of Comments for a page of limit comments after offset (on PostgreSQL with the
// window's size last). CommentsAll takes PostArgs' arguments: the same, without the window.
func (t TextSearch) CommentArgs(limit, offset int) []any {
	args := append(append([]any{}, t.args...), limit, offset)
	if t.window {
		args = append(args, searchWindow+4*(limit+offset))
	}
	return args
}

// searchWindow is how many of the newest comments PostgreSQL's first look covers, besides four times the rows the
// page needs: for a word in one comment of twenty, the page is filled from it.
const searchWindow = 1000

// SQLite writes q as an FTS5 query: each term quoted (a phrase when it has several words), all of
// them required. Quoting keeps NEAR, AND, OR, NOT, column names and * from meaning anything. Posts are ordered
// by FTS5's own rank (bm25, the title weighing most), which FTS5 sorts itself, so that the excerpts are made for
// the page's posts only (ordering by bm25() outside made them for every match: 11 ms instead of 1.5 ms for a
// common word over 1,000 posts). Comments come newest first straight from the index's order, so a search stops
// after the page's rows however many comments match. New comments wait to be indexed in batches; the search
// indexes those waiting first (Pending, Fold).
func SQLite(q TextQuery) TextSearch {
	terms := make([]string, 0, len(q))
	for _, t := range q {
		terms = append(terms, `"`+strings.ReplaceAll(strings.Join(t, " "), `"`, `""`)+`"`)
	}
	mark := `char(57344), char(57345)`
	return TextSearch{
		Posts: `SELECT p.post_id, p.slug, p.date,
				highlight(search_posts_fts, 0, ` + mark + `) AS title,
				snippet(search_posts_fts, 3, ` + mark + `, '…', 30) AS excerpt, '' AS lexemes
			FROM search_posts_fts JOIN search_posts p ON p.post_id = search_posts_fts.rowid
			WHERE search_posts_fts MATCH ? AND search_posts_fts.rank MATCH 'bm25(10.0, 4.0, 4.0, 1.0)'
			ORDER BY search_posts_fts.rank
			LIMIT ? OFFSET ?`,
		Comments: `SELECT c.id, c.post_id, c.username, c.created_at,
				p.slug AS post_slug, p.title AS post_title, p.date AS post_date,
				snippet(comments_fts, 0, ` + mark + `, '…', 30) AS excerpt, '' AS lexemes
			FROM comments_fts JOIN comments c ON c.id = comments_fts.rowid
			JOIN search_posts p ON p.post_id = c.post_id
			WHERE comments_fts MATCH ? AND c.state = 'published'
			ORDER BY comments_fts.rowid DESC
			LIMIT ? OFFSET ?`,
		Pending: `SELECT EXISTS (SELECT 1 FROM comments WHERE id > (SELECT indexed FROM comments_fts_mark))`,
		Fold:    `UPDATE comments_fts_mark SET folds = folds + 1 WHERE EXISTS (SELECT 1 FROM comments WHERE id > comments_fts_mark.indexed)`,
		args:    []any{strings.Join(terms, " ")},
	}
}

// Postgres writes q as a tsquery: each term through phraseto_tsquery (a phrase keeps its words in order;
// one word is that word), joined with &&. The terms are parameters, never SQL, and phraseto_tsquery reads no
// operators in them.
//
// PostgreSQL's GIN index finds the matching comments in no order, so "newest first" costs either a walk down
// the comments' ids checking each (fast for a common word, a walk through every comment for a rare one) or
// every match fetched and sorted (fast for a rare word, tens of milliseconds for a common one), and the planner
// cannot tell which a word is. So Comments walks the newest comments only (CommentArgs' window), and CommentsAll,
// asked when that finds less than a page, fetches the matches through the index (ordering by id + 0 keeps the
// planner off the walk). Posts are ranked by their title, tags and summary (head, a small tsvector: ranking the
// whole text cost 20 to 40 ms over 1,000 posts), then newest first; their text is matched, not ranked. The posts
// whose head matches come first, best first; then those matched by their text alone (rank 0), newest first. Each
// of the two is read only as far as the page needs: matching every post's whole text (a large, compressed
// tsvector) and ranking every match took 5 to 14 ms over 1,000 posts for a common word, the two short reads
// 1.5 to 3 ms (pgbench, the search benchmark's 26 searches, same results).
//
// The rows carry their whole text and the query's lexemes (Lexemes reads them) instead of an excerpt:
// ts_headline parses every text again, which cost more than the search itself (0.2 ms a comment, 0.7 ms a post
// on the loaded machine), so the search package marks the words in Go.
func Postgres(q TextQuery) TextSearch {
	parts := make([]string, 0, len(q))
	args := make([]any, 0, len(q)+1)
	for i, t := range q {
		parts = append(parts, "phraseto_tsquery('english', $"+strconv.Itoa(i+1)+")")
		args = append(args, strings.Join(t, " "))
	}
	if len(parts) == 0 {
		parts = append(parts, "''::tsquery")
	}
	limit, offset, window := "$"+strconv.Itoa(len(args)+1), "$"+strconv.Itoa(len(args)+2), "$"+strconv.Itoa(len(args)+3)
	with := `WITH q AS (SELECT ` + strings.Join(parts, " && ") + ` AS q)`
	comments := func(from, order string) string {
		return with + `
			SELECT c.id, c.post_id, c.username, c.created_at, c.post_slug, c.post_title, c.post_date,
				c.body AS excerpt, q.q::text AS lexemes
			FROM (SELECT c.id, c.post_id, c.username, c.created_at, c.body,
					p.slug AS post_slug, p.title AS post_title, p.date AS post_date
				FROM ` + from + ` JOIN search_posts p ON p.post_id = c.post_id, q
				WHERE c.search @@ q.q AND c.state = 'published'
				ORDER BY ` + order + ` LIMIT ` + limit + ` OFFSET ` + offset + `) c, q
			ORDER BY c.id DESC`
	}
	upTo := limit + `::int + ` + offset + `::int`
	return TextSearch{
		Posts: with + `,
			m AS ((SELECT s.post_id, ts_rank(s.head, q.q) AS rank FROM search_posts s, q WHERE s.head @@ q.q
					ORDER BY rank DESC, s.post_id DESC LIMIT ` + upTo + `)
				UNION ALL
				(SELECT s.post_id, 0 FROM search_posts s, q WHERE NOT s.head @@ q.q AND s.document @@ q.q
					ORDER BY s.post_id DESC LIMIT ` + upTo + `))
			SELECT p.post_id, p.slug, p.date, p.title, p.body AS excerpt, q.q::text AS lexemes
			FROM (SELECT m.post_id, m.rank FROM m
				ORDER BY m.rank DESC, m.post_id DESC LIMIT ` + limit + ` OFFSET ` + offset + `) t
			JOIN search_posts p ON p.post_id = t.post_id, q
			ORDER BY t.rank DESC, t.post_id DESC`,
		Comments: comments(`(SELECT id, post_id, username, created_at, body, state, search FROM comments
				ORDER BY id DESC LIMIT `+window+`) c`, "c.id DESC"),
		CommentsAll: comments("comments c", "c.id + 0 DESC"),
		args:        args,
		window:      true,
	}
}

// Lexemes reads the words of a PostgreSQL query as its text form writes them ('revers' <-> 'proxi' & 'server'):
// the stems the search matched, which the search package looks for in the text to mark them. Empty for "".
func Lexemes(query string) []string {
	var out []string
	for {
		i := strings.IndexByte(query, '\'')
		if i < 0 {
			return out
		}
		query = query[i+1:]
		var b strings.Builder
		for len(query) > 0 {
			if query[0] == '\'' {
				if len(query) > 1 && query[1] == '\'' { // a quote doubled inside a lexeme
					b.WriteByte('\'')
					query = query[2:]
					continue
				}
				query = query[1:]
				break
			}
			b.WriteByte(query[0])
			query = query[1:]
		}
		out = append(out, b.String())
	}
}
