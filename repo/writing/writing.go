// Package writing stores the posts written in the owner's desk: the copy being worked on, the document readers
// are served once it is published, when it appears, and every saved version. It keeps what it is given; the rules
// (bounds, slugs, the Markdown document) are the desk's. A change readers see is recorded in the post's change
// feed in the same transaction, so every instance reads the content again, and the post's row in the search index
// is written or removed in it too (Index).
package writing

import (
	"context"
	"errors"
	"strings"

	"time"

	"github.com/go-rel/rel"
	"github.com/go-rel/rel/where"

	"blog/database"
	"blog/repo"
	"blog/repo/internal/store"
	"blog/repo/searchindex"
)

// Writing is one post written in the desk. Title to Body are the copy the owner is working on; Live is the
// Markdown document readers are served (empty until first published); PublishAt is when it appears (nil: a
// draft; later than now: scheduled); RemovedAt, when set, takes it down until restored or purged (named so
// because rel takes a deleted_at column for its own soft deletes and would hide the row from every query).
type Writing struct {
	ID     int64
	PostID int64
	// Kind is KindPost or KindPage; PageOrder is a page's place in the navigation.
	Kind      string
	PageOrder int
	Slug      string
	Title     string
	Date      *time.Time
	Summary   string
	Tags      string
	Image     string
	Comments  string
	// Lang is the post's language (a BCP 47 tag; empty: the blog's).
	Lang string
	// InReplyTo is the address of a post elsewhere that this one answers (empty: none).
	InReplyTo        string
	Body             string
	Live             string
	PublishAt        *time.Time
	FirstPublishedAt *time.Time
	RemovedAt        *time.Time
	Revision         int
	CreatedAt        time.Time
	UpdatedAt        time.Time
	// Seq is where the post's change feed stands after a change this store recorded (0: none recorded).
	Seq int64 `db:"-"`
}

// Table names the writings table.
func (Writing) Table() string { return "writings" }

// The kinds of writing.
const (
	KindPost = "post"
	KindPage = "page"
)

// AnchorSlug is the slug of the writing's posts row: a post's own, a page's under "page:" (pages and posts have
// addresses of their own, and a page takes no comments: its row only carries its change feed).
func (w Writing) AnchorSlug() string { return AnchorSlug(w.Kind, w.Slug) }

// AnchorSlug is the posts row's slug of a writing of kind with slug.
func AnchorSlug(kind, slug string) string {
	if kind == KindPage {
		return "page:" + slug
	}
	return slug
}

// Published reports whether readers see the post at now.
func (w Writing) Published(now time.Time) bool {
	return w.RemovedAt == nil && w.Live != "" && w.PublishAt != nil && !w.PublishAt.After(now)
}

// Scheduled reports whether the post is due to appear later than now.
func (w Writing) Scheduled(now time.Time) bool {
	return w.RemovedAt == nil && w.Live != "" && w.PublishAt != nil && w.PublishAt.After(now)
}

// Version is one saved version of a writing: the whole document as a file would hold it.
type Version struct {
	ID        int64
	WritingID int64
	// Kind says how it was saved: VersionAutosave, VersionSaved, VersionPublished or VersionRestored.
	Kind     string
	Document string
	SavedAt  time.Time
}

// Table names the versions table.
func (Version) Table() string { return "writing_versions" }

// The kinds of version.
const (
	VersionAutosave  = "autosave"
	VersionSaved     = "saved"
	VersionPublished = "published"
	VersionRestored  = "restored"
)

// MaxVersions is how many versions of one post are kept; the oldest go first.
const MaxVersions = 200

// AutosaveWindow is how long the newest autosaved version keeps being replaced by the next autosave, so that a
// post typed for an hour keeps a version every few minutes rather than one per pause.
const AutosaveWindow = 5 * time.Minute

// Store reads and writes the desk's posts.
type Store struct {
	db *database.DB
}

// New returns the store on db.
func New(db *database.DB) *Store { return &Store{db: db} }

