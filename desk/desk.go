// Package desk is the owner's writing desk without HTTP: the rules every post (or page) written in the browser (or
// imported from the command line) passes, and what can be done to one: saved as it is typed, published now or
// at a time, taken down, deleted and restored, its earlier versions restored. The posts are kept by repo/writing;
// publish serves them (Documents) beside the content folder's files, read by the same rules.
package desk

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/language"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"blog/content"
	"blog/repo"
	"blog/repo/writing"
	"blog/search"
)

// Bounds on what one post may hold. The body is about forty 5,000-word posts; the rest are far beyond any use.
const (
	MaxBody        = 256 << 10
	MaxTitle       = 300
	MaxSummary     = 1000
	MaxTags        = 1000
	MaxImage       = 1000
	MaxSlug        = 100
	MaxFrontMatter = 8 << 10
)

// Input is the desk's form as typed: every field a string. Kind (writing.KindPost or KindPage) is read when the
// writing is created; Order is a page's place in the navigation.
type Input struct {
	Slug, Title, Date, Summary, Tags, Image, Comments, Lang, Body string
	// InReplyTo is the address of a post elsewhere that this one answers.
	InReplyTo   string
	Kind, Order string
}

// Errors are messages by form field ("slug", "title", ...); "" is about the whole post.
type Errors map[string]string

// Store keeps the desk's posts (repo/writing).
type Store interface {
	Create(ctx context.Context, w *writing.Writing, doc string) error
	Find(ctx context.Context, id int64) (writing.Writing, error)
	FindBySlug(ctx context.Context, kind, slug string) (writing.Writing, error)
	List(ctx context.Context) ([]writing.Writing, error)
	SlugTaken(ctx context.Context, slug string, postID int64) (bool, error)
	Save(ctx context.Context, w writing.Writing, doc, kind string, announce bool) (writing.Writing, error)
	Publish(ctx context.Context, id int64, live string, at *time.Time, idx writing.Index) (writing.Writing, error)
	SetDeleted(ctx context.Context, id int64, at *time.Time, idx writing.Index) (writing.Writing, error)
	Versions(ctx context.Context, id int64) ([]writing.Version, error)
	Version(ctx context.Context, id, versionID int64) (writing.Version, error)
	Purge(ctx context.Context, before time.Time) (int, error)
	Mentioning(ctx context.Context, text string, limit int) ([]writing.Writing, error)
}

var _ Store = (*writing.Store)(nil)

// Service applies the desk's rules over its store.
type Service struct {
	Store Store
	// FileSlug reports whether a file of the content folder uses a slug: the file's it stays, and the desk
	// refuses it. FilePage is the same for the folder's pages.
	FileSlug func(slug string) bool
	FilePage func(slug string) bool
	// Library is the content as loaded now (nil: none), where ImageUsers looks for the folder's posts.
	Library func() *content.Library
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Second)
	}
	return time.Now().UTC().Truncate(time.Second)
}

var slugPattern = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)

// Slugify makes a slug of a title: lower-case letters and digits joined by hyphens, accents dropped, at most
// 60 characters cut at a word ("" when nothing is left).
func Slugify(title string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	plain, _, err := transform.String(t, strings.ToLower(title))
	if err != nil {
		plain = strings.ToLower(title)
	}
	var b strings.Builder
	dash := false
	for _, r := range plain {
		if r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
			continue
		}
		dash = true
	}
	slug := b.String()
	for len(slug) > 60 {
		i := strings.LastIndexByte(slug[:60], '-')
		if i <= 0 {
			slug = slug[:60]
			break
		}
		slug = slug[:i]
	}
	return slug
}

// FollowsTitle reports whether a slug is the one the title gives (with the -2, -3... that made it free), so the
// editor offers it as following the title rather than as one the owner typed.
func FollowsTitle(slug, title string) bool {
	base := Slugify(title)
	if base == "" {
		base = "untitled"
	}
	rest, ok := strings.CutPrefix(slug, base)
	if !ok {
		return false
	}
	if rest == "" {
		return true
	}
	n, ok := strings.CutPrefix(rest, "-")
	return ok && n != "" && strings.Trim(n, "0123456789") == ""
}

