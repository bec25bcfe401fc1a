// Package importer moves comments into the blog from Disqus, WordPress, Remark42, Isso and Commento, and out of
// it and back (its own export format). Each format is read by a package of its own (importer/disqus,
// importer/wordpress, importer/remark42, importer/isso, importer/commento, importer/blogexport), chosen here by
// the name --from takes (Sources); they share importer/source (the Item each record becomes, the bounds on a
// record, the conversion of text, names and addresses) and importer/xmlrecord (the XML record scanner), and
// none of them imports this package. Every source is read as a stream of records, each bounded, and what is
// kept across records is bounded too (limits.go), so memory stays small on big or hostile files. An import
// first plans the whole file (refusing one that is cut short, not the format, or holds malformed records unless
// they are to be passed over) before anything is written, then stores it in one transaction, so a failed import
// leaves the database as it was.
package importer

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"blog/importer/blogexport"
	"blog/importer/commento"
	"blog/importer/disqus"
	"blog/importer/isso"
	"blog/importer/remark42"
	"blog/importer/source"
	"blog/importer/wordpress"
	"blog/repo"
	"blog/repo/transfer"
)

// Source reads one kind of file and hands each item to emit, in file order. A record it cannot read is handed
// over as an item with Malformed set, and reading goes on after it; an error ends the import (the file is cut
// short, not the format, or past a bound).
type Source interface {
	Read(ctx context.Context, path string, emit func(source.Item) error) error
}

// Sources are the systems comments can be imported from, by the name --from takes.
var Sources = map[string]Source{
	"disqus":    disqus.Reader{},
	"wordpress": wordpress.Reader{},
	"remark42":  remark42.Reader{},
	"isso":      isso.Reader{},
	"commento":  commento.Reader{},
	"blog":      blogexport.Reader{},
}

// SourceNames lists the names --from takes, for messages.
func SourceNames() string {
	names := make([]string, 0, len(Sources))
	for n := range Sources {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// Store is what an import reads and writes (transfer.Imports).
type Store interface {
	Lookup(ctx context.Context, keys []string) (map[string]transfer.ImportRef, error)
	ByIDs(ctx context.Context, ids []int64) (map[int64]transfer.ImportRef, error)
	KnownEmails(ctx context.Context, emails []string) (map[string]bool, error)
	HasComments(ctx context.Context) (bool, error)
	HasKeys(ctx context.Context, prefix string) (bool, error)
	BanExists(ctx context.Context, kind, value string) (bool, error)
	SiteID(ctx context.Context) (string, error)
	Write(ctx context.Context, fn func(ctx context.Context, w *transfer.ImportWriter) error) error
}

// Options is one import.
type Options struct {
	From   string
	Path   string
	Posts  []PostRef
	Match  *Matcher
	DryRun bool
	// SkipInvalid imports the records that can be read and reports the others; without it, a file with a
	// malformed record is refused whole.
	SkipInvalid bool
	// Screen holds a comment another system published by the blog's own rules (moderation's ScreenHistory:
	// bans, links, listed words), returning the state it takes and why. nil keeps every state as the file has
	// it. The blog's own export is never screened: its comments passed these rules here, and a restore is exact.
	Screen func(ctx context.Context, email, name, body string) (state, reason string, err error)
}

// Run imports the file: it plans the whole of it first (nothing written; a malformed file is refused here),
// then, unless it is a dry run, stores it in one transaction. The report says what was (or would be) done.
func Run(ctx context.Context, store Store, opts Options) (*Report, error) {
	src, ok := Sources[opts.From]
	if !ok {
		return nil, fmt.Errorf("unknown source %q: use one of %s", opts.From, SourceNames())
	}
	if opts.Match == nil {
		opts.Match = NewMatcher(opts.Posts)
	}
	plan, err := importWith(ctx, store, src, opts, &dryWriter{store: store, posts: postIDs(opts.Posts)})
	if err != nil || opts.DryRun {
		return plan, err
	}
	if plan.Malformed > 0 && !opts.SkipInvalid {
		return nil, plan.malformedError()
	}
	var done *Report
	err = store.Write(ctx, func(ctx context.Context, w *transfer.ImportWriter) error {
		done, err = importWith(ctx, store, src, opts, w)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("import failed, nothing was imported: %w", err)
	}
	return done, nil
}

func postIDs(posts []PostRef) map[string]int64 {
	m := make(map[string]int64, len(posts))
	for _, p := range posts {
		m[p.Slug] = p.ID
	}
	return m
}

// writer stores what an import keeps: transfer.ImportWriter, or dryWriter for the plan.
type writer interface {
	Add(ctx context.Context, c transfer.ImportedComment) (transfer.ImportRef, error)
	Post(ctx context.Context, slug, title string) (int64, error)
	Ban(ctx context.Context, b repo.Ban) (bool, error)
	User(ctx context.Context, u repo.User) error
	SetSiteID(ctx context.Context, id string) error
}

// dryWriter stores nothing: it hands out made-up ids, so a plan follows exactly the path of the import.
type dryWriter struct {
	store Store
	posts map[string]int64
	next  int64
}

func (d *dryWriter) Add(_ context.Context, c transfer.ImportedComment) (transfer.ImportRef, error) {
	d.next--
	ref := transfer.ImportRef{ID: d.next, PostID: c.PostID, Thread: d.next, State: c.State}
	if c.Parent != nil {
		ref.Thread = c.Parent.Thread
	}
	return ref, nil
}

func (d *dryWriter) Post(_ context.Context, slug, _ string) (int64, error) {
	if id, ok := d.posts[slug]; ok {
		return id, nil
	}
	d.next--
	d.posts[slug] = d.next
	return d.next, nil
}

func (d *dryWriter) Ban(ctx context.Context, b repo.Ban) (bool, error) {
	exists, err := d.store.BanExists(ctx, b.Kind, b.Value)
	return !exists, err
}

func (d *dryWriter) User(context.Context, repo.User) error { return nil }

func (d *dryWriter) SetSiteID(context.Context, string) error { return nil }
