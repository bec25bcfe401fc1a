// Package publish keeps the blog's content current: it loads the posts and pages, gives every post its database
// row, and, for a content folder on disk, watches it and swaps in the new content within moments of a file
// being added, changed or removed. Readers never see a half-loaded state: each load is built whole, then
// swapped in at once. A file that cannot be read is skipped (and reported), never stops the blog.
package publish

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"

	"blog/content"
	"blog/repo/posts"
)

// Snapshot is the content at one moment, with the database id of every published post.
type Snapshot struct {
	Lib *content.Library
	ids map[string]int64
	// slugs is ids the other way round.
	slugs map[int64]string
	// langs are the posts that declare a language of their own, by slug.
	langs map[string]string
	// version tells this snapshot from every other loaded in this process (Version).
	version uint64
}

// versions numbers the snapshots loaded in this process.
var versions atomic.Uint64

// Version tells this snapshot from every other loaded in this process: what a cache keys a page rendered from it
// by. (An address would not do: once a snapshot is freed, a later one may be given the same.)
func (s *Snapshot) Version() uint64 { return s.version }

// Lang is the language the published post with this slug declares ("" for the blog's).
func (s *Snapshot) Lang(slug string) string { return s.langs[slug] }

// PostID returns the database id of the published post with this slug.
func (s *Snapshot) PostID(slug string) (int64, bool) {
	id, ok := s.ids[slug]
	return id, ok
}

// Slug names the published post with this database id.
func (s *Snapshot) Slug(id int64) (string, bool) {
	slug, ok := s.slugs[id]
	return slug, ok
}

// Store holds the current content.
type Store struct {
	fsys  fs.FS
	posts *posts.Posts
	log   *slog.Logger
	// closeAfter is COMMENTS_CLOSE_AFTER: how long after its date a post takes comments (0: for ever).
	closeAfter time.Duration

	cur atomic.Pointer[Snapshot]
	// slugs names every post row ever seen by id (a removed post's comments still need its slug for links).
	slugMu sync.RWMutex
	slugs  map[int64]string
	// onLoad are told of each load before it is swapped in (OnLoad).
	onLoad []func(ctx context.Context, snap *Snapshot) error
	// logged holds the skipped files of the last load as problemKey makes them: a reload logs only the ones
	// not already logged, so a bad file is logged once per change of it, not at every reload of the folder.
	logged map[string]bool

	// desk gives the posts written in the owner's desk (nil: none); next carries the time the next scheduled
	// one appears to RunSchedule after each load.
	desk Desk
	next chan *time.Time
	// reloadMu keeps loads (the watcher's, the change feed's, the schedule's) one at a time, in order.
	reloadMu sync.Mutex
	// loaded are told of every snapshot swapped in (see OnLoad), differ of what each changed for readers.
	hookMu sync.Mutex
	loaded []func(*Snapshot)
	differ []func(Difference)
}

// Desk is where the posts written in the owner's desk come from (desk.Service): the documents to serve beside the
// files, and when the next scheduled one appears (nil: none).
type Desk interface {
	Documents(ctx context.Context) ([]content.Document, *time.Time, error)
}

// WithDesk serves the desk's posts beside the content folder's files (a slug a file uses stays the file's).
func WithDesk(d Desk) Option { return func(s *Store) { s.desk = d } }

// Option configures a Store.
type Option func(*Store)

// CloseAfter closes every post to new comments this long after its date (COMMENTS_CLOSE_AFTER; 0: never).
func CloseAfter(d time.Duration) Option { return func(s *Store) { s.closeAfter = d } }

// OnLoad has fn told of every load of the content (the first one included), before it is swapped in: the search
// index of posts is fed this way, so that whatever the snapshot holds, from files or from elsewhere, is what
// can be found. A failure of fn is logged and the content is swapped in all the same: readers get the posts
// even when their index could not be written.
func OnLoad(fn func(ctx context.Context, snap *Snapshot) error) Option {
	return func(s *Store) { s.onLoad = append(s.onLoad, fn) }
}

