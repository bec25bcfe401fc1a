package repo

import (
	"errors"
	"fmt"

	"github.com/go-rel/rel"
)

// Sentinel errors that callers can test with errors.Is; every other failure is wrapped with context.
var (
	// ErrNotFound means the requested record does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict means a unique or foreign-key constraint refused the write.
	ErrConflict = errors.New("conflict")
	// ErrModerated refuses an author's change to a comment the owner has acted on.
	ErrModerated = errors.New("the owner has acted on this comment")
	// ErrHasReplies refuses to edit a comment somebody has answered.
	ErrHasReplies = errors.New("somebody has replied to this comment")
	// ErrClosed refuses a new comment on a post closed to comments.
	ErrClosed = errors.New("comments on this post are closed")
	// ErrExists means the same ban is already in place.
	ErrExists = errors.New("already exists")
)

// Translate maps rel's errors onto the package sentinels and adds context to the rest. Every store, here and in
// repo's sub-packages, answers through it, so that callers test one set of sentinels.
func Translate(err error, what string) error {
	if err == nil {
		return nil
	}
	var ce rel.ConstraintError
	switch {
	case errors.Is(err, rel.ErrNotFound):
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	case errors.As(err, &ce):
		return fmt.Errorf("%s: %w: %w", what, ErrConflict, err)
	default:
		return fmt.Errorf("%s: %w", what, err)
	}
}
