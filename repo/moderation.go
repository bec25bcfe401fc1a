package repo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-rel/rel"
	"github.com/go-rel/rel/where"

	"blog/repo/internal/store"
)

// SetState moves the comments with these ids to state (with reason) in one transaction: each move is recorded in
// its post's feed and the action in the audit trail, with every previous state. Comments already in that state,
// and unknown ids, are left alone. It returns the comments it moved. An action of anyone but the author marks the
// comments as moderated.
func (s *Comments) SetState(ctx context.Context, ids []int64, state, reason string, act Action) ([]Moved, error) {
	return s.setState(ctx, ids, state, reason, act, nil)
}

// AuthorDelete deletes a comment for its author, in one transaction with the checks that allow it: nobody has
// answered it (a reply shown or waiting: ErrHasReplies) and the owner has not acted on it (ErrModerated). The
// comment's row is locked while checking, so a reply committed meanwhile is either counted or refused.
func (s *Comments) AuthorDelete(ctx context.Context, id int64) (Moved, error) {
	moved, err := s.setState(ctx, []int64{id}, StateDeleted, "deleted by its author", Action{Actor: ActorAuthor, Name: "delete-own"},
		func(ctx context.Context, c Comment) error { return s.authorMay(ctx, c) })
	if errors.Is(err, ErrHasReplies) || errors.Is(err, ErrModerated) {
		return Moved{}, err
	}
	if err != nil || len(moved) == 0 {
		return Moved{}, err
	}
	return moved[0], nil
}

// authorMay reports whether a comment's author may still change it: ErrNotFound once deleted, ErrModerated once
// the owner has acted on it, ErrHasReplies once somebody answered it. It runs inside the transaction that changes
// it, the comment locked.
func (s *Comments) authorMay(ctx context.Context, c Comment) error {
	if c.State == StateDeleted {
		return fmt.Errorf("comment %d was deleted: %w", c.ID, ErrNotFound)
	}
	if c.ModeratedAt != nil {
		return ErrModerated
	}
	n, err := s.db.Repo().Count(ctx, "comments", where.Eq("parent_id", c.ID), where.In("state", StatePublished, StatePending))
	if err != nil {
		return err
	}
	if n > 0 {
		return ErrHasReplies
	}
	return nil
}

func (s *Comments) setState(ctx context.Context, ids []int64, state, reason string, act Action,
	check func(context.Context, Comment) error) ([]Moved, error) {
	ids = store.UniqueIDs(ids)
	var moved []Moved
	err := s.db.Write(ctx, func(ctx context.Context) error {
		moved = nil
		if len(ids) == 0 {
			return InsertAudit(ctx, s.db, AuditEntry{Actor: act.Actor, Action: act.Name, Detail: act.Detail})
		}
		comments, err := s.lockComments(ctx, ids)
		if err != nil {
			return err
		}
		// The conversations' top-level comments are locked too, before any post row: every writer takes
		// comment rows first, then post rows, so concurrent writers cannot deadlock.
		var rootIDs []int64
		for _, c := range comments {
			if !c.TopLevel() {
				rootIDs = append(rootIDs, c.Thread())
			}
		}
		rootList, err := s.lockComments(ctx, store.UniqueIDs(rootIDs))
		if err != nil {
			return err
		}
		roots := map[int64]*Comment{}
		for i := range rootList {
			roots[rootList[i].ID] = &rootList[i]
		}
		slices.SortFunc(comments, func(a, b Comment) int {
			if a.PostID != b.PostID {
				return int(a.PostID - b.PostID)
			}
			return int(a.ID - b.ID)
		})
		now := time.Now().UTC()
		var prev []string
		for _, c := range comments {
			if c.State == state {
				continue
			}
			if check != nil {
				if err := check(ctx, c); err != nil {
					return err
				}
			}
			set := []rel.Mutate{rel.Set("state", state), rel.Set("reason", reason), rel.Set("state_at", now)}
			if act.Actor != ActorAuthor {
				set = append(set, rel.Set("moderated_at", now))
			}
			if _, err := s.db.Repo().UpdateAny(ctx, rel.From("comments").Where(where.Eq("id", c.ID)), set...); err != nil {
				return err
			}
			if r := roots[c.Thread()]; r != nil && !c.TopLevel() {
				if _, err := ReplyMoved(ctx, s.db, r, VisibleDelta(c.State, state)); err != nil {
					return err
				}
			}
			if r := roots[c.ID]; r != nil {
				r.State = state // a root moved in the same action: its placeholder is decided by its new state
			}
			st, err := Record(ctx, s.db, c.PostID, c.ID, ChangeState, VisibleDelta(c.State, state))
			if err != nil {
				return err
			}
			moved = append(moved, Moved{ID: c.ID, PostID: c.PostID, From: c.State, To: state, Stamp: st})
			prev = append(prev, strconv.FormatInt(c.ID, 10)+":"+c.State)
		}
		return InsertAudit(ctx, s.db, AuditEntry{At: now, Actor: act.Actor, Action: act.Name, CommentIDs: joinIDs(ids),
			Previous: strings.Join(prev, ","), Detail: act.Detail})
	})
	if errors.Is(err, ErrHasReplies) || errors.Is(err, ErrModerated) {
		return nil, err
	}
	if err != nil {
		return nil, Translate(err, "set comment state")
	}
	return moved, nil
}

