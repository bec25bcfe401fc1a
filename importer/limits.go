package importer

// An import reads files that other systems wrote, or that someone crafted to look like them. These bounds keep
// what one file can make the importer hold or do small and known, whatever the file holds: with them, an import's
// peak memory stays well under 200 MiB (the README says how that is measured). Each is far above what a real
// export needs. The bounds every format's reader keeps (one record, what it holds between records, ids and
// addresses, the HTML handed to the Markdown converter) are in importer/source; those of one format are with its
// reader (a Remark42 backup's header and what it unpacks to, an Isso database's size and time).
const (
	// MaxComments bounds the comments of one file: every comment and commenter read is remembered (in about
	// 120 bytes) until the import ends, so that later replies find it.
	MaxComments = 500_000
	// MaxWaiting bounds the replies held in memory because the comment they answer comes later in the file.
	MaxWaiting = 50_000
	// MaxWaitingBytes bounds the replies held because the comment they answer comes later in the file, in bytes
	// (MaxWaiting bounds their number).
	MaxWaitingBytes = 16 << 20
	// SoftMemoryLimit is the limit the import command sets for the Go collector (unless GOMEMLIMIT is set): with
	// the bounds above, what an import holds stays below it, and the collector works harder near it instead of
	// letting the heap grow to twice what is live.
	SoftMemoryLimit = 128 << 20
	// MaxListed bounds the malformed records and unmatched addresses a report lists one by one (it counts
	// the rest).
	MaxListed = 1000
)
