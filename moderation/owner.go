package moderation

import (
	"context"
	"errors"
	"fmt"

	"blog/repo"
)

// The owner's own comments. The bans, spam rules and moderation mode protect the owner from strangers; the owner's
// own words pass none of them: a comment posted with the owner's session is published at once, marked as
// theirs (repo.Comment.ByOwner, shown as an "author" badge) and recorded in the audit trail. It is still a
// comment like any other: validated, written with its change in the feed, and shown live on every open page.
// Nothing a visitor types (a name, an email) makes a comment the owner's: only the session does.

// ownerKey marks a context as the signed-in owner's.
type ownerKey struct{}

// AsOwner returns ctx marked as the signed-in owner's. Only the check of the owner's session calls it (the
// console's routes, and the comment form when its request carries the session), so that a comment posted with
// it is the owner's own.
func AsOwner(ctx context.Context) context.Context { return context.WithValue(ctx, ownerKey{}, true) }

// IsOwner reports whether ctx was marked by AsOwner.
func IsOwner(ctx context.Context) bool {
	v, _ := ctx.Value(ownerKey{}).(bool)
	return v
}

// OwnerEmail is the address the console's replies are stored under. It is not one a reader can type (the
// comment form refuses a domain without a dot, and .invalid never receives mail), so no reader is ever the same
// commenter as the owner, nor shares their picture.
const OwnerEmail = "owner@invalid"

// postOwned stores the owner's comment, published.
func (s *Service) postOwned(ctx context.Context, n repo.NewComment) (repo.Comment, repo.Stamp, Decision, error) {
	n.State, n.Reason, n.ByOwner = repo.StatePublished, "", true
	d := Decision{State: repo.StatePublished, Kind: "owner"}
	c, st, err := s.Comments.CreateComment(ctx, n)
	return c, st, d, err
}

// Reply is the owner's answer to a comment, written in the console.
type Reply struct {
	// To is the comment answered.
	To int64
	// Name is who the reply is from (the site's author); Body its text, as typed.
	Name, Body string
}

// ErrBadReply is a reply that cannot be published; its message says why, in words for the owner.
type ErrBadReply struct{ Msg string }

func (e ErrBadReply) Error() string { return e.Msg }

// Reply publishes the owner's answer to a comment at once, under OwnerEmail, from ctx marked by AsOwner. A
// pending comment is approved first (answering it is accepting it), as the console's Approve would: approved
// and answered, it appears on every open page. It returns the reply and the comments it approved. A spam or
// deleted comment is not answered (ErrBadReply): restore it first.
func (s *Service) Reply(ctx context.Context, r Reply) (repo.Comment, repo.Stamp, []repo.Moved, error) {
	if !IsOwner(ctx) {
		return repo.Comment{}, repo.Stamp{}, nil, errors.New("moderation: a reply from the console needs the owner's session")
	}
	in := repo.CommentInput{Username: r.Name, Email: OwnerEmail, Body: r.Body}.Normalize()
	if msg := in.Validate()["body"]; msg != "" {
		return repo.Comment{}, repo.Stamp{}, nil, ErrBadReply{msg}
	}
	if in.Validate()["username"] != "" {
		in.Username = "Owner" // SITE_AUTHOR is not a name a comment can carry (too long, say)
	}
	parent, err := s.Comments.FindComment(ctx, r.To)
	if errors.Is(err, repo.ErrNotFound) {
		return repo.Comment{}, repo.Stamp{}, nil, ErrBadReply{fmt.Sprintf("Comment %d does not exist any more.", r.To)}
	} else if err != nil {
		return repo.Comment{}, repo.Stamp{}, nil, err
	}
	var moved []repo.Moved
	switch parent.State {
	case repo.StatePending:
		if moved, err = s.Act(ctx, repo.ActorOwner, "approve", []int64{parent.ID}); err != nil {
			return repo.Comment{}, repo.Stamp{}, nil, err
		}
	case repo.StateSpam, repo.StateDeleted:
		return repo.Comment{}, repo.Stamp{}, nil, ErrBadReply{fmt.Sprintf("Comment %d is %s, so it cannot be answered: restore it first.",
			r.To, map[string]string{repo.StateSpam: "marked as spam", repo.StateDeleted: "deleted"}[parent.State])}
	}
	c, st, _, err := s.postOwned(ctx, repo.NewComment{PostID: parent.PostID, Input: in, ParentID: parent.ID})
	var bad repo.BadParentError
	if errors.As(err, &bad) { // removed meanwhile
		return repo.Comment{}, repo.Stamp{}, moved, ErrBadReply{bad.Msg}
	}
	return c, st, moved, err
}
