// Package review holds the store of what moderation does to comments once they are posted: moving them between
// states (each move in the feed and the audit trail), an author's edits and deletions, purging the deleted, the
// console's counts and earlier versions, and the bans with the comments they apply to. Its Comments is the comment
// store with those writes added; the moderation service is what uses it.
package review

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

	"blog/database"
	"blog/repo"
	"blog/repo/discussion"
	"blog/repo/internal/store"
)

// Comments is the comment store with what moderation does added: every read and write of the comment store, and
// the changes of state, edits and purges that only moderation makes.
type Comments struct {
	*discussion.Comments
	db *database.DB
}

// NewComments returns the moderation store backed by db; opts configure the comment store it adds to (AvatarKey).
func NewComments(db *database.DB, opts ...discussion.Option) *Comments {
	return &Comments{Comments: discussion.NewComments(db, opts...), db: db}
}

// SetState moves the comments with these ids to state (with reason) in one transaction: each move is recorded in
// its post's feed and the action in the audit trail, with every previous state. Comments already in that state,
// and unknown ids, are left alone. It returns the comments it moved. An action of anyone but the author marks the
// comments as moderated.
func (s *Comments) SetState(ctx context.Context, ids []int64, state, reason string, act repo.Action) ([]repo.Moved, error) {
	return s.setState(ctx, ids, state, reason, act, nil)
}

// AuthorDelete deletes a comment for its author, in one transaction with the checks that allow it: nobody has
// answered it (a reply shown or waiting: ErrHasReplies) and the owner has not acted on it (ErrModerated). The
// comment's row is locked while checking, so a reply committed meanwhile is either counted or refused.
func (s *Comments) AuthorDelete(ctx context.Context, id int64) (repo.Moved, error) {
	moved, err := s.setState(ctx, []int64{id}, repo.StateDeleted, "deleted by its author", repo.Action{Actor: repo.ActorAuthor, Name: "delete-own"},
		func(ctx context.Context, c repo.Comment) error { return s.authorMay(ctx, c) })
	if errors.Is(err, repo.ErrHasReplies) || errors.Is(err, repo.ErrModerated) {
		return repo.Moved{}, err
	}
	if err != nil || len(moved) == 0 {
		return repo.Moved{}, err
	}
	return moved[0], nil
}

// authorMay reports whether a comment's author may still change it: ErrNotFound once deleted, ErrModerated once
// the owner has acted on it, ErrHasReplies once somebody answered it. It runs inside the transaction that changes
// it, the comment locked.
func (s *Comments) authorMay(ctx context.Context, c repo.Comment) error {
	if c.State == repo.StateDeleted {
		return fmt.Errorf("comment %d was deleted: %w", c.ID, repo.ErrNotFound)
	}
	if c.ModeratedAt != nil {
		return repo.ErrModerated
	}
	n, err := s.db.Repo().Count(ctx, "comments", where.Eq("parent_id", c.ID), where.In("state", repo.StatePublished, repo.StatePending))
	if err != nil {
		return err
	}
	if n > 0 {
		return repo.ErrHasReplies
	}
	return nil
}

func (s *Comments) setState(ctx context.Context, ids []int64, state, reason string, act repo.Action,
	check func(context.Context, repo.Comment) error) ([]repo.Moved, error) {
	var moved []repo.Moved
	err := s.db.Write(ctx, func(ctx context.Context) error {
		var err error
		moved, err = s.move(ctx, ids, state, reason, act, check)
		return err
	})
	if errors.Is(err, repo.ErrHasReplies) || errors.Is(err, repo.ErrModerated) {
		return nil, err
	}
	if err != nil {
		return nil, repo.Translate(err, "set comment state")
	}
	return moved, nil
}

