// Package spam keeps spam out without third parties: rules that hold a comment for the owner (submitted too
// fast after the page loaded, too many links, a listed word), and the signed form timestamp the first rule
// reads. Every rule works without JavaScript: the timestamp is written into the form by the server.
package spam

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Rules are the checks a new comment goes through. The zero value checks nothing.
type Rules struct {
	// Stamps holds comments whose form timestamp is missing or forged, and applies MinAge.
	Stamps bool
	// MinAge is how long a person needs at least between loading the page and posting; faster is a program.
	MinAge time.Duration
	// MaxLinks is how many links a comment may carry before it is held (zero: no limit).
	MaxLinks int
	// Words are held when the comment (or the name) contains one, ignoring case.
	Words []string
}

// Submission is what the rules look at.
type Submission struct {
	Name, Body string
	// FormAge is how long ago the page's form was rendered; FormValid is false when its timestamp is missing or
	// forged.
	FormAge   time.Duration
	FormValid bool
	// Edit marks an author's new text for a comment already posted: the form's timestamp rules do not apply (they
	// held or passed the comment when it was posted; the edit form is served only to the browser that posted it).
	Edit bool
	// History marks a comment written elsewhere, before, and brought in by an import: it came through no form, so
	// the timestamp rules do not apply either.
	History bool
}

// Verdict says whether to hold a comment: Kind names the rule for metrics, Reason says why for the owner.
type Verdict struct {
	Hold         bool
	Kind, Reason string
}

// Check runs the rules in order and returns the first that holds the comment.
func (r Rules) Check(s Submission) Verdict {
	switch {
	case s.Edit || s.History:
	case r.Stamps && !s.FormValid:
		return Verdict{true, "no_timestamp", "held: the form's timestamp was missing or not ours (posted by a program?)"}
	case r.Stamps && r.MinAge > 0 && s.FormAge < r.MinAge:
		return Verdict{true, "too_fast", fmt.Sprintf("held: posted less than %.0f s after the page loaded", r.MinAge.Seconds())}
	}
	if n := CountLinks(s.Body); r.MaxLinks > 0 && n > r.MaxLinks {
		return Verdict{true, "links", fmt.Sprintf("held: %d links (more than %d)", n, r.MaxLinks)}
	}
	if w := r.listed(s.Name + "\n" + s.Body); w != "" {
		return Verdict{true, "words", "held: contains the listed word " + strconv.Quote(w)}
	}
	return Verdict{}
}

// links finds what readers would follow: URLs with a scheme, and www. addresses.
var links = regexp.MustCompile(`(?i)\b(?:https?://|www\.)[^\s<>"']+`)

// CountLinks returns how many links a text contains.
func CountLinks(s string) int { return len(links.FindAllStringIndex(s, -1)) }

// listed returns the first listed word the text contains as a whole word (any letter case), or "".
func (r Rules) listed(text string) string {
	if len(r.Words) == 0 {
		return ""
	}
	lower := strings.ToLower(text)
	for _, w := range r.Words {
		for i := 0; ; {
			j := strings.Index(lower[i:], w)
			if j < 0 {
				break
			}
			start, end := i+j, i+j+len(w)
			if boundary(lower, start-1) && boundary(lower, end) {
				return w
			}
			i = start + 1
		}
	}
	return ""
}

// boundary reports whether the byte at i of s is outside a word (or outside s).
func boundary(s string, i int) bool {
	if i < 0 || i >= len(s) {
		return true
	}
	r := rune(s[i])
	return r < 0x80 && !unicode.IsLetter(r) && !unicode.IsDigit(r)
}

// ParseWords reads the SPAM_WORDS setting: words or phrases separated by commas.
func ParseWords(s string) []string {
	var out []string
	for _, w := range strings.Split(s, ",") {
		if w = strings.ToLower(strings.TrimSpace(w)); w != "" {
			out = append(out, w)
		}
	}
	return out
}

// Stamper signs and reads form timestamps.
type Stamper struct {
	key []byte
}

// NewStamper returns a stamper signing with key.
func NewStamper(key []byte) Stamper { return Stamper{key: key} }

// Stamp returns the timestamp a form carries: the time in seconds and its signature.
func (s Stamper) Stamp(now time.Time) string {
	t := strconv.FormatInt(now.Unix(), 36)
	return t + "." + s.sign(t)
}

func (s Stamper) sign(t string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("form-time:" + t))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:12])
}

// Age returns how old a stamped form is, and false when the stamp is missing or not signed by us.
func (s Stamper) Age(stamp string, now time.Time) (time.Duration, bool) {
	t, sig, ok := strings.Cut(stamp, ".")
	if !ok || !hmac.Equal([]byte(sig), []byte(s.sign(t))) {
		return 0, false
	}
	secs, err := strconv.ParseInt(t, 36, 64)
	if err != nil {
		return 0, false
	}
	return now.Sub(time.Unix(secs, 0)), true
}