// dateLayouts are the forms a date may be typed in (a date-time-local field sends the second one).
var dateLayouts = []string{time.DateOnly, "2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04", time.RFC3339}

// ParseTime reads a date or a time (UTC unless it says otherwise); "" is nil.
func ParseTime(s string) (*time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			u := t.UTC()
			return &u, nil
		}
	}
	return nil, fmt.Errorf("%q is not a date: write it as 2026-12-07 or 2026-12-07T09:30", s)
}

// clean reads the form into a writing's fields, with a message per field that breaks a bound or a rule. The slug
// is left to the caller.
func (in Input) clean() (writing.Writing, Errors) {
	errs := Errors{}
	one := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	w := writing.Writing{Title: one(in.Title), Summary: one(in.Summary), Image: strings.TrimSpace(in.Image),
		Comments: strings.TrimSpace(in.Comments), Body: strings.ReplaceAll(in.Body, "\r\n", "\n")}
	if l := strings.TrimSpace(in.Lang); l != "" {
		tag, err := language.Parse(l)
		if err != nil || len(l) > 35 {
			errs["lang"] = "The language is a BCP 47 tag, such as de, pt-BR or zh-Hans (empty: the blog's)."
		} else {
			w.Lang = tag.String()
		}
	}
	if r, err := content.ReplyAddress(in.InReplyTo); err != nil {
		errs["in_reply_to"] = "In reply to is the http or https address of the post this one answers (empty: none)."
	} else {
		w.InReplyTo = r
	}
	w.Tags = strings.Join(SplitTags(one(in.Tags)), ", ")
	switch {
	case len(w.Title) > MaxTitle:
		errs["title"] = fmt.Sprintf("The title is longer than %d characters.", MaxTitle)
	case len(w.Summary) > MaxSummary:
		errs["summary"] = fmt.Sprintf("The summary is longer than %d characters.", MaxSummary)
	}
	if len(w.Tags) > MaxTags {
		errs["tags"] = fmt.Sprintf("The tags are longer than %d characters together.", MaxTags)
	}
	if len(w.Image) > MaxImage || strings.ContainsAny(w.Image, " \n\"'<>") {
		errs["image"] = "The image is a name under /media/ (such as card.png) or an https:// address, without spaces or quotes."
	}
	if len(w.Body) > MaxBody {
		errs["body"] = fmt.Sprintf("The text is longer than %d KB; split it into two posts.", MaxBody>>10)
	}
	if !utf8.ValidString(w.Title + w.Summary + w.Tags + w.Image + w.Body) {
		errs[""] = "The post holds text that is not UTF-8."
	}
	if w.Comments != "" && w.Comments != "open" && w.Comments != "closed" {
		errs["comments"] = "Comments are open or closed."
	}
	d, err := ParseTime(in.Date)
	if err != nil {
		errs["date"] = "The date " + err.Error() + "."
	}
	w.Date = d
	if o := strings.TrimSpace(in.Order); o != "" {
		n, err := strconv.Atoi(o)
		if err != nil || n < -1000 || n > 1000 {
			errs["order"] = "The order is a whole number from -1000 to 1000."
		}
		w.PageOrder = n
	}
	return w, errs
}

// reservedPages are the single-segment addresses the blog serves itself: a page cannot have them.
var reservedPages = map[string]bool{"admin": true, "archive": true, "tags": true, "posts": true, "page": true,
	"media": true, "assets": true, "your-data": true, "notify": true, "healthz": true, "readyz": true, "metrics": true}

// ErrRefused is a request the rules refuse; the Errors say why.
var ErrRefused = errors.New("refused")