// move is setState inside a write transaction (erasing a commenter's data moves their comments in the same
// transaction that removes the rest).
func (s *Comments) move(ctx context.Context, ids []int64, state, reason string, act repo.Action,
	check func(context.Context, repo.Comment) error) ([]repo.Moved, error) {
	ids = store.UniqueIDs(ids)
	var moved []repo.Moved
	err := func() error {
		if len(ids) == 0 {
			return repo.InsertAudit(ctx, s.db, repo.AuditEntry{Actor: act.Actor, Action: act.Name, Detail: act.Detail})
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
		roots := map[int64]*repo.Comment{}
		for i := range rootList {
			roots[rootList[i].ID] = &rootList[i]
		}
		slices.SortFunc(comments, func(a, b repo.Comment) int {
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
			if act.Actor != repo.ActorAuthor {
				set = append(set, rel.Set("moderated_at", now))
			}
			if _, err := s.db.Repo().UpdateAny(ctx, rel.From("comments").Where(where.Eq("id", c.ID)), set...); err != nil {
				return err
			}
			if r := roots[c.Thread()]; r != nil && !c.TopLevel() {
				if _, err := repo.ReplyMoved(ctx, s.db, r, repo.VisibleDelta(c.State, state)); err != nil {
					return err
				}
			}
			if r := roots[c.ID]; r != nil {
				r.State = state // a root moved in the same action: its placeholder is decided by its new state
			}
			st, err := repo.Record(ctx, s.db, c.PostID, c.ID, repo.ChangeState, repo.VisibleDelta(c.State, state))
			if err != nil {
				return err
			}
			moved = append(moved, repo.Moved{ID: c.ID, PostID: c.PostID, From: c.State, To: state, Stamp: st})
			prev = append(prev, strconv.FormatInt(c.ID, 10)+":"+c.State)
		}
		return repo.InsertAudit(ctx, s.db, repo.AuditEntry{At: now, Actor: act.Actor, Action: act.Name, CommentIDs: joinIDs(ids),
			Previous: strings.Join(prev, ","), Detail: act.Detail})
	}()
	return moved, err
}

// lockComments reads comments for update, in id order (their rows locked until the transaction ends).
func (s *Comments) lockComments(ctx context.Context, ids []int64) ([]repo.Comment, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	q := s.db.ForUpdate(rel.Where(store.InIDs("id", ids)).SortAsc("id"))
	var out []repo.Comment
	err := s.db.Repo().FindAll(ctx, &out, q)
	return out, err
}

// EditComment replaces a comment's text (keeping the earlier one as a version), moves it to the state screening
// decided, and records the change, in one transaction. Like AuthorDelete it refuses a comment somebody answered
// (ErrHasReplies) or the owner acted on (ErrModerated), checked with the comment's row locked. An empty State
// keeps the comment's state.
func (s *Comments) EditComment(ctx context.Context, id int64, e repo.Edit) (repo.Comment, repo.Stamp, error) {
	var c repo.Comment
	var st repo.Stamp
	err := s.db.Write(ctx, func(ctx context.Context) error {
		var err error
		if c, err = repo.LockComment(ctx, s.db, id); err != nil {
			return err
		}
		if err := s.authorMay(ctx, c); err != nil {
			return err
		}
		var root *repo.Comment
		if !c.TopLevel() {
			r, err := repo.LockComment(ctx, s.db, c.Thread())
			if err != nil {
				return err
			}
			root = &r
		}
		now := time.Now().UTC()
		if err := s.db.Repo().Insert(ctx, &repo.Version{CommentID: id, Body: c.Body, Format: c.Format, ReplacedAt: now}); err != nil {
			return err
		}
		from := c.State
		if e.State == "" || (repo.Held(from) && e.State == repo.StatePublished) {
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
			if _, err := repo.ReplyMoved(ctx, s.db, root, repo.VisibleDelta(from, c.State)); err != nil {
				return err
			}
		}
		st, err = repo.Record(ctx, s.db, c.PostID, c.ID, repo.ChangeEdited, repo.VisibleDelta(from, c.State))
		return err
	})
	if errors.Is(err, repo.ErrHasReplies) || errors.Is(err, repo.ErrModerated) || errors.Is(err, repo.ErrNotFound) {
		return repo.Comment{}, repo.Stamp{}, err
	}
	return c, st, repo.Translate(err, "edit comment")
}

// Versions returns the earlier texts of comments, oldest first, by comment id.
func (s *Comments) Versions(ctx context.Context, ids []int64) (map[int64][]repo.Version, error) {
	out := map[int64][]repo.Version{}
	if len(ids) == 0 {
		return out, nil
	}
	var vs []repo.Version
	if err := s.db.Repo().FindAll(ctx, &vs, rel.Where(store.InIDs("comment_id", ids)).SortAsc("id")); err != nil {
		return nil, repo.Translate(err, "find versions")
	}
	for _, v := range vs {
		v.ReplacedAt = v.ReplacedAt.UTC()
		out[v.CommentID] = append(out[v.CommentID], v)
	}
	return out, nil
}

// CountByState returns how many comments are in each state.
func (s *Comments) CountByState(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		State string
		Total int
	}
	q := rel.Select("state", "^COUNT(*) AS total").From("comments").Group("state")
	if err := s.db.Repo().FindAll(ctx, &rows, q); err != nil {
		return nil, repo.Translate(err, "count comments by state")
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
	return n, repo.Translate(err, "count comments in a state")
}

// Purge deletes for good the comments deleted before cutoff, with the readers' reactions to them, and records
// it in the audit trail. Their places in the feed stay (they read as removed).
func (s *Comments) Purge(ctx context.Context, cutoff time.Time, act repo.Action) (int, error) {
	var n int
	err := s.db.Write(ctx, func(ctx context.Context) error {
		var gone []repo.Comment
		q := rel.Select("id").Where(where.Eq("state", repo.StateDeleted), where.Lt("state_at", cutoff.UTC())).Limit(10000)
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
		if _, err := s.db.Repo().DeleteAny(ctx, rel.From("reactions").Where(store.InIDs("comment_id", ids))); err != nil {
			return err
		}
		return repo.InsertAudit(ctx, s.db, repo.AuditEntry{Actor: act.Actor, Action: act.Name, CommentIDs: joinIDs(ids), Detail: act.Detail})
	})
	return n, repo.Translate(err, "purge deleted comments")
}

// joinIDs writes ids as "1,2,3".
func joinIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}

// SetPinned pins the comments with these ids (pin true) or unpins them, in one transaction: each change is
// recorded in its post's feed and the action in the audit trail. Only a conversation's first comment that readers
// see can be pinned, and at most repo.MaxPinned per post (repo.PinRefusedError says why not, and nothing changes).
// Comments already so, and unknown ids, are left alone. It returns the comments it changed, From and To being
// "unpinned" and "pinned".
func (s *Comments) SetPinned(ctx context.Context, ids []int64, pin bool, act repo.Action) ([]repo.Moved, error) {
	ids = store.UniqueIDs(ids)
	var moved []repo.Moved
	err := s.db.Write(ctx, func(ctx context.Context) error {
		moved = nil
		comments, err := s.lockComments(ctx, ids)
		if err != nil {
			return err
		}
		now := time.Now().UTC()
		var prev []string
		for _, c := range comments {
			if (c.PinnedAt != nil) == pin {
				continue
			}
			var at *time.Time
			from, to := "pinned", "unpinned"
			if pin {
				if !c.TopLevel() || !c.Visible() {
					return repo.PinRefusedError{Msg: fmt.Sprintf("Comment %d cannot be pinned: only a published comment that starts a conversation can.", c.ID)}
				}
				n, err := s.db.Repo().Count(ctx, "comments", where.Eq("post_id", c.PostID), where.NotNil("pinned_at"), where.Eq("state", repo.StatePublished))
				if err != nil {
					return err
				}
				if n >= repo.MaxPinned {
					return repo.PinRefusedError{Msg: fmt.Sprintf("Comment %d cannot be pinned: its post has %d pinned comments already (at most %d). Unpin one first.", c.ID, n, repo.MaxPinned)}
				}
				at, from, to = &now, "unpinned", "pinned"
			}
			if _, err := s.db.Repo().UpdateAny(ctx, rel.From("comments").Where(where.Eq("id", c.ID)), rel.Set("pinned_at", at)); err != nil {
				return err
			}
			st, err := repo.Record(ctx, s.db, c.PostID, c.ID, repo.ChangePinned, 0)
			if err != nil {
				return err
			}
			moved = append(moved, repo.Moved{ID: c.ID, PostID: c.PostID, From: from, To: to, Stamp: st})
			prev = append(prev, strconv.FormatInt(c.ID, 10)+":"+from)
		}
		return repo.InsertAudit(ctx, s.db, repo.AuditEntry{At: now, Actor: act.Actor, Action: act.Name, CommentIDs: joinIDs(ids),
			Previous: strings.Join(prev, ","), Detail: act.Detail})
	})
	var refused repo.PinRefusedError
	if errors.As(err, &refused) {
		return nil, refused
	}
	return moved, repo.Translate(err, "pin comments")
}
