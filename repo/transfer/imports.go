// Package transfer holds the store of what moving comments in and out of the blog needs: comments stored as they
// were written elsewhere, with the keys they came from (so nothing is imported twice), and the whole blog read
// back from one consistent view for an export. The importer and its readers use it; nothing else does.
package transfer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-rel/rel"
	"github.com/go-rel/rel/where"

	"blog/database"
	"blog/repo"
	"blog/repo/internal/store"
	"blog/repo/secrets"
)

// ImportedComment is one comment from another system (or from an export of this blog), cleaned and matched to
// a post, ready to be stored as it was written there.
type ImportedComment struct {
	// Keys say where it came from ("disqus:299619020"); the first is its own, the others earlier ones (a comment
	// exported from this blog keeps the keys it was imported under). A key already imported is never stored
	// again.
	Keys []string
	// ID, when set, is kept as the comment's id (restoring an export into a database without comments).
	ID     int64
	PostID int64
	// Parent is the comment it answers, nil for a top-level comment.
	Parent          *ImportRef
	Username, Email string
	Body, Format    string
	State, Reason   string
	IPHash, NetHash string
	CreatedAt       time.Time
	StateAt         *time.Time
	EditedAt        *time.Time
	Versions        []repo.Version
	// Notify keeps its author's wish for reply notifications (from the blog's own export).
	Notify bool
	// ByOwner keeps the mark of a comment the blog's owner wrote (from the blog's own export).
	ByOwner bool
}

// ImportRef is what an import needs to know of a stored comment to attach replies to it.
type ImportRef struct {
	ID, PostID, Thread int64
	State              string
	// Replies counts the published replies of a top-level comment so far.
	Replies int
}

func (r ImportRef) visible() bool { return r.State == repo.StatePublished }

// importRow is a row of imported_comments.
type importRow struct {
	ID         int64
	SourceKey  string
	CommentID  int64
	ImportedAt time.Time
}

func (importRow) Table() string { return "imported_comments" }

// Imports reads and writes what moving comments in and out of the blog needs.
type Imports struct {
	db *database.DB
}

// NewImports returns the import store backed by db.
func NewImports(db *database.DB) *Imports { return &Imports{db: db} }

// Lookup returns, by key, the comments already imported under these keys (purged ones read as deleted).
func (s *Imports) Lookup(ctx context.Context, keys []string) (map[string]ImportRef, error) {
	out := map[string]ImportRef{}
	for len(keys) > 0 {
		n := min(len(keys), 500)
		vals := make([]any, n)
		for i, k := range keys[:n] {
			vals[i] = k
		}
		keys = keys[n:]
		var rows []importRow
		if err := s.db.Repo().FindAll(ctx, &rows, rel.Where(rel.In("source_key", vals...))); err != nil {
			return nil, repo.Translate(err, "find imported comments")
		}
		ids := make([]int64, len(rows))
		for i, r := range rows {
			ids[i] = r.CommentID
		}
		var comments []repo.Comment
		if len(ids) > 0 {
			if err := s.db.Repo().FindAll(ctx, &comments, rel.Select("id", "post_id", "thread_id", "state", "replies").
				Where(store.InIDs("id", ids))); err != nil {
				return nil, repo.Translate(err, "find imported comments")
			}
		}
		byID := make(map[int64]repo.Comment, len(comments))
		for _, c := range comments {
			byID[c.ID] = c
		}
		for _, r := range rows {
			c, ok := byID[r.CommentID]
			if !ok {
				out[r.SourceKey] = ImportRef{ID: r.CommentID, Thread: r.CommentID, State: repo.StateDeleted}
				continue
			}
			out[r.SourceKey] = ImportRef{ID: c.ID, PostID: c.PostID, Thread: c.Thread(), State: c.State, Replies: c.Replies}
		}
	}
	return out, nil
}

// KnownEmails returns which of these (normalized) addresses belong to a commenter already.
func (s *Imports) KnownEmails(ctx context.Context, emails []string) (map[string]bool, error) {
	out := map[string]bool{}
	for len(emails) > 0 {
		n := min(len(emails), 500)
		vals := make([]any, n)
		for i, e := range emails[:n] {
			vals[i] = e
		}
		emails = emails[n:]
		var users []repo.User
		if err := s.db.Repo().FindAll(ctx, &users, rel.Select("id", "email").Where(rel.In("email", vals...))); err != nil {
			return nil, repo.Translate(err, "find users")
		}
		for _, u := range users {
			out[u.Email] = true
		}
	}
	return out, nil
}