// slugProblem says why a slug typed for a writing of kind, whose posts row is postID, cannot be used ("" when
// it can).
func (s *Service) slugProblem(ctx context.Context, kind, slug string, postID int64) (string, error) {
	switch {
	case len(slug) > MaxSlug:
		return fmt.Sprintf("The address is longer than %d characters.", MaxSlug), nil
	case !slugPattern.MatchString(slug):
		return "The address is lower-case letters and digits joined by single hyphens, such as my-first-post.", nil
	case kind != writing.KindPage && s.FileSlug != nil && s.FileSlug(slug):
		return "A file of the content folder uses this address; choose another.", nil
	case kind == writing.KindPage && s.FilePage != nil && s.FilePage(slug):
		return "A page of the content folder uses this address; choose another.", nil
	case kind == writing.KindPage && reservedPages[slug]:
		return "The blog uses this address itself; choose another.", nil
	}
	taken, err := s.Store.SlugTaken(ctx, writing.AnchorSlug(kind, slug), postID)
	if err != nil {
		return "", err
	}
	if taken {
		return "Another post (or the comments of one that was removed) has this address; choose another.", nil
	}
	return "", nil
}

// freeSlug returns base, or base-2, base-3... the first free one for a writing of kind.
func (s *Service) freeSlug(ctx context.Context, kind, base string, postID int64) (string, error) {
	if base == "" {
		base = "untitled"
	}
	for i := 1; i < 1000; i++ {
		slug := base
		if i > 1 {
			slug = fmt.Sprintf("%s-%d", base, i)
		}
		why, err := s.slugProblem(ctx, kind, slug, postID)
		if err != nil || why == "" {
			return slug, err
		}
	}
	return "", errors.New("no free address for " + base)
}

// Create starts a post from the form (anything within bounds: a draft may be empty). Its slug is the one typed,
// or made from the title.
func (s *Service) Create(ctx context.Context, in Input) (writing.Writing, Errors, error) {
	w, errs := in.clean()
	if len(errs) > 0 {
		return w, errs, ErrRefused
	}
	w.Kind = writing.KindPost
	if in.Kind == writing.KindPage {
		w.Kind = writing.KindPage
	}
	var err error
	if slug := strings.TrimSpace(in.Slug); slug != "" {
		why, err := s.slugProblem(ctx, w.Kind, slug, 0)
		if err != nil {
			return w, nil, err
		}
		if why != "" {
			return w, Errors{"slug": why}, ErrRefused
		}
		w.Slug = slug
	} else if w.Slug, err = s.freeSlug(ctx, w.Kind, Slugify(w.Title), 0); err != nil {
		return w, nil, err
	}
	if err := s.Store.Create(ctx, &w, Document(w, true, nil)); err != nil {
		return w, nil, err
	}
	return w, nil, nil
}

// Save stores the working copy from the form as kind (writing.VersionAutosave as it is typed,
// writing.VersionSaved for the Save button). Readers see nothing of it until it is published; the owner's
// preview of a draft at its address follows. Until first published, the slug is the one typed or, left empty,
// made from the title; a slug that cannot be used is reported and the rest is still saved (nothing typed is
// lost). A field over its bound refuses the whole save.
func (s *Service) Save(ctx context.Context, id int64, in Input, kind string) (writing.Writing, Errors, error) {
	cur, err := s.Store.Find(ctx, id)
	if err != nil {
		return cur, nil, err
	}
	if cur.RemovedAt != nil {
		return cur, Errors{"": "This post is deleted: restore it to edit it."}, ErrRefused
	}
	w, errs := in.clean()
	if len(errs) > 0 {
		return cur, errs, ErrRefused
	}
	w.ID, w.Slug, w.Kind = cur.ID, cur.Slug, cur.Kind
	if cur.FirstPublishedAt == nil {
		if slug := strings.TrimSpace(in.Slug); slug != "" && slug != cur.Slug {
			why, err := s.slugProblem(ctx, cur.Kind, slug, cur.PostID)
			if err != nil {
				return cur, nil, err
			}
			if why != "" {
				errs["slug"] = why
			} else {
				w.Slug = slug
			}
		} else if slug == "" {
			if w.Slug, err = s.freeSlug(ctx, cur.Kind, Slugify(w.Title), cur.PostID); err != nil {
				return cur, nil, err
			}
		}
	}
	// Readers see nothing of a save, but the owner's preview of an unpublished draft at its address does.
	announce := kind != writing.VersionAutosave && cur.Live == ""
	out, err := s.Store.Save(ctx, w, Document(w, true, cur.PublishAt), kind, announce)
	return out, errs, err
}