// Open loads the content from fsys and makes sure every published post has a row.
func Open(ctx context.Context, fsys fs.FS, postStore *posts.Posts, log *slog.Logger, opts ...Option) (*Store, error) {
	s := &Store{fsys: fsys, posts: postStore, log: log, slugs: map[int64]string{}, next: make(chan *time.Time, 1)}
	for _, o := range opts {
		o(s)
	}
	if err := s.Reload(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Current returns the content as it is now.
func (s *Store) Current() *Snapshot { return s.cur.Load() }

// Library returns the current posts and pages.
func (s *Store) Library() *content.Library { return s.cur.Load().Lib }

// Slug names a post by its database id (also for posts whose file has gone).
func (s *Store) Slug(id int64) string {
	s.slugMu.RLock()
	defer s.slugMu.RUnlock()
	return s.slugs[id]
}

// Lang is the language the post with this database id declares ("" for the blog's): its comments' live
// changes are rendered in it.
func (s *Store) Lang(id int64) string {
	cur := s.Current()
	if cur == nil {
		return ""
	}
	return cur.langs[s.Slug(id)]
}

// FileSlug reports whether a file of the content folder (a post or a draft) has the slug: the desk refuses it.
func (s *Store) FileSlug(slug string) bool {
	lib := s.Library()
	for _, list := range [][]content.Post{lib.Posts, lib.Drafts} {
		for _, p := range list {
			if p.Slug == slug && p.Origin == "" {
				return true
			}
		}
	}
	return false
}

// FilePage reports whether a page of the content folder has the slug: the desk refuses it.
func (s *Store) FilePage(slug string) bool {
	for _, p := range s.Library().Pages {
		if p.Slug == slug && p.Origin == "" {
			return true
		}
	}
	return false
}

// Title returns the title of the post with this id, or its slug when its file has gone.
func (s *Store) Title(id int64) string {
	slug := s.Slug(id)
	if p, ok := s.Library().PostBySlug(slug); ok {
		return p.Title
	}
	return slug
}

// Reload reads the content again and swaps it in. Problems with single files are logged, naming the file, once
// per change: a file skipped at the last load for the same reason, and not changed since, is not logged again.
func (s *Store) Reload(ctx context.Context) error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	var docs []content.Document
	var next *time.Time
	if s.desk != nil {
		var err error
		if docs, next, err = s.desk.Documents(ctx); err != nil {
			return fmt.Errorf("load the desk's posts: %w", err)
		}
	}
	lib, err := content.LoadWith(s.fsys, docs)
	if err != nil {
		return fmt.Errorf("load content: %w", err)
	}
	refs := make([]posts.PostRef, len(lib.Posts))
	for i, p := range lib.Posts {
		refs[i] = posts.PostRef{Slug: p.Slug, Title: p.Title, Closed: p.CommentsClosed}
		if s.closeAfter > 0 {
			at := p.Date.Add(s.closeAfter)
			refs[i].CloseAt = &at
		}
	}
	ids, err := s.posts.SyncPosts(ctx, refs)
	if err != nil {
		return err
	}
	all, err := s.posts.ListPosts(ctx)
	if err != nil {
		return err
	}
	s.slugMu.Lock()
	for _, p := range all {
		s.slugs[p.ID] = p.Slug
	}
	s.slugMu.Unlock()
	snap := &Snapshot{Lib: lib, ids: ids, slugs: make(map[int64]string, len(ids)), langs: map[string]string{},
		version: versions.Add(1)}
	for slug, id := range ids {
		snap.slugs[id] = slug
	}
	for _, p := range lib.Posts {
		if p.Lang != "" {
			snap.langs[p.Slug] = p.Lang
		}
	}
	for _, fn := range s.onLoad {
		if err := fn(ctx, snap); err != nil {
			s.log.Error("content: a step after loading failed (the content is served all the same)", "err", err)
		}
	}
	logged := make(map[string]bool, len(lib.Problems))
	for _, p := range lib.Problems {
		key := s.problemKey(p)
		if !s.logged[key] {
			s.log.Error("content: file skipped", "file", p.File, "problem", p.Err.Error())
		}
		logged[key] = true
	}
	s.logged = logged
	prev := s.cur.Swap(snap)
	// Only the newest time matters: an older one waiting is replaced.
	select {
	case <-s.next:
	default:
	}
	s.next <- next
	s.hookMu.Lock()
	hooks, differ := s.loaded, s.differ
	s.hookMu.Unlock()
	for _, fn := range hooks {
		fn(snap)
	}
	if prev != nil && len(differ) > 0 {
		if d := Diff(prev, snap); !d.Empty() {
			for _, fn := range differ {
				fn(d)
			}
		}
	}
	return nil
}

// ReloadForChange reads the content again after a change in the desk's feed (on any instance). A failed read is
// tried again by RunSchedule a few seconds later: the feed will not tell of this change again.
func (s *Store) ReloadForChange(ctx context.Context) {
	if err := s.Reload(ctx); err != nil {
		s.log.Error("content: reload after a change in the desk failed; still serving the previous content, trying again shortly", "err", err)
		at := time.Now().Add(retryAfter)
		select {
		case <-s.next:
		default:
		}
		s.next <- &at
	}
}

// retryAfter is how soon a failed reload for a change is tried again.
const retryAfter = 5 * time.Second

// RunSchedule reads the content again whenever a scheduled post's time comes, until ctx ends: each instance
// keeps its own timer for the next one, so the post appears on every instance at its time without a word
// between them.
func (s *Store) RunSchedule(ctx context.Context) {
	var timer *time.Timer
	var fire <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			return
		case at := <-s.next:
			if timer != nil {
				timer.Stop()
			}
			timer, fire = nil, nil
			if at != nil {
				// A moment after the time, so that the post is due when it is read.
				timer = time.NewTimer(time.Until(*at) + 10*time.Millisecond)
				fire = timer.C
			}
		case <-fire:
			timer, fire = nil, nil
			if err := s.Reload(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("content: reload for a scheduled post failed; trying again in a minute", "err", err)
				timer = time.NewTimer(time.Minute)
				fire = timer.C
			}
		}
	}
}