// Create stores a new writing with its first version and gives it a posts row (its comments' and change feed's
// anchor) under its slug. ErrConflict when the slug is taken.
func (s *Store) Create(ctx context.Context, w *Writing, doc string) error {
	now := time.Now().UTC().Truncate(time.Second)
	err := s.db.Write(ctx, func(ctx context.Context) error {
		if w.Kind == "" {
			w.Kind = KindPost
		}
		p := repo.Post{Slug: w.AnchorSlug(), Title: w.Title, CreatedAt: now}
		if err := s.db.Repo().Insert(ctx, &p); err != nil {
			return err
		}
		w.PostID, w.CreatedAt, w.UpdatedAt, w.Revision = p.ID, now, now, 1
		if err := s.db.Repo().Insert(ctx, w); err != nil {
			return err
		}
		return s.db.Repo().Insert(ctx, &Version{WritingID: w.ID, Kind: VersionSaved, Document: doc, SavedAt: now})
	})
	return repo.Translate(err, "create post "+w.Slug)
}

// Find returns the writing with this id.
func (s *Store) Find(ctx context.Context, id int64) (Writing, error) {
	var w Writing
	err := s.db.Repo().Find(ctx, &w, where.Eq("id", id))
	return w, repo.Translate(err, "find writing")
}

// FindBySlug returns the writing of kind with this slug.
func (s *Store) FindBySlug(ctx context.Context, kind, slug string) (Writing, error) {
	var w Writing
	err := s.db.Repo().Find(ctx, &w, where.Eq("kind", kind), where.Eq("slug", slug))
	return w, repo.Translate(err, "find writing "+slug)
}

// List returns every writing, deleted ones included, the most recently changed first.
func (s *Store) List(ctx context.Context) ([]Writing, error) {
	var out []Writing
	err := s.db.Repo().FindAll(ctx, &out, rel.SortDesc("updated_at"), rel.SortDesc("id"))
	return out, repo.Translate(err, "list writings")
}

// SlugTaken reports whether a post other than postID holds the slug (a posts row, a file's or another writing's:
// their comments would be this post's).
func (s *Store) SlugTaken(ctx context.Context, slug string, postID int64) (bool, error) {
	n, err := s.db.Repo().Count(ctx, "posts", where.Eq("slug", slug), where.Ne("id", postID))
	return n > 0, repo.Translate(err, "look up slug")
}

// Save is how a writing's working copy is stored: fields from w (its id, slug, title, date, summary, tags, image,
// comments and body), doc the document they make, kept as a version of kind (an autosave replaces the newest
// version when that is an autosave younger than AutosaveWindow). The posts row follows a changed slug and title.
// announce records a change in the post's feed (every instance reads the content again). It returns the writing
// as stored; ErrConflict when the slug is taken, ErrNotFound when there is no such writing.
func (s *Store) Save(ctx context.Context, w Writing, doc, kind string, announce bool) (Writing, error) {
	now := time.Now().UTC().Truncate(time.Second)
	var out Writing
	err := s.db.Write(ctx, func(ctx context.Context) error {
		var cur Writing
		if err := s.db.Repo().Find(ctx, &cur, s.db.ForUpdate(rel.Where(where.Eq("id", w.ID)))); err != nil {
			return err
		}
		if cur.Slug != w.Slug || cur.Title != w.Title {
			if _, err := s.db.Repo().UpdateAny(ctx, rel.From("posts").Where(where.Eq("id", cur.PostID)),
				rel.Set("slug", AnchorSlug(cur.Kind, w.Slug)), rel.Set("title", w.Title)); err != nil {
				return err
			}
		}
		mods := []rel.Mutate{rel.Set("slug", w.Slug), rel.Set("title", w.Title), rel.Set("date", w.Date),
			rel.Set("summary", w.Summary), rel.Set("tags", w.Tags), rel.Set("image", w.Image), rel.Set("comments", w.Comments), rel.Set("lang", w.Lang),
			rel.Set("in_reply_to", w.InReplyTo),
			rel.Set("page_order", w.PageOrder),
			rel.Set("body", w.Body), rel.Set("revision", cur.Revision+1), rel.Set("updated_at", now)}
		if _, err := s.db.Repo().UpdateAny(ctx, rel.From("writings").Where(where.Eq("id", w.ID)), mods...); err != nil {
			return err
		}
		if err := s.keepVersion(ctx, w.ID, kind, doc, now); err != nil {
			return err
		}
		var st repo.Stamp
		if announce {
			var err error
			if st, err = repo.Record(ctx, s.db, cur.PostID, 0, repo.ChangeContent, 0); err != nil {
				return err
			}
		}
		err := s.db.Repo().Find(ctx, &out, where.Eq("id", w.ID))
		out.Seq = st.Seq
		return err
	})
	return out, repo.Translate(err, "save post")
}