// publishable checks what readers would be served: the rules a file of the content folder passes.
func (s *Service) publishable(ctx context.Context, w writing.Writing) (Errors, error) {
	errs := Errors{}
	if w.Title == "" {
		errs["title"] = "A published post needs a title."
	}
	if why, err := s.slugProblem(ctx, w.Kind, w.Slug, w.PostID); err != nil {
		return nil, err
	} else if why != "" {
		errs["slug"] = why
	}
	if len(errs) > 0 {
		return errs, nil
	}
	if _, _, err := content.Parse([]byte(Document(w, false, nil))); err != nil {
		errs[""] = "The post cannot be read: " + err.Error()
	}
	return errs, nil
}

// Publish serves the working copy to readers at the time at (nil: now), on every instance: at once, or, for a
// later time, when it comes (on the home page and in the feeds). A post without a date is dated when it
// appears. Publishing again serves the changes made since.
func (s *Service) Publish(ctx context.Context, id int64, at *time.Time) (writing.Writing, Errors, error) {
	w, err := s.Store.Find(ctx, id)
	if err != nil {
		return w, nil, err
	}
	if w.RemovedAt != nil {
		return w, Errors{"": "This post is deleted: restore it to publish it."}, ErrRefused
	}
	when := s.now()
	if at != nil {
		if at.Before(when.Add(-time.Minute)) {
			return w, Errors{"publish_at": "Choose a time to come, or publish now."}, ErrRefused
		}
		when = at.UTC().Truncate(time.Second)
	}
	if w.Date == nil {
		d := when
		w.Date = &d
	}
	if errs, err := s.publishable(ctx, w); err != nil || len(errs) > 0 {
		if err == nil {
			err = ErrRefused
		}
		return w, errs, err
	}
	if w, err = s.Store.Save(ctx, w, Document(w, true, &when), writing.VersionSaved, false); err != nil {
		return w, nil, err
	}
	live := Document(w, false, nil)
	// Found by a search from the moment readers are served it: now, or at its time (indexed then, as the content
	// loads). Until then a post published before and now put off is out of the index, as it is out of the pages.
	idx := writing.Index{Remove: when.After(s.now())}
	if !idx.Remove {
		if idx, err = s.indexed(w, live); err != nil {
			return w, nil, err
		}
	}
	out, err := s.Store.Publish(ctx, id, live, &when, idx)
	return out, nil, err
}

// indexed is the search index's row for a post published as the document live (nothing for a page, which is not
// searched).
func (s *Service) indexed(w writing.Writing, live string) (writing.Index, error) {
	if w.Kind == writing.KindPage {
		return writing.Index{}, nil
	}
	p, err := content.ReadPost(content.Document{Name: "posts/" + w.Slug + ".md", Origin: content.OriginDesk, Src: []byte(live)})
	if err != nil {
		return writing.Index{}, fmt.Errorf("read post %s: %w", w.Slug, err)
	}
	t := search.TextOf(w.PostID, p)
	return writing.Index{Write: &t}, nil
}

// unindexed takes a post being taken down out of the search index, unless a file of the content folder serves
// its slug (the index then holds the file's text).
func (s *Service) unindexed(ctx context.Context, id int64) (writing.Index, error) {
	w, err := s.Store.Find(ctx, id)
	if err != nil {
		return writing.Index{}, err
	}
	if w.Kind == writing.KindPage || (s.FileSlug != nil && s.FileSlug(w.Slug)) {
		return writing.Index{}, nil
	}
	return writing.Index{Remove: true}, nil
}

// Unpublish takes a post down: readers no longer see it (its address answers 404, its comments stay, and
// neither is found by a search), and it is a draft again.
func (s *Service) Unpublish(ctx context.Context, id int64) (writing.Writing, error) {
	idx, err := s.unindexed(ctx, id)
	if err != nil {
		return writing.Writing{}, err
	}
	return s.Store.Publish(ctx, id, "", nil, idx)
}

// Delete takes a post down and marks it deleted; it can be restored until it is purged (PURGE_AFTER).
func (s *Service) Delete(ctx context.Context, id int64) (writing.Writing, error) {
	idx, err := s.unindexed(ctx, id)
	if err != nil {
		return writing.Writing{}, err
	}
	at := s.now()
	return s.Store.SetDeleted(ctx, id, &at, idx)
}

