// Package discussion holds the comment store: posting a comment (its commenter found or created, the client's
// rate checked, the comment it answers locked), reading what pages show (a post's conversations and their replies,
// comments by id, searches) and the change feed, and rendering again what older rules stored. Every write records
// its change in the post's feed in the same transaction. The handlers, the live broker, notify and, through
// repo/review, moderation use it.
package discussion

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-rel/rel"
	"github.com/go-rel/rel/where"

	"blog/richtext"

	"blog/database"
	"blog/repo"
	"blog/repo/internal/store"
	"blog/repo/posts"
)

// Comments reads and writes users and their comments. Every write that changes what a post page shows records
// the change in the post's feed in the same transaction.
type Comments struct {
	db        *database.DB
	avatarKey []byte
}

// NewComments returns the comment store backed by db.
func NewComments(db *database.DB, opts ...Option) *Comments {
	s := &Comments{db: db}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Option configures a comment store.
type Option func(*Comments)

// AvatarKey makes the store give every comment it returns its author's Avatar, keyed with key (the site's avatar
// key): the one place avatars are computed, so every page, list and live event draws a person the same way.
func AvatarKey(key []byte) Option {
	return func(s *Comments) { s.avatarKey = slices.Clone(key) }
}

// avatar returns the keyed hash an author's picture is drawn from ("" without a key: drawn blank).
func (s *Comments) avatar(email string) string {
	if len(s.avatarKey) == 0 {
		return ""
	}
	m := hmac.New(sha256.New, s.avatarKey)
	m.Write([]byte(strings.ToLower(email)))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// CreateComment stores a comment in one transaction: it finds the commenter by email or creates them (giving
// them the name used now; earlier comments keep theirs), inserts the comment and records the change in the
// post's feed.
func (s *Comments) CreateComment(ctx context.Context, n repo.NewComment) (repo.Comment, repo.Stamp, error) {
	if n.State == "" {
		n.State = repo.StatePublished
	}
	if n.CreatedAt.IsZero() {
		n.CreatedAt = time.Now().UTC()
	}
	if n.Format == "" {
		n.Format = repo.FormatMarkdown
	}
	var c repo.Comment
	var st repo.Stamp
	err := s.db.Write(ctx, func(ctx context.Context) error {
		// Writers of one email take turns (no duplicate user); the post's row, locked by the feed update below,
		// orders its changes.
		if err := s.db.Lock(ctx, store.LockCommenter, n.Input.Email); err != nil {
			return err
		}
		if err := s.checkRate(ctx, n.Limit); err != nil {
			return err
		}
		user, err := s.upsertUser(ctx, n.Input.Username, n.Input.Email)
		if err != nil {
			return err
		}
		c = repo.Comment{PostID: n.PostID, UserID: user.ID, Username: n.Input.Username, Body: n.Input.Body, State: n.State,
			Reason: n.Reason, IPHash: n.IPHash, NetHash: n.NetHash, CreatedAt: n.CreatedAt.UTC(), Format: n.Format, User: user,
			Notify: n.Notify, ByOwner: n.ByOwner, SourceURL: n.SourceURL, AuthorURL: n.AuthorURL, MentionKind: n.MentionKind,
			AuthorHandle: n.AuthorHandle, AuthorPhoto: n.AuthorPhoto}
		c.Render()
		var root *repo.Comment
		if n.ParentID > 0 {
			if root, err = s.replyTo(ctx, &c, n.ParentID); err != nil {
				return err
			}
		}
		if !n.ByOwner {
			// After the comments answered were locked (comment rows first, then the post's row).
			if err := posts.LockOpenPost(ctx, s.db, n.PostID); err != nil {
				return err
			}
		}
		if err := s.db.Repo().Insert(ctx, &c); err != nil {
			return err
		}
		if root != nil {
			if st, err = repo.ReplyMoved(ctx, s.db, root, repo.VisibleDelta("", n.State)); err != nil {
				return err
			}
		}
		if st, err = repo.Record(ctx, s.db, n.PostID, c.ID, repo.ChangeCreated, repo.VisibleDelta("", n.State)); err != nil {
			return err
		}
		if n.ByOwner {
			return repo.InsertAudit(ctx, s.db, ownerCommentEntry(c))
		}
		return nil
	})
	var limited repo.RateLimitedError
	var bad repo.BadParentError
	switch {
	case errors.As(err, &limited):
		return repo.Comment{}, repo.Stamp{}, limited
	case errors.As(err, &bad):
		return repo.Comment{}, repo.Stamp{}, bad
	case errors.Is(err, repo.ErrClosed):
		return repo.Comment{}, repo.Stamp{}, repo.ErrClosed
	}
	if err != nil {
		return repo.Comment{}, repo.Stamp{}, repo.Translate(err, "create comment")
	}
	c.User.Avatar = s.avatar(c.User.Email)
	return c, st, nil
}

// replyTo checks that the comment parentID can be answered by c (same post, shown to readers) and sets c's
// parent and thread. It returns the conversation's top-level comment, locked until the transaction ends.
func (s *Comments) replyTo(ctx context.Context, c *repo.Comment, parentID int64) (*repo.Comment, error) {
	// Locked (on PostgreSQL) before it is checked: its author deleting it at the same moment either commits
	// first, and it is refused here, or waits and finds this reply (AuthorDelete checks with the same lock).
	parent, err := repo.LockComment(ctx, s.db, parentID)
	switch {
	case errors.Is(err, rel.ErrNotFound):
		return nil, repo.BadParentError{Msg: "The comment you are replying to does not exist."}
	case err != nil:
		return nil, err
	case parent.PostID != c.PostID:
		return nil, repo.BadParentError{Msg: "The comment you are replying to belongs to another post."}
	case !parent.Visible():
		return nil, repo.BadParentError{Msg: "The comment you are replying to was removed, so it cannot be answered."}
	}
	thread := parent.Thread()
	c.ParentID, c.ThreadID = &parent.ID, &thread
	if thread == parent.ID {
		return &parent, nil
	}
	root, err := repo.LockComment(ctx, s.db, thread)
	return &root, err
}

// checkRate refuses a comment over its client's limit, inside the write transaction (repo.CheckRate).
func (s *Comments) checkRate(ctx context.Context, l *repo.RateLimit) error {
	return repo.CheckRate(ctx, s.db, store.LockClient, "comments", l, time.Now().UTC())
}

// upsertUser returns the user with this (lower-case) email, created or given the name used now as needed.
func (s *Comments) upsertUser(ctx context.Context, username, email string) (repo.User, error) {
	var u repo.User
	err := s.db.Repo().Find(ctx, &u, where.Eq("email", email))
	switch {
	case errors.Is(err, rel.ErrNotFound):
		u = repo.User{Username: username, Email: email, CreatedAt: time.Now().UTC()}
		return u, s.db.Repo().Insert(ctx, &u)
	case err != nil:
		return u, err
	case u.Username != username:
		u.Username = username
		return u, s.db.Repo().Update(ctx, &u, rel.Set("username", username))
	}
	return u, nil
}

// FindComments returns the published comments on one post, newest first unless f says otherwise, with their
// authors loaded in one extra query.
func (s *Comments) FindComments(ctx context.Context, f repo.CommentFilter) ([]repo.Comment, error) {
	q := rel.Where(where.Eq("post_id", f.PostID), where.Eq("state", repo.StatePublished))
	if f.OldestFirst {
		q = q.SortAsc("id")
	} else {
		q = q.SortDesc("id")
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
	return s.findWithAuthors(ctx, q)
}

// FindThreads returns up to limit conversations of a post, the newest ones (those started before beforeID, when
// set), oldest first: each top-level comment that is shown or still has published replies, with its first
// ShownReplies published replies, oldest first, and their authors. Pinned conversations are not among them:
// FindPinned reads those, which every list shows first.
func (s *Comments) FindThreads(ctx context.Context, postID, beforeID int64, limit int) ([]repo.Thread, error) {
	q := rel.Where(where.Eq("post_id", postID), where.Nil("thread_id"),
		where.Or(where.Eq("state", repo.StatePublished), where.Gt("replies", 0)), notPinned).SortDesc("id").Limit(limit)
	if beforeID > 0 {
		q = q.Where(where.Lt("id", beforeID))
	}
	tops, err := s.findWithAuthors(ctx, q)
	if err != nil || len(tops) == 0 {
		return nil, err
	}
	slices.Reverse(tops)
	return s.threadsOf(ctx, tops)
}

// FindTopThreads returns up to limit conversations of a post in the order "top" shows them, over its whole
// history: the shown top-level comments with reactions, most first, then the rest (shown ones without
// reactions, and removed ones kept for their replies, which rank with none) oldest first; each with its first
// replies as FindThreads gives them. Pinned conversations are not among them.
func (s *Comments) FindTopThreads(ctx context.Context, postID int64, limit int) ([]repo.Thread, error) {
	ranked, err := s.findWithAuthors(ctx, rel.Where(where.Eq("post_id", postID), where.Nil("thread_id"),
		where.Eq("state", repo.StatePublished), where.Gt("reactions", 0), notPinned).
		SortDesc("reactions").SortAsc("id").Limit(limit))
	if err != nil {
		return nil, err
	}
	if len(ranked) < limit {
		rest, err := s.findWithAuthors(ctx, rel.Where(where.Eq("post_id", postID), where.Nil("thread_id"),
			where.Or(where.And(where.Eq("state", repo.StatePublished), where.Eq("reactions", 0)),
				where.And(where.Ne("state", repo.StatePublished), where.Gt("replies", 0))), notPinned).
			SortAsc("id").Limit(limit-len(ranked)))
		if err != nil {
			return nil, err
		}
		ranked = append(ranked, rest...)
	}
	if len(ranked) == 0 {
		return nil, nil
	}
	return s.threadsOf(ctx, ranked)
}

// notPinned keeps the conversations out of their place in time that lists show first (repo.Comment.Pinned).
var notPinned = where.Or(where.Nil("pinned_at"), where.Ne("state", repo.StatePublished))

// FindPinned returns a post's pinned conversations (at most repo.MaxPinned), in the order they were pinned, with
// their first replies as FindThreads gives them: what every list of the post shows first.
func (s *Comments) FindPinned(ctx context.Context, postID int64) ([]repo.Thread, error) {
	q := rel.Where(where.Eq("post_id", postID), where.Nil("thread_id"), where.NotNil("pinned_at"),
		where.Eq("state", repo.StatePublished)).SortAsc("pinned_at").SortAsc("id").Limit(repo.MaxPinned)
	tops, err := s.findWithAuthors(ctx, q)
	if err != nil || len(tops) == 0 {
		return nil, err
	}
	return s.threadsOf(ctx, tops)
}

// threadsOf returns the conversations these top-level comments start, with their first replies.
func (s *Comments) threadsOf(ctx context.Context, tops []repo.Comment) ([]repo.Thread, error) {
	ids := make([]string, len(tops))
	for i, t := range tops {
		ids[i] = strconv.FormatInt(t.ID, 10)
	}
	// The first replies of each conversation, however long it is: a window over the conversation index. The
	// statement has no parameters (ids are numbers written here), so it reads the same on both databases.
	firsts := rel.SQL("SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY thread_id ORDER BY id) AS n FROM comments" +
		" WHERE thread_id IN (" + strings.Join(ids, ",") + ") AND state = '" + repo.StatePublished + "') AS firsts" +
		" WHERE n <= " + strconv.Itoa(repo.ShownReplies))
	var picked []repo.Comment
	if err := s.db.Repo().FindAll(ctx, &picked, firsts); err != nil {
		return nil, repo.Translate(err, "find first replies")
	}
	var replies []repo.Comment
	var err error
	if len(picked) > 0 {
		pickedIDs := make([]int64, len(picked))
		for i, p := range picked {
			pickedIDs[i] = p.ID
		}
		if replies, err = s.findWithAuthors(ctx, rel.Where(store.InIDs("id", pickedIDs)).SortAsc("id")); err != nil {
			return nil, err
		}
	}
	byThread := map[int64][]repo.Comment{}
	for _, r := range replies {
		byThread[*r.ThreadID] = append(byThread[*r.ThreadID], r)
	}
	out := make([]repo.Thread, len(tops))
	for i, t := range tops {
		out[i] = repo.Thread{Top: t, Replies: byThread[t.ID], More: max(0, t.Replies-len(byThread[t.ID]))}
	}
	return out, s.parentNames(ctx, replies, out)
}

// FindReplies returns up to limit published replies of one conversation after the reply afterID (0: from the
// first), oldest first, with their authors and the names they answer.
func (s *Comments) FindReplies(ctx context.Context, threadID, afterID int64, limit int) ([]repo.Comment, error) {
	q := rel.Where(where.Eq("thread_id", threadID), where.Eq("state", repo.StatePublished), where.Gt("id", afterID)).
		SortAsc("id").Limit(limit)
	replies, err := s.findWithAuthors(ctx, q)
	if err != nil {
		return nil, err
	}
	return replies, s.parentNames(ctx, replies, nil)
}

// FindCommentsByID returns the comments with these ids, in any state, in increasing id order.
func (s *Comments) FindCommentsByID(ctx context.Context, ids []int64) ([]repo.Comment, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	out, err := s.findWithAuthors(ctx, rel.Where(store.InIDs("id", ids)).SortAsc("id"))
	if err != nil {
		return nil, err
	}
	return out, s.parentNames(ctx, out, nil)
}

// FindComment returns one comment, in any state, with its author and post.
func (s *Comments) FindComment(ctx context.Context, id int64) (repo.Comment, error) {
	cs, err := s.findWithAuthors(ctx, rel.Where(where.Eq("id", id)))
	if err != nil {
		return repo.Comment{}, err
	}
	if len(cs) == 0 {
		return repo.Comment{}, repo.Translate(rel.ErrNotFound, "find comment")
	}
	return cs[0], nil
}

// Answered reports whether somebody has replied to a comment (a reply shown or waiting for approval).
func (s *Comments) Answered(ctx context.Context, id int64) (bool, error) {
	n, err := s.db.Repo().Count(ctx, "comments", where.Eq("parent_id", id), where.In("state", repo.StatePublished, repo.StatePending))
	return n > 0, repo.Translate(err, "count replies")
}

func (s *Comments) findWithAuthors(ctx context.Context, q rel.Query) ([]repo.Comment, error) {
	var comments []repo.Comment
	if err := s.db.Repo().FindAll(ctx, &comments, q); err != nil {
		return nil, repo.Translate(err, "find comments")
	}
	if len(comments) > 0 {
		if err := s.db.Repo().Preload(ctx, &comments, "user"); err != nil {
			return nil, repo.Translate(err, "load comment authors")
		}
	}
	for i := range comments {
		comments[i].CreatedAt = comments[i].CreatedAt.UTC()
		comments[i].User.Avatar = s.avatar(comments[i].User.Email)
	}
	return comments, nil
}

// PostStamp returns where a post's feed stands: its newest sequence and its count of published comments.
func (s *Comments) PostStamp(ctx context.Context, postID int64) (repo.Stamp, error) {
	var p repo.Post
	if err := s.db.Repo().Find(ctx, &p, where.Eq("id", postID)); err != nil {
		return repo.Stamp{}, repo.Translate(err, "read post")
	}
	return repo.Stamp{Seq: p.LastSeq, Count: p.CommentCount, Closed: p.Closed(time.Now()), Reactions: p.Tally()}, nil
}

// PostStamps returns where every post's feed stands, keyed by post id.
func (s *Comments) PostStamps(ctx context.Context) (map[int64]repo.Stamp, error) {
	var posts []repo.Post
	if err := s.db.Repo().FindAll(ctx, &posts); err != nil {
		return nil, repo.Translate(err, "read posts")
	}
	out := make(map[int64]repo.Stamp, len(posts))
	for _, p := range posts {
		out[p.ID] = repo.Stamp{Seq: p.LastSeq, Count: p.CommentCount, Closed: p.Closed(time.Now())}
	}
	return out, nil
}

// FindUserByEmail returns the user with this email, in any letter case.
func (s *Comments) FindUserByEmail(ctx context.Context, email string) (repo.User, error) {
	var u repo.User
	err := s.db.Repo().Find(ctx, &u, where.Eq("email", repo.CommentInput{Email: email}.Normalize().Email))
	return u, repo.Translate(err, "find user")
}

// RenderStale renders again, in batches, the comments whose stored rendering was made by older rules than
// richtext's (or never made: comments from before renderings were stored), and returns how many it rendered.
// Until it has, those comments are rendered when shown.
func (s *Comments) RenderStale(ctx context.Context) (int, error) {
	done := 0
	for {
		var batch []repo.Comment
		q := rel.Select("id", "body", "format").From("comments").Where(where.Ne("html_version", richtext.Version)).
			SortAsc("id").Limit(200)
		if err := s.db.Repo().FindAll(ctx, &batch, q); err != nil {
			return done, repo.Translate(err, "find comments to render")
		}
		if len(batch) == 0 {
			return done, nil
		}
		err := s.db.Write(ctx, func(ctx context.Context) error {
			for i := range batch {
				c := &batch[i]
				c.Render()
				_, err := s.db.Repo().UpdateAny(ctx, rel.From("comments").Where(where.Eq("id", c.ID), where.Eq("body", c.Body)),
					rel.Set("html", c.HTML), rel.Set("html_version", c.HTMLVersion))
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return done, repo.Translate(err, "store renderings")
		}
		done += len(batch)
	}
}

// ThreadStartingAt returns the first conversation of a post started at or after comment id: the one a list of
// conversations "before id" would begin after (0 when there is none). Lists asked for with any id in between
// are the same list, so they can be kept once.
func (s *Comments) ThreadStartingAt(ctx context.Context, postID, id int64) (int64, error) {
	var row struct{ First *int64 }
	q := rel.Select("^MIN(id) AS first").From("comments").Where(where.Eq("post_id", postID), where.Nil("thread_id"),
		where.Gte("id", id), where.Or(where.Eq("state", repo.StatePublished), where.Gt("replies", 0)), notPinned)
	if err := s.db.Repo().Find(ctx, &row, q); err != nil {
		return 0, repo.Translate(err, "find conversation")
	}
	if row.First == nil {
		return 0, nil
	}
	return *row.First, nil
}

// RepliesThrough returns how many published replies of a conversation have an id up to id, and the last of them
// (0 when none): where a page of replies "after id" really begins.
func (s *Comments) RepliesThrough(ctx context.Context, threadID, id int64) (n int, last int64, err error) {
	var row struct {
		N    int
		Last *int64
	}
	q := rel.Select("^COUNT(*) AS n", "^MAX(id) AS last").From("comments").Where(where.Eq("thread_id", threadID),
		where.Eq("state", repo.StatePublished), where.Lte("id", id))
	if err := s.db.Repo().Find(ctx, &row, q); err != nil {
		return 0, 0, repo.Translate(err, "count replies")
	}
	if row.Last != nil {
		last = *row.Last
	}
	return row.N, last, nil
}

// NthReply returns the id of a conversation's n-th published reply, counted from 1 (0 when it has fewer).
func (s *Comments) NthReply(ctx context.Context, threadID int64, n int) (int64, error) {
	if n <= 0 {
		return 0, nil
	}
	var rows []repo.Comment
	q := rel.Select("id").From("comments").Where(where.Eq("thread_id", threadID), where.Eq("state", repo.StatePublished)).
		SortAsc("id").Offset(n - 1).Limit(1)
	if err := s.db.Repo().FindAll(ctx, &rows, q); err != nil {
		return 0, repo.Translate(err, "find reply")
	}
	if len(rows) == 0 {
		return 0, nil
	}
	return rows[0].ID, nil
}

// ownerCommentEntry is the audit trail's record of a comment the owner wrote.
func ownerCommentEntry(c repo.Comment) repo.AuditEntry {
	e := repo.AuditEntry{Actor: repo.ActorOwner, Action: "comment", CommentIDs: strconv.FormatInt(c.ID, 10)}
	if c.ParentID != nil {
		e.Action, e.Detail = "reply", "to comment "+strconv.FormatInt(*c.ParentID, 10)
	}
	return e
}