// keepVersion adds a version (or replaces the newest autosave within AutosaveWindow) and drops versions past
// MaxVersions, oldest first.
func (s *Store) keepVersion(ctx context.Context, id int64, kind, doc string, now time.Time) error {
	var last Version
	err := s.db.Repo().Find(ctx, &last, rel.Where(where.Eq("writing_id", id)).SortDesc("id").Limit(1))
	switch {
	case err == nil && last.Document == doc:
		return nil // nothing changed since
	case err == nil && kind == VersionAutosave && last.Kind == VersionAutosave && now.Sub(last.SavedAt) < AutosaveWindow:
		_, err := s.db.Repo().UpdateAny(ctx, rel.From("writing_versions").Where(where.Eq("id", last.ID)),
			rel.Set("document", doc), rel.Set("saved_at", now))
		return err
	case err != nil && !errors.Is(err, rel.ErrNotFound):
		return err
	}
	if err := s.db.Repo().Insert(ctx, &Version{WritingID: id, Kind: kind, Document: doc, SavedAt: now}); err != nil {
		return err
	}
	var old []Version
	q := rel.Select("id").Where(where.Eq("writing_id", id)).SortDesc("id").Offset(MaxVersions).Limit(100)
	if err := s.db.Repo().FindAll(ctx, &old, q); err != nil || len(old) == 0 {
		return err
	}
	_, err = s.db.Repo().DeleteAny(ctx, rel.From("writing_versions").Where(where.Eq("writing_id", id), where.Lte("id", old[0].ID)))
	return err
}

// Index is what a change does to the post's row in the search index, in the change's own transaction: Write
// indexes the text (its PostID and Slug are the post's), Remove takes the row out, and neither leaves it as it is
// (a page, or a post whose time has not come: it is indexed when the content loads at its time).
type Index struct {
	Write  *searchindex.PostText
	Remove bool
}

// apply makes the change to the index of the post cur.
func (x Index) apply(ctx context.Context, db *database.DB, cur Writing) error {
	switch {
	case x.Write != nil:
		t := *x.Write
		t.PostID, t.Slug = cur.PostID, cur.Slug
		return searchindex.WritePost(ctx, db, t)
	case x.Remove:
		return searchindex.RemovePost(ctx, db, cur.PostID)
	}
	return nil
}

// Publish sets what readers are served and when: live is the document (empty: taken down), at the time it
// appears (nil: a draft again), and changes the search index as idx says, in the same transaction. The first
// time it is published is kept (the slug no longer changes after it). The change is recorded in the post's feed,
// with the document kept as a version when it is published.
func (s *Store) Publish(ctx context.Context, id int64, live string, at *time.Time, idx Index) (Writing, error) {
	now := time.Now().UTC().Truncate(time.Second)
	var out Writing
	err := s.db.Write(ctx, func(ctx context.Context) error {
		var cur Writing
		if err := s.db.Repo().Find(ctx, &cur, s.db.ForUpdate(rel.Where(where.Eq("id", id)))); err != nil {
			return err
		}
		mods := []rel.Mutate{rel.Set("live", live), rel.Set("publish_at", store.UTC(at)), rel.Set("updated_at", now)}
		if live != "" && cur.FirstPublishedAt == nil {
			mods = append(mods, rel.Set("first_published_at", now))
		}
		if _, err := s.db.Repo().UpdateAny(ctx, rel.From("writings").Where(where.Eq("id", id)), mods...); err != nil {
			return err
		}
		if live != "" {
			if err := s.keepVersion(ctx, id, VersionPublished, live, now); err != nil {
				return err
			}
		}
		if err := idx.apply(ctx, s.db, cur); err != nil {
			return err
		}
		st, err := repo.Record(ctx, s.db, cur.PostID, 0, repo.ChangeContent, 0)
		if err != nil {
			return err
		}
		err = s.db.Repo().Find(ctx, &out, where.Eq("id", id))
		out.Seq = st.Seq
		return err
	})
	return out, repo.Translate(err, "publish post")
}

