package repo

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
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

// blank are characters that are letters or symbols to Unicode but show nothing: Hangul fillers, the Braille blank,
// and the like.
func blank(r rune) bool {
	switch r {
	case '\u115f', '\u1160', '\u3164', '\uffa0', '\u2800', '\u180e', '\u034f':
		return true
	}
	return false
}

// hasVisible reports a character that shows something: a letter, digit, punctuation or symbol that is not blank.
func hasVisible(s string) bool {
	for _, r := range s {
		if (unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsPunct(r) || unicode.IsSymbol(r)) && !blank(r) {
			return true
		}
	}
	return false
}

// hiddenFormat reports an invisible formatting character, or a blank one, other than the joiners that emoji and
// some scripts need between visible characters.
func hiddenFormat(r rune) bool {
	if r == '\u200c' || r == '\u200d' {
		return false
	}
	return unicode.Is(unicode.Cf, r) || blank(r) || r == '\u2028' || r == '\u2029'
}

// maxCombining is how many combining marks may follow one character: enough for any script's accents and tone
// marks, far below the piles that spill over neighbouring lines.
const maxCombining = 4

// maxCombiningRun returns the longest run of combining marks in s.
func maxCombiningRun(s string) int {
	run, longest := 0, 0
	for _, r := range s {
		if unicode.In(r, unicode.Mn, unicode.Me) {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
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

// Normalize returns the input with surrounding blanks trimmed, Windows line endings folded to "\n", the name
// and the email in Unicode's composed form (NFC: "é" typed as one character or as e plus an accent is the same
// name and the same commenter) and the email in lower case, which is how it is validated and stored.
func (in CommentInput) Normalize() CommentInput {
	email := strings.TrimSpace(in.Email)
	name := in.Username
	if utf8.ValidString(email) {
		// Only valid text is changed: ToLower and NFC would replace invalid bytes and hide them from Validate.
		email = strings.ToLower(norm.NFC.String(email))
	}
	if utf8.ValidString(name) {
		name = norm.NFC.String(name)
	}
	return CommentInput{
		Username: strings.TrimFunc(name, invisible),
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
	case !hasVisible(in.Username):
		errs["username"] = "Your name must show at least one letter, digit or symbol."
	case strings.IndexFunc(in.Username, hiddenFormat) >= 0:
		errs["username"] = "Your name cannot contain invisible formatting characters."
	case maxCombiningRun(in.Username) > maxCombining:
		errs["username"] = "Your name has too many accents stacked on one letter."
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
	// Zero-width and other invisible characters would make addresses that look the same count as different
	// people (and dodge bans and mail bounds): none belongs in an address.
	if strings.IndexFunc(s, func(r rune) bool { return unicode.Is(unicode.Cf, r) || blank(r) || unicode.IsSpace(r) }) >= 0 {
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
