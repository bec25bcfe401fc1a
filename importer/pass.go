package importer

import (
	"context"
	"fmt"
	"hash/maphash"
	"math"
	"strconv"
	"strings"

	"blog/importer/source"
	"blog/repo"
	"blog/repo/transfer"
)

// run is one pass over a file.
type run struct {
	store  Store
	w      writer
	opts   Options
	report *Report
	prefix string
	// lookup is set when keys of this source may be in the database already (an earlier import).
	lookup bool
	// ownSite: the file is an export of this very blog, whose comments are known by their ids.
	ownSite, keepIDs bool
	// refs and emails are kept by a seeded hash of their key: they hold every comment and commenter of the
	// file, so they must be small (see ref).
	seed        maphash.Seed
	refs        map[uint64]ref
	emails      map[uint64]struct{}
	waiting     map[string][]source.Item
	nWaiting    int
	waitingSize int
	posts       map[string]int64
}

// ref is what an import remembers of each comment it has seen, so that a later reply finds it: a
// transfer.ImportRef in 32 bytes, under a 64-bit seeded hash of its key (among a million keys, two share a hash
// with a chance of about one in thirty million; the seed changes every run, so no file can be made to collide).
type ref struct {
	id, postID, thread int64
	replies            int32
	state              uint8
}

func compact(r transfer.ImportRef) ref {
	c := ref{id: r.ID, postID: r.PostID, thread: r.Thread, replies: int32(min(r.Replies, math.MaxInt32)), state: uint8(len(repo.States))}
	for i, s := range repo.States {
		if s == r.State {
			c.state = uint8(i)
		}
	}
	return c
}

func (c ref) full() transfer.ImportRef {
	r := transfer.ImportRef{ID: c.id, PostID: c.postID, Thread: c.thread, Replies: int(c.replies)}
	if int(c.state) < len(repo.States) {
		r.State = repo.States[c.state]
	}
	return r
}

func (r *run) remember(key string, ref transfer.ImportRef) {
	r.refs[maphash.String(r.seed, key)] = compact(ref)
}

