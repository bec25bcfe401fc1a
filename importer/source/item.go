// Package source is what the readers of every format share: the Item each record of a file becomes, the bounds
// on one record and on what a reader keeps between records, the dates sources write, and the conversion of a
// comment's text, name and address into what the blog stores. It knows no format and nothing of an import's
// plan: the format packages (importer/disqus, importer/wordpress, …) build Items with it, and importer turns
// them into comments.
package source

import (
	"fmt"
	"strings"
	"time"

	"blog/repo"
	"blog/repo/transfer"
)

// Item is one record read from a source: a comment, or (from the blog's own export) a ban or the header.
type Item struct {
	// ID is the comment's id in the source; Parent the id of the comment it answers ("" for none).
	ID, Parent string
	// Thread is the address (or path) of the page it was posted on, Title that page's title.
	Thread, Title string
	Name, Email   string
	Body          string
	Kind          BodyKind
	Created       time.Time
	// State is a repo state: deleted, spam and pending comments are imported hidden.
	State string
	// Skip, when set, says why the item is not imported at all (a pingback, say).
	Skip string
	// Malformed, when set, says why the record could not be read. Such a record is reported, and the file is
	// refused unless the import passes over malformed records (importer.Options.SkipInvalid).
	Malformed string
	// At says where the item is in the file, for messages ("line 120").
	At string

	// From the blog's own export: the post's slug (instead of Thread), the comment exactly as exported, a ban,
	// or the header naming the blog it came from.
	Post  string
	Exact *transfer.ImportedComment
	User  *repo.User
	Ban   *repo.Ban
	Site  string
}

// ParseTime reads the dates sources write: RFC 3339 with or without a zone (UTC when absent), or
// "2006-01-02 15:04:05".
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04:05.999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("unreadable date %q", s)
}

// QuoteShort quotes a value from the file for a message, cut after 40 characters.
func QuoteShort(s string) string {
	if r := []rune(s); len(r) > 40 {
		s = string(r[:40]) + "…"
	}
	return fmt.Sprintf("%q", s)
}

// ShortID returns an id from the file for a message, cut after 12 bytes.
func ShortID(hex string) string {
	if len(hex) > 12 {
		return hex[:12] + "…"
	}
	return hex
}