// SetDeleted deletes a writing (at: when; readers no longer see it, it is purged PURGE_AFTER later) or, with
// nil, restores it, and changes the search index as idx says; the change is recorded in the post's feed.
func (s *Store) SetDeleted(ctx context.Context, id int64, at *time.Time, idx Index) (Writing, error) {
	var out Writing
	err := s.db.Write(ctx, func(ctx context.Context) error {
		var cur Writing
		if err := s.db.Repo().Find(ctx, &cur, s.db.ForUpdate(rel.Where(where.Eq("id", id)))); err != nil {
			return err
		}
		if _, err := s.db.Repo().UpdateAny(ctx, rel.From("writings").Where(where.Eq("id", id)), rel.Set("removed_at", store.UTC(at))); err != nil {
			return err
		}
		if err := idx.apply(ctx, s.db, cur); err != nil {
			return err
		}
		st, err := repo.Record(ctx, s.db, cur.PostID, 0, repo.ChangeContent, 0)
		if err != nil {
			return err
		}
		err = s.db.Repo().Find(ctx, &out, where.Eq("id", id))
		out.Seq = st.Seq
		return err
	})
	return out, repo.Translate(err, "delete post")
}

// Mentioning returns up to limit writings, deleted ones included, whose working copy, published document or
// image holds text (an uploaded image's name, for one), the most recently changed first.
func (s *Store) Mentioning(ctx context.Context, text string, limit int) ([]Writing, error) {
	like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(text) + "%"
	var out []Writing
	err := s.db.Repo().FindAll(ctx, &out, rel.SQL(s.db.Placeholders(`SELECT * FROM writings
		WHERE body LIKE ? ESCAPE '\' OR live LIKE ? ESCAPE '\' OR image LIKE ? ESCAPE '\'
		ORDER BY updated_at DESC, id DESC LIMIT ?`), like, like, like, limit))
	return out, repo.Translate(err, "find writings by text")
}

// Versions returns a writing's kept versions, newest first.
func (s *Store) Versions(ctx context.Context, id int64) ([]Version, error) {
	var out []Version
	err := s.db.Repo().FindAll(ctx, &out, rel.Where(where.Eq("writing_id", id)).SortDesc("id"))
	return out, repo.Translate(err, "list versions")
}

// Version returns one version of a writing.
func (s *Store) Version(ctx context.Context, id, versionID int64) (Version, error) {
	var v Version
	err := s.db.Repo().Find(ctx, &v, where.Eq("id", versionID), where.Eq("writing_id", id))
	return v, repo.Translate(err, "find version")
}

// Purge deletes for good the writings deleted before the time, with their versions (their posts rows and
// comments stay, as a removed file's do). It returns how many went.
func (s *Store) Purge(ctx context.Context, before time.Time) (int, error) {
	var gone []Writing
	if err := s.db.Repo().FindAll(ctx, &gone, rel.Select("id").Where(where.Lt("removed_at", before.UTC())).Limit(500)); err != nil {
		return 0, repo.Translate(err, "find deleted posts")
	}
	for _, w := range gone {
		err := s.db.Write(ctx, func(ctx context.Context) error {
			if _, err := s.db.Repo().DeleteAny(ctx, rel.From("writing_versions").Where(where.Eq("writing_id", w.ID))); err != nil {
				return err
			}
			_, err := s.db.Repo().DeleteAny(ctx, rel.From("writings").Where(where.Eq("id", w.ID)))
			return err
		})
		if err != nil {
			return 0, repo.Translate(err, "purge post")
		}
	}
	return len(gone), nil
}
