package importer

import (
	"fmt"
	"hash/maphash"
	"io"
	"sort"
	"strings"
)

// Report says what an import did (or, in a dry run, would do).
type Report struct {
	From, Path  string
	DryRun      bool
	SkipInvalid bool
	// Read counts the comments in the file; Imported those stored, Hidden those of them not shown (deleted,
	// spam, pending), Held those of the hidden that the source showed and the blog's rules hold (Options.Screen);
	// Already those imported before; NoEmail those whose author has no address; Malformed the records that could
	// not be read.
	Read, Imported, Hidden, Held, Already, NoEmail, NewUsers, Bans, Malformed int

	seed     maphash.Seed
	threads  map[uint64]struct{}
	matched  map[string]string
	perPost  map[string]int
	missing  map[string]int
	hints    map[string]string
	more     int
	skipped  map[string]*places
	notes    map[string]*places
	bad      []BadRecord
	nSkipped int
}

// BadRecord is a record of the file that could not be read: where it is and why.
type BadRecord struct{ At, Why string }

// places counts the records one reason applies to and keeps where the first few are.
type places struct {
	n  int
	at []string
}

func newReport(from, path string, dry, skipInvalid bool) *Report {
	return &Report{From: from, Path: path, DryRun: dry, SkipInvalid: skipInvalid, seed: maphash.MakeSeed(),
		threads: map[uint64]struct{}{}, matched: map[string]string{}, perPost: map[string]int{}, missing: map[string]int{},
		hints: map[string]string{}, skipped: map[string]*places{}, notes: map[string]*places{}}
}

// examples is how many places the report lists for each reason; maxReasons how many reasons it tells apart.
const (
	examples   = 5
	maxReasons = 100
	otherCause = "for other reasons"
)

func (r *Report) thread(normalized string) {
	r.threads[maphash.String(r.seed, normalized)] = struct{}{}
}

func (r *Report) skip(reason, at string) {
	r.nSkipped++
	count(r.skipped, reason, at)
}

func (r *Report) note(what, at string) { count(r.notes, what, at) }

// count adds a place to a reason, keeping the first few places and, past maxReasons, folding new reasons into
// one (a reason can quote the file: a file could hold a new one in every record).
func count(m map[string]*places, reason, at string) {
	p := m[reason]
	if p == nil {
		if len(m) >= maxReasons {
			reason = otherCause
			p = m[reason]
		}
		if p == nil {
			p = &places{}
			m[reason] = p
		}
	}
	p.n++
	if len(p.at) < examples {
		p.at = append(p.at, at)
	}
}

// malformed records a record that could not be read; the first MaxListed are kept to be listed.
func (r *Report) malformed(at, why string) {
	r.Malformed++
	if len(r.bad) < MaxListed {
		if rs := []rune(why); len(rs) > 300 {
			why = string(rs[:300]) + "…"
		}
		r.bad = append(r.bad, BadRecord{At: at, Why: why})
	}
}

// Bad returns the malformed records, the first MaxListed of them.
func (r *Report) Bad() []BadRecord { return r.bad }

func (r *Report) unmatched(address string, m *Matcher) {
	if _, ok := r.missing[address]; !ok && len(r.missing) >= MaxListed {
		r.more++
		return
	}
	r.missing[address]++
	if _, ok := r.hints[address]; !ok {
		hint := ""
		if p, ok := m.Suggest(address); ok {
			hint = p.Slug
		}
		r.hints[address] = hint
	}
}

// Unmatched returns the addresses of threads that matched no post, with their comment counts (the first
// MaxListed addresses).
func (r *Report) Unmatched() map[string]int { return r.missing }

// PerPost returns the comments imported per post slug.
func (r *Report) PerPost() map[string]int { return r.perPost }

// Skipped returns the number of comments skipped per reason.
func (r *Report) Skipped() map[string]int { return counts(r.skipped) }

// Notes returns the number of comments imported with a remark (cut, parent missing), per remark.
func (r *Report) Notes() map[string]int { return counts(r.notes) }

func counts(m map[string]*places) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v.n
	}
	return out
}

// malformedError is the refusal of a file with malformed records, saying how to go on.
func (r *Report) malformedError() error {
	first := r.bad[0]
	are := fmt.Sprintf("%d records are", r.Malformed)
	if r.Malformed == 1 {
		are = "1 record is"
	}
	return fmt.Errorf("%s: %s: %s malformed (first at %s: %s); run with --dry-run to list them or --skip-invalid to import the rest",
		r.From, r.Path, are, first.At, first.Why)
}