// OnLoad has fn told of the current content at once and of every load after it (a post that appears, changes
// or goes), for what follows the published posts (Webmentions sent for their links). fn must return quickly.
func (s *Store) OnLoad(fn func(*Snapshot)) {
	s.hookMu.Lock()
	s.loaded = append(s.loaded, fn)
	s.hookMu.Unlock()
	fn(s.Current())
}

// OnDifference has fn told, after each load is swapped in, of what it changed for readers (nothing is told of a
// load that changed nothing they see): the posts that appeared (published, or come at their scheduled time),
// whose page changed, or that were taken down. Open pages learn of them this way (live.Broker.Announce). fn must
// return quickly.
func (s *Store) OnDifference(fn func(Difference)) {
	s.hookMu.Lock()
	s.differ = append(s.differ, fn)
	s.hookMu.Unlock()
}

// PostNews names a post in a Difference: its row's id, slug and title.
type PostNews struct {
	ID          int64
	Slug, Title string
}

// Difference is what one load of the content changed for readers of posts.
type Difference struct {
	// Appeared are the posts published since, newest first; Changed those whose title or text changed; Gone those
	// no longer published.
	Appeared, Changed, Gone []PostNews
}

// Empty reports whether the load changed nothing readers see of a post.
func (d Difference) Empty() bool { return len(d.Appeared)+len(d.Changed)+len(d.Gone) == 0 }

// Diff compares two snapshots' published posts.
func Diff(old, cur *Snapshot) Difference {
	var d Difference
	before := make(map[string]content.Post, len(old.Lib.Posts))
	for _, p := range old.Lib.Posts {
		before[p.Slug] = p
	}
	for _, p := range cur.Lib.Posts {
		id, _ := cur.PostID(p.Slug)
		n := PostNews{ID: id, Slug: p.Slug, Title: p.Title}
		q, ok := before[p.Slug]
		delete(before, p.Slug)
		switch {
		case !ok:
			d.Appeared = append(d.Appeared, n)
		case q.Title != p.Title || q.HTML != p.HTML:
			d.Changed = append(d.Changed, n)
		}
	}
	for _, p := range old.Lib.Posts {
		if _, gone := before[p.Slug]; gone {
			id, _ := old.PostID(p.Slug)
			d.Gone = append(d.Gone, PostNews{ID: id, Slug: p.Slug, Title: p.Title})
		}
	}
	return d
}

// problemKey names a skipped file as it is now: its name, its modification time and the problem.
func (s *Store) problemKey(p content.Problem) string {
	var mod time.Time
	if st, err := fs.Stat(s.fsys, p.File); err == nil {
		mod = st.ModTime()
	}
	return p.File + "\x00" + mod.UTC().Format(time.RFC3339Nano) + "\x00" + p.Err.Error()
}

// Problems lists the content files skipped in the current load, as "file: problem".
func (s *Store) Problems() []string {
	var out []string
	for _, p := range s.Library().Problems {
		out = append(out, p.String())
	}
	return out
}

// settle is how long the watcher waits after a change for more (an editor saves in several steps).
const settle = 150 * time.Millisecond

// Watch watches the content folder dir (its posts, pages and media folders) until ctx ends, reloading shortly
// after anything changes. Folders created later are picked up; a failed reload keeps the current content.
func (s *Store) Watch(ctx context.Context, dir string) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	defer w.Close()
	watched := map[string]bool{}
	add := func() {
		for _, d := range []string{dir, filepath.Join(dir, "posts"), filepath.Join(dir, "pages"), filepath.Join(dir, "media")} {
			if watched[d] {
				continue
			}
			if st, err := os.Stat(d); err == nil && st.IsDir() && w.Add(d) == nil {
				watched[d] = true
			}
		}
	}
	add()
	var timer <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
				delete(watched, ev.Name) // a watched folder that went away is watched again if it comes back
			}
			timer = time.After(settle)
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			s.log.Warn("content: watching", "err", err)
			timer = time.After(settle)
		case <-timer:
			timer = nil
			add()
			start := time.Now()
			if err := s.Reload(ctx); err != nil {
				s.log.Error("content: reload failed; still serving the previous content", "err", err)
				continue
			}
			lib := s.Library()
			s.log.Info("content reloaded", "posts", len(lib.Posts), "pages", len(lib.Pages), "drafts", len(lib.Drafts),
				"skipped", len(lib.Problems), "took", time.Since(start).Round(time.Millisecond).String())
		}
	}
}