// lockComments reads comments for update, in id order (their rows locked until the transaction ends).
func (s *Comments) lockComments(ctx context.Context, ids []int64) ([]Comment, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	q := s.db.ForUpdate(rel.Where(store.InIDs("id", ids)).SortAsc("id"))
	var out []Comment
	err := s.db.Repo().FindAll(ctx, &out, q)
	return out, err
}

// Answered reports whether somebody has replied to a comment (a reply shown or waiting for approval).
func (s *Comments) Answered(ctx context.Context, id int64) (bool, error) {
	n, err := s.db.Repo().Count(ctx, "comments", where.Eq("parent_id", id), where.In("state", StatePublished, StatePending))
	return n > 0, Translate(err, "count replies")
}

// EditComment replaces a comment's text (keeping the earlier one as a version), moves it to the state screening
// decided, and records the change, in one transaction. Like AuthorDelete it refuses a comment somebody answered
// (ErrHasReplies) or the owner acted on (ErrModerated), checked with the comment's row locked. An empty State
// keeps the comment's state.
func (s *Comments) EditComment(ctx context.Context, id int64, e Edit) (Comment, Stamp, error) {
	var c Comment
	var st Stamp
	err := s.db.Write(ctx, func(ctx context.Context) error {
		var err error
		if c, err = LockComment(ctx, s.db, id); err != nil {
			return err
		}
		if err := s.authorMay(ctx, c); err != nil {
			return err
		}
		var root *Comment
		if !c.TopLevel() {
			r, err := LockComment(ctx, s.db, c.Thread())
			if err != nil {
				return err
			}
			root = &r
		}
		now := time.Now().UTC()
		if err := s.db.Repo().Insert(ctx, &Version{CommentID: id, Body: c.Body, Format: c.Format, ReplacedAt: now}); err != nil {
			return err
		}
		from := c.State
		if e.State == "" || (Held(from) && e.State == StatePublished) {
			// An edit never releases a held comment (the store checks what the service decided, with the row
			// locked): only the owner does.
			e.State, e.Reason = c.State, c.Reason
		}
		c.Body, c.Format, c.EditedAt, c.State, c.Reason = e.Body, e.Format, &now, e.State, e.Reason
		c.Render()
		if _, err := s.db.Repo().UpdateAny(ctx, rel.From("comments").Where(where.Eq("id", id)),
			rel.Set("body", c.Body), rel.Set("format", c.Format), rel.Set("edited_at", now), rel.Set("html", c.HTML),
			rel.Set("html_version", c.HTMLVersion), rel.Set("state", c.State), rel.Set("reason", c.Reason)); err != nil {
			return err
		}
		if root != nil {
			if _, err := ReplyMoved(ctx, s.db, root, VisibleDelta(from, c.State)); err != nil {
				return err
			}
		}
		st, err = Record(ctx, s.db, c.PostID, c.ID, ChangeEdited, VisibleDelta(from, c.State))
		return err
	})
	if errors.Is(err, ErrHasReplies) || errors.Is(err, ErrModerated) || errors.Is(err, ErrNotFound) {
		return Comment{}, Stamp{}, err
	}
	return c, st, Translate(err, "edit comment")
}

