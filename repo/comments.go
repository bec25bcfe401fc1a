package repo

import (
	"context"
	"errors"
	"hash/fnv"
	"strconv"
	"time"

	"github.com/go-rel/rel"
	"github.com/go-rel/rel/where"
)

// CommentsChannel is the PostgreSQL NOTIFY channel on which every committed comment is announced as
// "postID:commentID".
const CommentsChannel = "blog_comments"

// Comments reads and writes users and their comments.
type Comments struct {
	db *DB
}

// NewComments returns the comment store backed by db.
func NewComments(db *DB) *Comments { return &Comments{db: db} }

// CreateComment stores a validated, normalized comment on a post in one transaction: it finds the commenter by
// email or creates them, renames them to the username given now, and inserts the comment. On PostgreSQL it also
// announces the comment on CommentsChannel, delivered only if the transaction commits.
func (s *Comments) CreateComment(ctx context.Context, postID int64, in CommentInput) (Comment, error) {
	var c Comment
	err := s.db.Write(ctx, func(ctx context.Context) error {
		if s.db.Dialect == Postgres {
			// SQLite serialises writers with BEGIN IMMEDIATE; on PostgreSQL these locks give the same order per
			// email (no duplicate user) and per post (comment ids commit in increasing order, which the live
			// stream's "everything after id N" catch-up relies on). Email first, then post, always.
			if _, _, err := s.db.Repo.Exec(ctx, "SELECT pg_advisory_xact_lock(1, $1), pg_advisory_xact_lock(2, $2)",
				int32(hash32(in.Email)), int32(postID)); err != nil {
				return err
			}
		}
		user, err := s.upsertUser(ctx, in.Username, in.Email)
		if err != nil {
			return err
		}
		c = Comment{PostID: postID, UserID: user.ID, Body: in.Body, CreatedAt: time.Now().UTC(), User: user}
		if err := s.db.Repo.Insert(ctx, &c); err != nil {
			return err
		}
		if s.db.Dialect == Postgres {
			payload := strconv.FormatInt(postID, 10) + ":" + strconv.FormatInt(c.ID, 10)
			if _, _, err := s.db.Repo.Exec(ctx, "SELECT pg_notify($1, $2)", CommentsChannel, payload); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Comment{}, translate(err, "create comment")
	}
	c.User.Comments = nil
	return c, nil
}

// upsertUser returns the user with this (lower-case) email, created or renamed to username as needed.
func (s *Comments) upsertUser(ctx context.Context, username, email string) (User, error) {
	var u User
	err := s.db.Repo.Find(ctx, &u, where.Eq("email", email))
	switch {
	case errors.Is(err, rel.ErrNotFound):
		u = User{Username: username, Email: email, CreatedAt: time.Now().UTC()}
		return u, s.db.Repo.Insert(ctx, &u)
	case err != nil:
		return u, err
	case u.Username != username:
		u.Username = username
		return u, s.db.Repo.Update(ctx, &u, rel.Set("username", username))
	}
	return u, nil
}

// FindComments returns the comments on one post, newest first unless f says otherwise, with their authors loaded in one extra query.
func (s *Comments) FindComments(ctx context.Context, f CommentFilter) ([]Comment, error) {
	q := rel.Where(where.Eq("post_id", f.PostID)).SortDesc("id")
	if f.OldestFirst {
		q = rel.Where(where.Eq("post_id", f.PostID)).SortAsc("id")
	}
	if f.AfterID > 0 {
		q = q.Where(where.Gt("id", f.AfterID))
	}
	if f.BeforeID > 0 {
		q = q.Where(where.Lt("id", f.BeforeID))
	}
	if f.Limit > 0 {
		q = q.Limit(f.Limit)
	}
	var comments []Comment
	if err := s.db.Repo.FindAll(ctx, &comments, q); err != nil {
		return nil, translate(err, "find comments")
	}
	if len(comments) > 0 {
		if err := s.db.Repo.Preload(ctx, &comments, "user"); err != nil {
			return nil, translate(err, "load comment authors")
		}
	}
	for i := range comments {
		comments[i].CreatedAt = comments[i].CreatedAt.UTC()
	}
	return comments, nil
}

// LatestCommentID returns the greatest comment id stored, or 0 when there are none.
func (s *Comments) LatestCommentID(ctx context.Context) (int64, error) {
	var c Comment
	err := s.db.Repo.Find(ctx, &c, rel.Select("id").SortDesc("id").Limit(1))
	if errors.Is(err, rel.ErrNotFound) {
		return 0, nil
	}
	return c.ID, translate(err, "latest comment id")
}

// CountComments returns how many comments a post has.
func (s *Comments) CountComments(ctx context.Context, postID int64) (int, error) {
	n, err := s.db.Repo.Count(ctx, "comments", where.Eq("post_id", postID))
	return n, translate(err, "count comments")
}

// postCount is one row of CountAllComments' grouped query.
type postCount struct {
	PostID int64
	Total  int
}

// CountAllComments returns the number of comments of every post that has any, keyed by post id.
func (s *Comments) CountAllComments(ctx context.Context) (map[int64]int, error) {
	var rows []postCount
	q := rel.Select("post_id", "^COUNT(*) AS total").From("comments").Group("post_id")
	if err := s.db.Repo.FindAll(ctx, &rows, q); err != nil {
		return nil, translate(err, "count comments by post")
	}
	counts := make(map[int64]int, len(rows))
	for _, r := range rows {
		counts[r.PostID] = r.Total
	}
	return counts, nil
}

// FindUserByEmail returns the user with this email, in any letter case.
func (s *Comments) FindUserByEmail(ctx context.Context, email string) (User, error) {
	var u User
	err := s.db.Repo.Find(ctx, &u, where.Eq("email", CommentInput{Email: email}.Normalize().Email))
	return u, translate(err, "find user")
}

func hash32(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}
