package views

import (
	"context"

	"blog/repo"
)

// pinTokenKey carries the signed-in owner's console form token into a post page rendered for them.
type pinTokenKey struct{}

// WithPinControls marks a rendering as the signed-in owner's: every conversation's first comment gets a Pin (or
// Unpin) form, posted to the console with its form token, so the owner pins from the page without JavaScript.
func WithPinControls(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, pinTokenKey{}, token)
}

// pinToken is the owner's form token when the rendering is theirs ("" otherwise).
func pinToken(ctx context.Context) string {
	tok, _ := ctx.Value(pinTokenKey{}).(string)
	return tok
}

// pinAction is the console's action a comment's pin control sends.
func pinAction(c repo.Comment) string {
	if c.Pinned() {
		return "unpin"
	}
	return "pin"
}

// HasPinControls reports whether a rendering is the signed-in owner's (WithPinControls).
func HasPinControls(ctx context.Context) bool { return pinToken(ctx) != "" }
