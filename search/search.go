// Package search is the blog's search: what a reader's search may be (Parse and its bounds), the results as
// pages show them (posts best first, matching comments under their post, excerpts as marked pieces of plain
// text), and the index of posts fed from the content as it loads (IndexSnapshot). The searching itself is the
// database's (repo/searchindex, fulltext.TextSearch): SQLite's FTS5 or PostgreSQL's full-text search.
package search

import (
	"context"
	"strconv"
	"strings"
	"time"

	"blog/content"
	"blog/database/fulltext"
	"blog/publish"
	"blog/repo/searchindex"
)

// Per page: the posts and the comments shown.
const (
	PostsPerPage    = 10
	CommentsPerPage = 20
)

// Store is what searching needs from the index (searchindex.Store).
type Store interface {
	SearchPosts(ctx context.Context, q fulltext.TextQuery, limit, offset int) ([]searchindex.PostHit, error)
	SearchComments(ctx context.Context, q fulltext.TextQuery, limit, offset int) ([]searchindex.CommentHit, error)
}

var _ Store = (*searchindex.Store)(nil)

// Content is the content as it is now (publish.Store).
type Content interface {
	Current() *publish.Snapshot
}

// Service searches the posts and the published comments.
type Service struct {
	store   Store
	content Content
}

// New returns the search over store, showing the posts content holds now.
func New(store Store, content Content) *Service { return &Service{store: store, content: content} }

// Results are one page of a search's results, or the reason there are none.
type Results struct {
	// Query is the search as typed (trimmed), for the form; Page the page shown (from 1).
	Query string
	Page  int
	// Problem says why nothing was searched (an empty or unreadable search, a page out of range).
	Problem Problem
	// Posts are the posts with something that matched: the posts that matched themselves first, best first, then
	// the posts of matching comments; each holds its matching comments of this page, newest first.
	Posts []PostResult
	// More is set when a next page has more posts or comments.
	More bool
}

// Empty reports whether the search ran and found nothing.
func (r Results) Empty() bool { return r.Problem == "" && len(r.Posts) == 0 }

// PostResult is a post among the results.
type PostResult struct {
	Slug  string
	Title []Piece
	Date  time.Time
	// Matched is set when the post itself matched; Excerpt is then a part of its text around what matched.
	Matched  bool
	Excerpt  []Piece
	Comments []CommentResult
}

// CommentResult is a comment among the results.
type CommentResult struct {
	ID       int64
	Username string
	Date     time.Time
	Excerpt  []Piece
}