// HasComments reports whether the database holds any comment at all, in any state.
func (s *Imports) HasComments(ctx context.Context) (bool, error) {
	n, err := s.db.Repo().Count(ctx, "comments")
	return n > 0, repo.Translate(err, "count comments")
}

// Write runs fn in one transaction: everything fn stores is kept only if fn returns nil. Changes to the posts'
// feeds are recorded as the comments are stored, so open pages receive the imported comments when it commits.
func (s *Imports) Write(ctx context.Context, fn func(ctx context.Context, w *ImportWriter) error) error {
	err := s.db.Write(ctx, func(ctx context.Context) error {
		w := &ImportWriter{db: s.db, users: map[string]int64{}, feed: map[int64]*feedBatch{}}
		if err := fn(ctx, w); err != nil {
			return err
		}
		if err := w.flush(ctx); err != nil {
			return err
		}
		if w.keptIDs {
			// Ids given explicitly do not move the sequence: move it past them.
			if err := s.db.SequencePastMax(ctx, "comments"); err != nil {
				return err
			}
		}
		return nil
	})
	return repo.Translate(err, "import")
}

// ImportWriter stores imported comments inside Imports.Write's transaction.
type ImportWriter struct {
	db      *database.DB
	users   map[string]int64
	feed    map[int64]*feedBatch
	queued  int
	keptIDs bool
}

// feedBatch is what the import changed on one post and has not yet recorded in its feed.
type feedBatch struct {
	comments []int64
	kinds    []string
	delta    int
}

// Post returns the id of the post with this slug, creating its row when there is none (comments restored for a
// post whose file is not here keep their post, as the row of a removed file does).
func (w *ImportWriter) Post(ctx context.Context, slug, title string) (int64, error) {
	var p repo.Post
	err := w.db.Repo().Find(ctx, &p, where.Eq("slug", slug))
	if errors.Is(err, rel.ErrNotFound) {
		p = repo.Post{Slug: slug, Title: title, CreatedAt: time.Now().UTC()}
		err = w.db.Repo().Insert(ctx, &p)
	}
	return p.ID, err
}

// Add stores one comment with its author (found by email or created), its place in its conversation, its
// earlier versions and the keys it came from, and queues the change for its post's feed.
func (w *ImportWriter) Add(ctx context.Context, in ImportedComment) (ImportRef, error) {
	userID, err := w.user(ctx, in.Username, in.Email, in.CreatedAt)
	if err != nil {
		return ImportRef{}, err
	}
	if in.Format == "" {
		in.Format = repo.FormatMarkdown
	}
	c := repo.Comment{ID: in.ID, PostID: in.PostID, UserID: userID, Username: in.Username, Body: in.Body, State: in.State,
		Reason: in.Reason, IPHash: in.IPHash, NetHash: in.NetHash, CreatedAt: in.CreatedAt.UTC(), StateAt: in.StateAt,
		Format: in.Format, EditedAt: in.EditedAt, Notify: in.Notify, ByOwner: in.ByOwner}
	c.Render()
	if in.Parent != nil {
		if in.Parent.PostID != in.PostID {
			return ImportRef{}, fmt.Errorf("comment answers a comment of another post")
		}
		c.ParentID, c.ThreadID = &in.Parent.ID, &in.Parent.Thread
	}
	if in.ID != 0 {
		w.keptIDs = true
	}
	if err := w.db.Repo().Insert(ctx, &c); err != nil {
		return ImportRef{}, err
	}
	now := time.Now().UTC()
	for _, k := range in.Keys {
		if err := w.db.Repo().Insert(ctx, &importRow{SourceKey: k, CommentID: c.ID, ImportedAt: now}); err != nil {
			return ImportRef{}, err
		}
	}
	for _, v := range in.Versions {
		v.ID, v.CommentID = 0, c.ID
		if err := w.db.Repo().Insert(ctx, &v); err != nil {
			return ImportRef{}, err
		}
	}
	w.queue(c.PostID, c.ID, repo.ChangeCreated, repo.VisibleDelta("", c.State))
	if in.Parent != nil && c.Visible() {
		if _, err := w.db.Repo().UpdateAny(ctx, rel.From("comments").Where(where.Eq("id", in.Parent.Thread)), rel.Inc("replies")); err != nil {
			return ImportRef{}, err
		}
		if in.Parent.ID == in.Parent.Thread {
			in.Parent.Replies++
			if !in.Parent.visible() && in.Parent.Replies == 1 {
				// A removed comment that now holds replies shows as their placeholder.
				w.queue(c.PostID, in.Parent.ID, repo.ChangeState, 0)
			}
		}
	}
	if w.queued >= 1000 {
		if err := w.flush(ctx); err != nil {
			return ImportRef{}, err
		}
	}
	return ImportRef{ID: c.ID, PostID: c.PostID, Thread: c.Thread(), State: c.State}, nil
}