func importWith(ctx context.Context, store Store, src Source, opts Options, w writer) (*Report, error) {
	r := &run{store: store, w: w, opts: opts, prefix: opts.From + ":", seed: maphash.MakeSeed(), refs: map[uint64]ref{},
		waiting: map[string][]source.Item{}, emails: map[uint64]struct{}{}, posts: map[string]int64{},
		report: newReport(opts.From, opts.Path, opts.DryRun, opts.SkipInvalid)}
	if opts.From != "blog" {
		var err error
		if r.lookup, err = store.HasKeys(ctx, r.prefix); err != nil {
			return nil, err
		}
	}
	n := 0
	err := src.Read(ctx, opts.Path, func(it source.Item) error {
		if n++; n%1000 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		return r.item(ctx, it)
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", opts.From, opts.Path, err)
	}
	if err := r.orphans(ctx); err != nil {
		return nil, err
	}
	return r.report, nil
}

// item handles one record of the file.
func (r *run) item(ctx context.Context, it source.Item) error {
	switch {
	case it.Site != "":
		return r.header(ctx, it.Site)
	case it.User != nil:
		return r.user(ctx, *it.User)
	case it.Ban != nil:
		added, err := r.w.Ban(ctx, *it.Ban)
		if added {
			r.report.Bans++
		}
		return err
	}
	if why := whyMalformed(it); why != "" {
		r.report.malformed(it.At, why)
		return nil
	}
	if r.report.Read++; r.report.Read > MaxComments {
		return fmt.Errorf("%s: more than %d comments: an import reads at most that many from one file", it.At, MaxComments)
	}
	if it.Thread != "" {
		r.report.thread(NormalizePath(it.Thread))
	}
	if it.Skip != "" {
		r.report.skip(it.Skip, it.At)
		return nil
	}
	if it.ID == "" {
		r.report.skip("no id, so a later import could not tell it was imported", it.At)
		return nil
	}
	key := r.prefix + it.ID
	if ref, done, err := r.known(ctx, key, it.ID); err != nil || done {
		if done {
			r.remember(key, ref)
			r.report.Already++
		}
		return err
	}
	return r.place(ctx, it, key)
}

// whyMalformed returns why a comment read from the file cannot be imported as it is ("" when it can).
func whyMalformed(it source.Item) string {
	switch {
	case it.Malformed != "":
		return it.Malformed
	case len(it.ID) > source.MaxID || len(it.Parent) > source.MaxID:
		return fmt.Sprintf("its id (or its parent's) is longer than %d bytes", source.MaxID)
	case len(it.Thread) > source.MaxAddress:
		return fmt.Sprintf("the address of its page is longer than %d bytes", source.MaxAddress)
	}
	return ""
}

// user creates a commenter from the blog's export (with their name and time) unless one has that address.
func (r *run) user(ctx context.Context, u repo.User) error {
	if err := r.newEmail(ctx, u.Email); err != nil {
		return err
	}
	return r.w.User(ctx, u)
}

// newEmail counts a commenter the database does not know yet, once.
func (r *run) newEmail(ctx context.Context, email string) error {
	h := maphash.String(r.seed, email)
	if _, ok := r.emails[h]; ok {
		return nil
	}
	r.emails[h] = struct{}{}
	known, err := r.store.KnownEmails(ctx, []string{email})
	if err == nil && !known[email] {
		r.report.NewUsers++
	}
	return err
}

// header starts an import of the blog's own export: comments of this very blog are known by their ids; into a
// database without comments, the ids are kept and the blog takes the exported one's identity.
func (r *run) header(ctx context.Context, site string) error {
	own, err := r.store.SiteID(ctx)
	if err != nil {
		return err
	}
	r.prefix = "blog:" + site + ":"
	r.ownSite = own == site
	has, err := r.store.HasComments(ctx)
	if err != nil {
		return err
	}
	if !has {
		r.keepIDs = true
		r.ownSite = true
		return r.w.SetSiteID(ctx, site)
	}
	r.lookup, err = r.store.HasKeys(ctx, r.prefix)
	return err
}

// known reports whether the comment with this key was imported before (or, for this blog's own export, is
// here under its id), and what it became.
func (r *run) known(ctx context.Context, key, id string) (transfer.ImportRef, bool, error) {
	if ref, ok := r.refs[maphash.String(r.seed, key)]; ok {
		return ref.full(), true, nil
	}
	if r.ownSite && !r.keepIDs {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			return transfer.ImportRef{}, false, nil
		}
		found, err := r.store.ByIDs(ctx, []int64{n})
		ref, ok := found[n]
		return ref, ok, err
	}
	if !r.lookup {
		return transfer.ImportRef{}, false, nil
	}
	found, err := r.store.Lookup(ctx, []string{key})
	ref, ok := found[key]
	return ref, ok, err
}

// place finds the comment's post and parent and stores it; a reply whose parent has not been seen yet waits.
func (r *run) place(ctx context.Context, it source.Item, key string) error {
	postID, slug, ok, err := r.post(ctx, it)
	if err != nil || !ok {
		return err
	}
	var parent *transfer.ImportRef
	if it.Parent != "" {
		pkey := r.prefix + it.Parent
		ref, found, err := r.known(ctx, pkey, it.Parent)
		if err != nil {
			return err
		}
		if !found {
			size := itemSize(it)
			if r.nWaiting >= MaxWaiting || r.waitingSize+size > MaxWaitingBytes {
				return fmt.Errorf("%s: more than %d replies (or %s of them) come before the comments they answer; the file is not in thread order",
					it.At, MaxWaiting, source.SizeName(MaxWaitingBytes))
			}
			r.waiting[pkey] = append(r.waiting[pkey], it)
			r.nWaiting++
			r.waitingSize += size
			return nil
		}
		r.remember(pkey, ref)
		if ref.PostID != postID {
			r.report.note("answers a comment on another page: imported as a comment of its own", it.At)
		} else {
			parent = &ref
		}
	}
	if err := r.store1(ctx, it, key, postID, slug, parent); err != nil {
		return err
	}
	return r.release(ctx, key)
}

// release places the replies that were waiting for the comment with this key.
func (r *run) release(ctx context.Context, key string) error {
	kids := r.waiting[key]
	if len(kids) == 0 {
		return nil
	}
	delete(r.waiting, key)
	r.unwait(kids)
	for _, k := range kids {
		if err := r.place(ctx, k, r.prefix+k.ID); err != nil {
			return err
		}
	}
	return nil
}

func (r *run) unwait(kids []source.Item) {
	r.nWaiting -= len(kids)
	for _, k := range kids {
		r.waitingSize -= itemSize(k)
	}
}

