package source

import "fmt"

// These bounds are the ones every format's reader keeps (importer's limits.go says why there are bounds, and
// lists the others). Each is far above what a real export needs.
const (
	// MaxRecord bounds one record of a file as written: a Disqus <post> or <thread>, a WordPress comment or post
	// field, a Remark42 line, a Commento comment or commenter, one value in an Isso database. A longer record is
	// malformed (reported, and passed over with --skip-invalid); it is never held whole.
	MaxRecord = 1 << 20
	// MaxHeld bounds what a source keeps in memory between records, in bytes: the threads of a Disqus export or
	// an Isso database, the commenters of a Commento export.
	MaxHeld = 16 << 20
	// MaxID bounds a comment's id (and its parent's) in the source, MaxAddress the address of the page it
	// belongs to, in bytes.
	MaxID      = 256
	MaxAddress = 2048
	// maxHTML bounds the HTML of one comment handed to the Markdown converter, whose time grows quickly with
	// nesting; maxQuoteDepth bounds how deep quotes and lists nest in it (deeper ones keep their text).
	maxHTML       = 256 << 10
	maxQuoteDepth = 8
)

// Held counts what a source keeps in memory between records, and refuses the file past MaxHeld.
type Held struct {
	n     int
	what  string
	count int
}

// NewHeld counts entries of what ("threads", "commenters"), the word its refusal uses.
func NewHeld(what string) Held { return Held{what: what} }

// entryOverhead is roughly what a map entry costs besides its strings.
const entryOverhead = 64

// Add counts one entry of these strings' sizes.
func (h *Held) Add(strs ...string) error {
	h.count++
	h.n += entryOverhead
	for _, s := range strs {
		h.n += len(s)
	}
	if h.n > MaxHeld {
		return fmt.Errorf("the file lists more than %s of %s (%d so far), more than an import keeps in memory",
			SizeName(MaxHeld), h.what, h.count)
	}
	return nil
}

// SizeName writes a byte count the way the limits are stated ("1 MiB").
func SizeName(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
