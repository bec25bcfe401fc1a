package importer

import (
	"fmt"
	"time"
)

// An import reads files that other systems wrote, or that someone crafted to look like them. These bounds keep
// what one file can make the importer hold or do small and known, whatever the file holds: with them, an import's
// peak memory stays well under 200 MiB (the README says how that is measured). Each is far above what a real
// export needs.
const (
	// MaxRecord bounds one record of a file as written: a Disqus <post> or <thread>, a WordPress comment or post
	// field, a Remark42 line, a Commento comment or commenter, one value in an Isso database. A longer record is
	// malformed (reported, and passed over with --skip-invalid); it is never held whole.
	MaxRecord = 1 << 20
	// MaxHeader bounds the first line of a Remark42 backup, which lists every post and user of the site.
	MaxHeader = 16 << 20
	// MaxUnpacked bounds what a compressed Remark42 backup may unpack to (a small file that unpacks to
	// gigabytes is refused when it passes this).
	MaxUnpacked = 1 << 30
	// MaxIssoFile bounds the size of an Isso database file.
	MaxIssoFile = 1 << 30
	// IssoStall is the longest SQLite may work on an Isso database without handing over a row.
	IssoStall = 60 * time.Second
	// MaxComments bounds the comments of one file: every comment and commenter read is remembered (in about
	// 120 bytes) until the import ends, so that later replies find it.
	MaxComments = 500_000
	// MaxHeld bounds what a source keeps in memory between records, in bytes: the threads of a Disqus export or
	// an Isso database, the commenters of a Commento export.
	MaxHeld = 16 << 20
	// MaxWaitingBytes bounds the replies held because the comment they answer comes later in the file, in bytes
	// (MaxWaiting bounds their number).
	MaxWaitingBytes = 16 << 20
	// SoftMemoryLimit is the limit the import command sets for the Go collector (unless GOMEMLIMIT is set): with
	// the bounds above, what an import holds stays below it, and the collector works harder near it instead of
	// letting the heap grow to twice what is live.
	SoftMemoryLimit = 128 << 20
	// MaxID bounds a comment's id (and its parent's) in the source, MaxAddress the address of the page it
	// belongs to, in bytes.
	MaxID      = 256
	MaxAddress = 2048
	// MaxListed bounds the malformed records and unmatched addresses a report lists one by one (it counts
	// the rest).
	MaxListed = 1000
	// MaxHTML bounds the HTML of one comment handed to the Markdown converter, whose time grows quickly with
	// nesting; maxQuoteDepth bounds how deep quotes and lists nest in it (deeper ones keep their text).
	MaxHTML       = 256 << 10
	maxQuoteDepth = 8
)

// heldBytes counts what a source keeps in memory between records, and refuses the file past MaxHeld.
type heldBytes struct {
	n     int
	what  string
	count int
}

// entryOverhead is roughly what a map entry costs besides its strings.
const entryOverhead = 64

// add counts one entry of these strings' sizes.
func (h *heldBytes) add(strs ...string) error {
	h.count++
	h.n += entryOverhead
	for _, s := range strs {
		h.n += len(s)
	}
	if h.n > MaxHeld {
		return fmt.Errorf("the file lists more than %s of %s (%d so far), more than an import keeps in memory",
			sizeName(MaxHeld), h.what, h.count)
	}
	return nil
}