// User creates a commenter (from an export of the blog) unless one has this email already.
func (w *ImportWriter) User(ctx context.Context, u repo.User) error {
	_, err := w.user(ctx, u.Username, u.Email, u.CreatedAt)
	return err
}

// user returns the id of the commenter with this email, creating them (with this name) when new. Existing
// commenters keep their name: an imported comment is older than anything they posted here.
func (w *ImportWriter) user(ctx context.Context, name, email string, at time.Time) (int64, error) {
	if id, ok := w.users[email]; ok {
		return id, nil
	}
	// The same lock CreateComment takes: a commenter posting now under this email waits for the import.
	if err := w.db.Lock(ctx, store.LockCommenter, email); err != nil {
		return 0, err
	}
	var u repo.User
	err := w.db.Repo().Find(ctx, &u, where.Eq("email", email))
	if errors.Is(err, rel.ErrNotFound) {
		u = repo.User{Username: name, Email: email, CreatedAt: at.UTC()}
		err = w.db.Repo().Insert(ctx, &u)
	}
	if err != nil {
		return 0, err
	}
	w.users[email] = u.ID
	return u.ID, nil
}

func (w *ImportWriter) queue(postID, commentID int64, kind string, delta int) {
	b := w.feed[postID]
	if b == nil {
		b = &feedBatch{}
		w.feed[postID] = b
	}
	b.comments = append(b.comments, commentID)
	b.kinds = append(b.kinds, kind)
	b.delta += delta
	w.queued++
}

// flush records the queued changes: per post, one move of its sequence and count and the change rows, announced
// once after the import commits.
func (w *ImportWriter) flush(ctx context.Context) error {
	for postID, b := range w.feed {
		changes := make([]database.Change, len(b.comments))
		for i, id := range b.comments {
			changes[i] = database.Change{CommentID: id, Kind: b.kinds[i]}
		}
		if _, _, err := w.db.Record(ctx, postID, changes, b.delta); err != nil {
			return err
		}
	}
	clear(w.feed)
	w.queued = 0
	return nil
}

// Ban stores a ban unless the same one is in place; it reports whether it was added.
func (w *ImportWriter) Ban(ctx context.Context, b repo.Ban) (bool, error) {
	n, err := w.db.Repo().Count(ctx, "bans", where.Eq("kind", b.Kind), where.Eq("value", b.Value))
	if err != nil || n > 0 {
		return false, err
	}
	b.ID = 0
	return true, w.db.Repo().Insert(ctx, &b)
}

// Exported is one comment as an export writes it: with its post's slug, its author's email, the keys it was
// imported under and its earlier versions.
type Exported struct {
	repo.Comment
	Slug     string
	Email    string
	Keys     []string
	Versions []repo.Version
}

// ExportSink receives what Export reads, in an order that lets an import rebuild it: posts, users, comments in
// id order (so every parent comes before its replies), bans.
type ExportSink struct {
	Post    func(repo.Post) error
	User    func(repo.User) error
	Comment func(Exported) error
	Ban     func(repo.Ban) error
}

// Export reads everything a move to another blog needs from one consistent view of the database (while writers
// carry on), a page at a time.
func (s *Imports) Export(ctx context.Context, sink ExportSink) error {
	return s.db.View(ctx, func(ctx context.Context, view *database.DB) error {
		return (&Imports{db: view}).export(ctx, sink)
	})
}

// exportPage is how many rows one read of an export returns.
const exportPage = 1000

