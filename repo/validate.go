package repo

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Field limits for a comment, counted in characters (runes) after trimming.
const (
	MaxUsername = 64
	MaxEmail    = 120
	MaxBody     = 5000
)

// CommentInput is what a visitor submits with the comment form.
type CommentInput struct {
	Username string
	Email    string
	Body     string
}

// FieldErrors maps a form field name ("username", "email", "body") to the message shown beside it.
type FieldErrors map[string]string

// invisible are characters that show nothing on their own: a name made only of them looks empty.
func invisible(r rune) bool {
	return unicode.IsSpace(r) || r == '\u200b' || r == '\u200c' || r == '\u200d' || r == '\u2060' || r == '\ufeff'
}

// bidiControl reports the right-to-left override and isolate characters that can make a name read as something else.
func bidiControl(r rune) bool {
	return (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069')
}

// hasControl reports a control character; newlines are allowed only where allowNewline is set.
func hasControl(s string, allowNewline bool) bool {
	for _, r := range s {
		if r == '\n' && allowNewline {
			continue
		}
		if unicode.IsControl(r) {
			return true
		}
	}
	return false
}

// Normalize returns the input with surrounding blanks trimmed, Windows line endings folded to "\n" and the email
// in lower case, which is how it is validated and stored.
func (in CommentInput) Normalize() CommentInput {
	email := strings.TrimSpace(in.Email)
	if utf8.ValidString(email) {
		// Only valid text is lowered: ToLower would replace invalid bytes and hide them from Validate.
		email = strings.ToLower(email)
	}
	return CommentInput{
		Username: strings.TrimFunc(in.Username, invisible),
		Email:    email,
		Body:     strings.TrimFunc(strings.ReplaceAll(strings.ReplaceAll(in.Body, "\r\n", "\n"), "\r", "\n"), invisible),
	}
}

// Validate checks a normalized input and returns one message per bad field; an empty result means it is valid.
func (in CommentInput) Validate() FieldErrors {
	errs := FieldErrors{}
	switch n := utf8.RuneCountInString(in.Username); {
	case !utf8.ValidString(in.Username):
		errs["username"] = "Your name contains bytes that are not valid text."
	case n == 0:
		errs["username"] = "Please enter your name."
	case n > MaxUsername:
		errs["username"] = "Your name can be at most 64 characters."
	case hasControl(in.Username, false):
		errs["username"] = "Your name cannot contain control characters or line breaks."
	case strings.IndexFunc(in.Username, bidiControl) >= 0:
		errs["username"] = "Your name cannot contain text-direction override characters."
	}
	switch {
	case !utf8.ValidString(in.Email):
		errs["email"] = "Your email contains bytes that are not valid text."
	case in.Email == "":
		errs["email"] = "Please enter your email address. It is never shown."
	case utf8.RuneCountInString(in.Email) > MaxEmail:
		errs["email"] = "Your email address can be at most 120 characters."
	case !validEmail(in.Email):
		errs["email"] = "Please enter a valid email address, like name@example.com."
	}
	switch n := utf8.RuneCountInString(in.Body); {
	case !utf8.ValidString(in.Body):
		errs["body"] = "Your comment contains bytes that are not valid text."
	case n == 0:
		errs["body"] = "Please write a comment."
	case n > MaxBody:
		errs["body"] = "Your comment can be at most 5000 characters."
	case hasControl(in.Body, true):
		errs["body"] = "Your comment cannot contain control characters (line breaks are fine)."
	}
	return errs
}

// validEmail accepts a bare address (no display name, no comments) with a dot in its domain.
func validEmail(s string) bool {
	if hasControl(s, false) || strings.ContainsAny(s, " <>\"(),;:\\[]") {
		return false
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s || addr.Name != "" {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	return at > 0 && strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".")
}