// Versions returns the earlier texts of comments, oldest first, by comment id.
func (s *Comments) Versions(ctx context.Context, ids []int64) (map[int64][]Version, error) {
	out := map[int64][]Version{}
	if len(ids) == 0 {
		return out, nil
	}
	var vs []Version
	if err := s.db.Repo().FindAll(ctx, &vs, rel.Where(store.InIDs("comment_id", ids)).SortAsc("id")); err != nil {
		return nil, Translate(err, "find versions")
	}
	for _, v := range vs {
		v.ReplacedAt = v.ReplacedAt.UTC()
		out[v.CommentID] = append(out[v.CommentID], v)
	}
	return out, nil
}

// SearchComments returns the comments matching q, newest first, with their authors and posts loaded.
func (s *Comments) SearchComments(ctx context.Context, q Search) ([]Comment, error) {
	query := rel.From("comments").SortDesc("id")
	if q.Limit > 0 {
		query = query.Limit(q.Limit)
	}
	if q.State != "" {
		query = query.Where(where.Eq("state", q.State))
	}
	if q.PostID > 0 {
		query = query.Where(where.Eq("post_id", q.PostID))
	}
	if q.Text != "" {
		query = query.Where(where.Like("^LOWER(body)", "%"+store.LikeEscape(strings.ToLower(q.Text))+"%"))
	}
	if q.IPHash != "" {
		query = query.Where(where.Eq("ip_hash", q.IPHash))
	}
	if q.NetHash != "" {
		query = query.Where(where.Eq("net_hash", q.NetHash))
	}
	if q.BeforeID > 0 {
		query = query.Where(where.Lt("id", q.BeforeID))
	}
	if q.ID > 0 {
		query = query.Where(where.Eq("id", q.ID))
	}
	users := q.UserIDs
	if q.Email != "" {
		var found []User
		pattern := "%" + store.LikeEscape(strings.ToLower(q.Email)) + "%"
		if err := s.db.Repo().FindAll(ctx, &found, rel.Where(where.Like("email", pattern)).Limit(1000)); err != nil {
			return nil, Translate(err, "find commenters")
		}
		if len(found) == 0 {
			return nil, nil
		}
		for _, u := range found {
			users = append(users, u.ID)
		}
	}
	if q.Email != "" || len(q.UserIDs) > 0 {
		query = query.Where(store.InIDs("user_id", store.UniqueIDs(users)))
	}
	comments, err := s.findWithAuthors(ctx, query)
	if err != nil || len(comments) == 0 {
		return comments, err
	}
	if err := s.db.Repo().Preload(ctx, &comments, "post"); err != nil {
		return nil, Translate(err, "load comment posts")
	}
	return comments, nil
}

// CountByState returns how many comments are in each state.
func (s *Comments) CountByState(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		State string
		Total int
	}
	q := rel.Select("state", "^COUNT(*) AS total").From("comments").Group("state")
	if err := s.db.Repo().FindAll(ctx, &rows, q); err != nil {
		return nil, Translate(err, "count comments by state")
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.State] = r.Total
	}
	return out, nil
}

// CountState returns how many comments are in one state (read from the index on state and id).
func (s *Comments) CountState(ctx context.Context, state string) (int, error) {
	n, err := s.db.Repo().Count(ctx, "comments", where.Eq("state", state))
	return n, Translate(err, "count comments in a state")
}

// Purge deletes for good the comments deleted before cutoff, and records it in the audit trail. Their places
// in the feed stay (they read as removed).
func (s *Comments) Purge(ctx context.Context, cutoff time.Time, act Action) (int, error) {
	var n int
	err := s.db.Write(ctx, func(ctx context.Context) error {
		var gone []Comment
		q := rel.Select("id").Where(where.Eq("state", StateDeleted), where.Lt("state_at", cutoff.UTC())).Limit(10000)
		if err := s.db.Repo().FindAll(ctx, &gone, q); err != nil {
			return err
		}
		n = len(gone)
		if n == 0 {
			return nil
		}
		ids := make([]int64, n)
		for i, c := range gone {
			ids[i] = c.ID
		}
		if _, err := s.db.Repo().DeleteAny(ctx, rel.From("comments").Where(store.InIDs("id", ids))); err != nil {
			return err
		}
		return InsertAudit(ctx, s.db, AuditEntry{Actor: act.Actor, Action: act.Name, CommentIDs: joinIDs(ids), Detail: act.Detail})
	})
	return n, Translate(err, "purge deleted comments")
}