func (s *Imports) export(ctx context.Context, sink ExportSink) error {
	var posts []repo.Post
	if err := s.db.Repo().FindAll(ctx, &posts, rel.SortAsc("id")); err != nil {
		return err
	}
	slugs := make(map[int64]string, len(posts))
	for _, p := range posts {
		slugs[p.ID] = p.Slug
		if err := sink.Post(p); err != nil {
			return err
		}
	}
	emails := map[int64]string{}
	for after := int64(0); ; {
		var users []repo.User
		if err := s.db.Repo().FindAll(ctx, &users, rel.Where(where.Gt("id", after)).SortAsc("id").Limit(exportPage)); err != nil {
			return err
		}
		for _, u := range users {
			emails[u.ID] = u.Email
			if err := sink.User(u); err != nil {
				return err
			}
		}
		if len(users) < exportPage {
			break
		}
		after = users[len(users)-1].ID
	}
	for after := int64(0); ; {
		var comments []repo.Comment
		if err := s.db.Repo().FindAll(ctx, &comments, rel.Where(where.Gt("id", after)).SortAsc("id").Limit(exportPage)); err != nil {
			return err
		}
		if len(comments) == 0 {
			break
		}
		ids := make([]int64, len(comments))
		for i, c := range comments {
			ids[i] = c.ID
		}
		var keys []importRow
		if err := s.db.Repo().FindAll(ctx, &keys, rel.Where(store.InIDs("comment_id", ids)).SortAsc("id")); err != nil {
			return err
		}
		keysOf := map[int64][]string{}
		for _, k := range keys {
			keysOf[k.CommentID] = append(keysOf[k.CommentID], k.SourceKey)
		}
		var versions []repo.Version
		if err := s.db.Repo().FindAll(ctx, &versions, rel.Where(store.InIDs("comment_id", ids)).SortAsc("id")); err != nil {
			return err
		}
		versionsOf := map[int64][]repo.Version{}
		for _, v := range versions {
			v.ReplacedAt = v.ReplacedAt.UTC()
			versionsOf[v.CommentID] = append(versionsOf[v.CommentID], v)
		}
		for _, c := range comments {
			c.CreatedAt = c.CreatedAt.UTC()
			if err := sink.Comment(Exported{Comment: c, Slug: slugs[c.PostID], Email: emails[c.UserID], Keys: keysOf[c.ID],
				Versions: versionsOf[c.ID]}); err != nil {
				return err
			}
		}
		after = comments[len(comments)-1].ID
	}
	var bans []repo.Ban
	if err := s.db.Repo().FindAll(ctx, &bans, rel.SortAsc("id")); err != nil {
		return err
	}
	for _, b := range bans {
		if err := sink.Ban(b); err != nil {
			return err
		}
	}
	return nil
}

// SiteID returns this blog's identity in exports (made at random the first time): comments exported from it
// are known again by it and their ids.
func (s *Imports) SiteID(ctx context.Context) (string, error) {
	v, err := secrets.NewSecrets(s.db).Secret(ctx, "site_id")
	if err != nil {
		return "", err
	}
	return v[:16], nil
}

// SetSiteID makes this blog take the identity of the one it is restored from (its database held no comment):
// its exports read as that blog's, and importing that blog's export again adds nothing.
func (w *ImportWriter) SetSiteID(ctx context.Context, id string) error {
	// Secret values are 64 hex characters; a site id is the first 16.
	return secrets.NewSecrets(w.db).Replace(ctx, "site_id", id+id+id+id)
}

// ByIDs returns the comments with these ids that exist, as import references.
func (s *Imports) ByIDs(ctx context.Context, ids []int64) (map[int64]ImportRef, error) {
	out := map[int64]ImportRef{}
	for len(ids) > 0 {
		n := min(len(ids), 500)
		var comments []repo.Comment
		if err := s.db.Repo().FindAll(ctx, &comments, rel.Select("id", "post_id", "thread_id", "state", "replies").
			Where(store.InIDs("id", ids[:n]))); err != nil {
			return nil, repo.Translate(err, "find comments")
		}
		ids = ids[n:]
		for _, c := range comments {
			out[c.ID] = ImportRef{ID: c.ID, PostID: c.PostID, Thread: c.Thread(), State: c.State, Replies: c.Replies}
		}
	}
	return out, nil
}

// HasKeys reports whether any comment was imported under a key starting with prefix ("disqus:"): when none
// was, an import need not look each comment up.
func (s *Imports) HasKeys(ctx context.Context, prefix string) (bool, error) {
	n, err := s.db.Repo().Count(ctx, "imported_comments", where.Like("source_key", store.LikeEscape(prefix)+"%"))
	return n > 0, repo.Translate(err, "count imported comments")
}

// BanExists reports whether this ban is in place.
func (s *Imports) BanExists(ctx context.Context, kind, value string) (bool, error) {
	n, err := s.db.Repo().Count(ctx, "bans", where.Eq("kind", kind), where.Eq("value", value))
	return n > 0, repo.Translate(err, "find ban")
}