// Restore brings back a deleted post as it was (published again, and found by a search, if it was).
func (s *Service) Restore(ctx context.Context, id int64) (writing.Writing, error) {
	w, err := s.Store.Find(ctx, id)
	if err != nil {
		return w, err
	}
	var idx writing.Index
	if w.RemovedAt != nil && w.Live != "" && w.PublishAt != nil && !w.PublishAt.After(s.now()) &&
		(s.FileSlug == nil || !s.FileSlug(w.Slug)) {
		if idx, err = s.indexed(w, w.Live); err != nil {
			return w, err
		}
	}
	return s.Store.SetDeleted(ctx, id, nil, idx)
}

// RestoreVersion makes an earlier version the working copy again (kept as a new version itself); readers see
// it once it is published. The slug is not changed.
func (s *Service) RestoreVersion(ctx context.Context, id, versionID int64) (writing.Writing, error) {
	v, err := s.Store.Version(ctx, id, versionID)
	if err != nil {
		return writing.Writing{}, err
	}
	cur, err := s.Store.Find(ctx, id)
	if err != nil {
		return cur, err
	}
	p, err := ParseDocument([]byte(v.Document))
	if err != nil {
		// Every version was written by Document; a version the rules no longer read is refused, not half-restored.
		return cur, fmt.Errorf("version %d: %w", versionID, err)
	}
	w := p.Writing
	w.ID, w.Slug, w.Kind = cur.ID, cur.Slug, cur.Kind
	return s.Store.Save(ctx, w, Document(w, true, cur.PublishAt), writing.VersionRestored, cur.Live == "")
}

// Preview renders a body as readers would get it.
func Preview(body string) (template.HTML, error) {
	if len(body) > MaxBody {
		return "", fmt.Errorf("the text is longer than %d KB", MaxBody>>10)
	}
	return content.Render([]byte(strings.ReplaceAll(body, "\r\n", "\n")))
}

// Purge deletes for good the posts deleted more than after ago.
func (s *Service) Purge(ctx context.Context, after time.Duration) (int, error) {
	return s.Store.Purge(ctx, s.now().Add(-after))
}

// Documents returns the desk's posts as the snapshot serves them: the published and scheduled ones as published
// (a scheduled one held with the drafts until its time), the drafts that have a title as drafts (the owner's
// preview at their address), and the time the next scheduled post appears (nil: none).
func (s *Service) Documents(ctx context.Context) ([]content.Document, *time.Time, error) {
	all, err := s.Store.List(ctx)
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	var docs []content.Document
	var next *time.Time
	for _, w := range all {
		if w.RemovedAt != nil {
			continue
		}
		d := content.Document{Name: "posts/" + w.Slug + ".md", Origin: content.OriginDesk, Label: "desk: " + w.Slug}
		if w.Kind == writing.KindPage {
			d.Name, d.Page, d.Label = "pages/"+w.Slug+".md", true, "desk: page "+w.Slug
		}
		switch {
		case w.Live != "" && w.PublishAt != nil:
			d.Src, d.Hold = []byte(w.Live), w.PublishAt.After(now)
			if d.Hold && (next == nil || w.PublishAt.Before(*next)) {
				at := *w.PublishAt
				next = &at
			}
		case w.Title != "":
			if w.Date == nil {
				at := w.UpdatedAt
				w.Date = &at
			}
			d.Src = []byte(Document(w, true, nil))
		default:
			continue
		}
		docs = append(docs, d)
	}
	return docs, next, nil
}

// IsNotFound reports whether err says there is no such post or version.
func IsNotFound(err error) bool { return errors.Is(err, repo.ErrNotFound) }

// List returns every desk post, deleted ones included, the most recently changed first.
func (s *Service) List(ctx context.Context) ([]writing.Writing, error) { return s.Store.List(ctx) }

// Find returns one desk post.
func (s *Service) Find(ctx context.Context, id int64) (writing.Writing, error) {
	return s.Store.Find(ctx, id)
}

// Versions returns a desk post's kept versions, newest first.
func (s *Service) Versions(ctx context.Context, id int64) ([]writing.Version, error) {
	return s.Store.Versions(ctx, id)
}