// Print writes the report for the operator.
func (r *Report) Print(w io.Writer) {
	verb, title := "imported", "Imported"
	if r.DryRun {
		verb, title = "would import", "Dry run, nothing was written. Would import"
	}
	fmt.Fprintf(w, "%s from %s (%s)\n", title, r.From, r.Path)
	if r.From == "blog" {
		fmt.Fprintf(w, "  read:      %d comments\n", r.Read)
	} else {
		fmt.Fprintf(w, "  read:      %d comments in %d threads\n", r.Read, len(r.threads))
	}
	fmt.Fprintf(w, "  %s %d comments on %d posts (%d of them hidden: deleted, spam or pending), %d new commenters\n",
		verb, r.Imported, len(r.perPost), r.Hidden, r.NewUsers)
	if r.Held > 0 {
		fmt.Fprintf(w, "  held by this blog's rules (a ban, too many links, a listed word): %d of the hidden, shown by the source; the console lists them with why\n", r.Held)
	}
	if r.NoEmail > 0 {
		fmt.Fprintf(w, "  without an email address: %d comments (their authors get a placeholder address that receives no mail)\n", r.NoEmail)
	}
	fmt.Fprintf(w, "  already imported before: %d\n", r.Already)
	if r.Bans > 0 {
		fmt.Fprintf(w, "  bans: %d\n", r.Bans)
	}
	if len(r.perPost) > 0 {
		fmt.Fprintln(w, "  comments per post:")
		for _, slug := range sortedKeys(r.perPost) {
			fmt.Fprintf(w, "    %-40s %d\n", slug, r.perPost[slug])
		}
	}
	if len(r.matched) > 0 && r.From != "blog" {
		fmt.Fprintln(w, "  threads matched to posts:")
		for _, addr := range sortedKeys(r.matched) {
			fmt.Fprintf(w, "    %-40s -> %s\n", addr, r.matched[addr])
		}
	}
	if len(r.missing) > 0 {
		total := r.more
		for _, n := range r.missing {
			total += n
		}
		fmt.Fprintf(w, "  unmatched threads (%d comments not imported); map them with --map FILE, one \"old-address slug\" per line:\n", total)
		for _, addr := range sortedKeys(r.missing) {
			hint := ""
			if h := r.hints[addr]; h != "" {
				hint = "   (perhaps: " + addr + " " + h + ")"
			}
			fmt.Fprintf(w, "    %-40s %d comments%s\n", addr, r.missing[addr], hint)
		}
		if r.more > 0 {
			fmt.Fprintf(w, "    … and %d comments on other addresses (the first %d addresses are listed)\n", r.more, MaxListed)
		}
	}
	printReasons(w, "skipped", r.skipped)
	printReasons(w, "imported with a remark", r.notes)
	r.printMalformed(w)
}

// printMalformed lists the records that could not be read, and what becomes of them.
func (r *Report) printMalformed(w io.Writer) {
	if r.Malformed == 0 {
		return
	}
	switch {
	case r.SkipInvalid && r.DryRun:
		fmt.Fprintf(w, "  malformed records (%d), which --skip-invalid passes over:\n", r.Malformed)
	case r.SkipInvalid:
		fmt.Fprintf(w, "  malformed records passed over (%d), not imported:\n", r.Malformed)
	default:
		fmt.Fprintf(w, "  malformed records (%d): the import refuses the file unless it runs with --skip-invalid, which imports the rest:\n", r.Malformed)
	}
	for _, b := range r.bad {
		fmt.Fprintf(w, "    %s: %s\n", b.At, b.Why)
	}
	if r.Malformed > len(r.bad) {
		fmt.Fprintf(w, "    … and %d more (the first %d are listed)\n", r.Malformed-len(r.bad), len(r.bad))
	}
}

func printReasons(w io.Writer, title string, m map[string]*places) {
	if len(m) == 0 {
		return
	}
	fmt.Fprintf(w, "  %s:\n", title)
	for _, reason := range sortedKeys(m) {
		p := m[reason]
		more := ""
		if p.n > len(p.at) {
			more = ", …"
		}
		fmt.Fprintf(w, "    %d %s (%s%s)\n", p.n, reason, strings.Join(p.at, ", "), more)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