// Search returns page (from 1) of the results of the search raw, as typed.
func (s *Service) Search(ctx context.Context, raw string, page int) (Results, error) {
	res := Results{Query: echo(raw), Page: page}
	q, problem := Parse(raw)
	switch {
	case problem != "":
		res.Problem = problem
		return res, nil
	case page < 1:
		res.Problem = "Pages of results are numbered from 1."
		return res, nil
	case page > MaxPage:
		res.Problem = Problem("Results stop at page " + itoa(MaxPage) + ": add a word to narrow the search.")
		return res, nil
	}
	posts, err := s.store.SearchPosts(ctx, q.Text(), PostsPerPage+1, (page-1)*PostsPerPage)
	if err != nil {
		return res, err
	}
	comments, err := s.store.SearchComments(ctx, q.Text(), CommentsPerPage+1, (page-1)*CommentsPerPage)
	if err != nil {
		return res, err
	}
	res.More = len(posts) > PostsPerPage || len(comments) > CommentsPerPage
	posts = posts[:min(len(posts), PostsPerPage)]
	comments = comments[:min(len(comments), CommentsPerPage)]
	snap := s.content.Current()
	// A hit is shown as the index has it. The index changes in the same transaction as a desk post's publishing
	// or withdrawal, and a load of the content writes it before the load is swapped in, so it may be a moment
	// ahead of this instance's content (a post the desk has just published, on any instance), not behind it.
	// Only a slug the content serves under another id is a row from before, and passed over.
	current := func(slug, title string, id int64, date *time.Time) (PostResult, bool) {
		if pid, known := snap.PostID(slug); known && pid != id {
			return PostResult{}, false
		}
		r := PostResult{Slug: slug, Title: []Piece{{Text: title}}}
		if date != nil {
			r.Date = *date
		} else if p, ok := snap.Lib.PostBySlug(slug); ok {
			r.Date = p.Date
		}
		return r, true
	}
	at := map[int64]int{} // post id -> index in res.Posts
	for _, h := range posts {
		r, ok := current(h.Slug, "", h.PostID, h.Date)
		if !ok {
			continue
		}
		r.Matched = true
		if h.Lexemes != "" {
			lex := fulltext.Lexemes(h.Lexemes)
			r.Title, r.Excerpt = Marked(h.Title, lex, false), Marked(h.Excerpt, lex, true)
		} else {
			r.Title, r.Excerpt = Pieces(h.Title), Pieces(h.Excerpt)
		}
		at[h.PostID] = len(res.Posts)
		res.Posts = append(res.Posts, r)
	}
	for _, c := range comments {
		i, ok := at[c.PostID]
		if !ok {
			r, ok := current(c.PostSlug, c.PostTitle, c.PostID, c.PostDate)
			if !ok {
				continue
			}
			i = len(res.Posts)
			at[c.PostID] = i
			res.Posts = append(res.Posts, r)
		}
		var excerpt []Piece
		if c.Lexemes != "" {
			excerpt = Marked(c.Excerpt, fulltext.Lexemes(c.Lexemes), true)
		} else {
			excerpt = Pieces(c.Excerpt)
		}
		res.Posts[i].Comments = append(res.Posts[i].Comments, CommentResult{ID: c.ID, Username: c.Username,
			Date: c.CreatedAt, Excerpt: excerpt})
	}
	return res, nil
}

// Indexer is what feeding the index of posts needs (searchindex.Store).
type Indexer interface {
	SyncPosts(ctx context.Context, posts []searchindex.PostText) (int, error)
}

var _ Indexer = (*searchindex.Store)(nil)

// IndexSnapshot makes the index of posts hold the published posts of snap (title, summary, tags and text), and
// nothing else: drafts and removed posts leave it, and with them their comments leave the results. Posts whose
// text did not change are not written again. It is given to publish.OnLoad, so it runs on every load of the
// content, before the load is swapped in; whatever enters the snapshot, from files or elsewhere, is indexed.
func IndexSnapshot(ctx context.Context, index Indexer, snap *publish.Snapshot) error {
	texts := make([]searchindex.PostText, 0, len(snap.Lib.Posts))
	for _, p := range snap.Lib.Posts {
		id, ok := snap.PostID(p.Slug)
		if !ok {
			continue
		}
		texts = append(texts, TextOf(id, p))
	}
	_, err := index.SyncPosts(ctx, texts)
	return err
}

// TextOf is what the index of posts holds of a published post whose row is id: its title, summary, tags, text
// without markup and date. The desk indexes the posts it publishes with it, so that the next load finds their
// text unchanged.
func TextOf(id int64, p content.Post) searchindex.PostText {
	return searchindex.PostText{PostID: id, Slug: p.Slug, Title: p.Title, Summary: p.Summary,
		Tags: strings.Join(p.Tags, " "), Body: PlainText(p.HTML), Date: p.Date}
}

// echo is the search as the form shows it again: trimmed, readable, and no longer than a search may be.
func echo(raw string) string {
	s := strings.ToValidUTF8(strings.TrimSpace(raw), "")
	if r := []rune(s); len(r) > MaxQueryLength {
		s = string(r[:MaxQueryLength])
	}
	return s
}

func itoa(n int) string { return strconv.Itoa(n) }
