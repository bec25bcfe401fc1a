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
)

// translate maps rel's errors onto the package sentinels and adds context to the rest.
func translate(err error, what string) error {
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