// itemSize is roughly what an item held in memory costs, in bytes.
func itemSize(it source.Item) int {
	n := 256 + len(it.ID) + len(it.Parent) + len(it.Thread) + len(it.Title) + len(it.Name) + len(it.Email) + len(it.Body) +
		len(it.At) + len(it.Post)
	if c := it.Exact; c != nil {
		n += 256 + len(c.Body) + len(c.Reason) + len(c.Username) + len(c.Email)
		for _, k := range c.Keys {
			n += 16 + len(k)
		}
		for _, v := range c.Versions {
			n += 64 + len(v.Body)
		}
	}
	return n
}

// orphans stores, as comments of their own, the replies whose parent never came (in the order they were read).
func (r *run) orphans(ctx context.Context) error {
	for len(r.waiting) > 0 {
		var first string
		for k := range r.waiting {
			if first == "" || k < first {
				first = k
			}
		}
		kids := r.waiting[first]
		delete(r.waiting, first)
		r.unwait(kids)
		for _, k := range kids {
			r.report.note("the comment it answers is not in the file: imported as a comment of its own", k.At)
			k.Parent = ""
			if err := r.place(ctx, k, r.prefix+k.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// post returns the post a comment belongs to; an unmatched thread is counted for the report.
func (r *run) post(ctx context.Context, it source.Item) (int64, string, bool, error) {
	if it.Post != "" {
		if id, ok := r.posts[it.Post]; ok {
			return id, it.Post, true, nil
		}
		id, err := r.w.Post(ctx, it.Post, it.Title)
		r.posts[it.Post] = id
		return id, it.Post, err == nil, err
	}
	p, ok := r.opts.Match.Match(it.Thread)
	if !ok {
		r.report.unmatched(it.Thread, r.opts.Match)
		return 0, "", false, nil
	}
	r.report.matched[NormalizePath(it.Thread)] = p.Slug
	return p.ID, p.Slug, true, nil
}

// store1 cleans one comment and stores it.
func (r *run) store1(ctx context.Context, it source.Item, key string, postID int64, slug string, parent *transfer.ImportRef) error {
	var c transfer.ImportedComment
	if it.Exact != nil {
		c = *it.Exact
		if !r.keepIDs {
			c.ID = 0
			c.Keys = append([]string{key}, c.Keys...)
		}
	} else {
		body, cut, err := source.ToMarkdown(it.Body, it.Kind)
		if err != nil {
			r.report.malformed(it.At, "its HTML cannot be read: "+err.Error())
			return nil
		}
		if cut {
			r.report.note(fmt.Sprintf("longer than %d characters: cut", source.MaxImportedBody), it.At)
		}
		if body == "" && it.State == repo.StatePublished {
			r.report.skip("empty comment", it.At)
			return nil
		}
		name := source.CleanName(it.Name)
		email := source.CleanEmail(it.Email)
		if email == "" {
			email = source.PlaceholderEmail(strings.TrimSuffix(r.prefix, ":"), name)
			r.report.NoEmail++
		}
		created := it.Created.UTC()
		if it.Created.IsZero() {
			r.report.skip("no date", it.At)
			return nil
		}
		c = transfer.ImportedComment{Keys: []string{key}, Username: name, Email: email, Body: body, Format: repo.FormatMarkdown,
			State: it.State, CreatedAt: created}
		if c.State != repo.StatePublished {
			c.Reason = "imported from " + r.opts.From + " as " + c.State
		}
		if c.State == "" || !repo.ValidState(c.State) {
			c.State = repo.StatePublished
		}
		if c.State == repo.StatePublished && r.opts.Screen != nil {
			state, reason, err := r.opts.Screen(ctx, c.Email, c.Username, c.Body)
			if err != nil {
				return fmt.Errorf("%s: screen: %w", it.At, err)
			}
			if state != repo.StatePublished {
				c.State, c.Reason = state, reason
				r.report.Held++
			}
		}
	}
	if c.State == "" || !repo.ValidState(c.State) {
		c.State = repo.StatePublished
	}
	c.PostID, c.Parent = postID, parent
	if err := r.newEmail(ctx, c.Email); err != nil {
		return err
	}
	ref, err := r.w.Add(ctx, c)
	if err != nil {
		return fmt.Errorf("%s: store: %w", it.At, err)
	}
	r.remember(key, ref)
	r.report.Imported++
	r.report.perPost[slug]++
	if c.State != repo.StatePublished {
		r.report.Hidden++
	}
	return nil
}
