package desk

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"blog/repo/writing"
)

// File is a desk post as a file of a content folder: Name under it ("posts/2026-12-07-slug.md") and its text.
type File struct {
	Name string
	Src  []byte
}

// Export returns every desk post (not the deleted ones) as a file the content folder reads: a published post as
// readers see it (changes not yet published stay in the desk), a scheduled one as a draft that keeps its time in
// publish_at (the folder does not schedule), a draft as a draft. A draft without a date is dated when it was last
// changed, as the folder needs one. Versions stay in the desk.
func (s *Service) Export(ctx context.Context) ([]File, error) {
	all, err := s.Store.List(ctx)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	var out []File
	for _, w := range all {
		if w.RemovedAt != nil {
			continue
		}
		var doc string
		switch {
		case w.Published(now):
			doc = w.Live
			p, err := ParseDocument([]byte(w.Live))
			if err != nil {
				return nil, fmt.Errorf("post %s: %w", w.Slug, err)
			}
			w.Date = p.Writing.Date
		case w.Scheduled(now):
			p, err := ParseDocument([]byte(w.Live))
			if err != nil {
				return nil, fmt.Errorf("post %s: %w", w.Slug, err)
			}
			at := w.PublishAt
			w.Title, w.Date, w.Summary, w.Tags, w.Image, w.Comments, w.Lang, w.Body = p.Writing.Title, p.Writing.Date,
				p.Writing.Summary, p.Writing.Tags, p.Writing.Image, p.Writing.Comments, p.Writing.Lang, p.Writing.Body
			doc = Document(w, true, at)
		default:
			if w.Date == nil {
				at := w.UpdatedAt
				w.Date = &at
			}
			doc = Document(w, true, nil)
		}
		day := w.UpdatedAt
		if w.Date != nil {
			day = *w.Date
		}
		name := "posts/" + day.UTC().Format(time.DateOnly) + "-" + w.Slug + ".md"
		if w.Kind == writing.KindPage {
			name = "pages/" + w.Slug + ".md"
		}
		out = append(out, File{Name: name, Src: []byte(doc)})
	}
	return out, nil
}

var datePrefix = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}-`)

// SlugOfFile is the slug a post file's name gives, as the content folder reads it.
func SlugOfFile(name string) string {
	return datePrefix.ReplaceAllString(strings.TrimSuffix(path.Base(name), ".md"), "")
}

// Import reads post files into the desk, all or nothing: every file is checked first (its name, its front matter
// by content's rules, the bounds, its slug free or already a desk post's), and nothing changes when any is
// refused; the error names each file and its problem. A file whose slug is a desk post's replaces that post's
// working copy. A draft stays a draft (scheduled again when it keeps a publish_at to come); any other post is
// published, with its date as written. It returns the posts as stored.
func (s *Service) Import(ctx context.Context, files []File) ([]writing.Writing, error) {
	type plan struct {
		kind, slug string
		p          Parsed
		cur        *writing.Writing
	}
	var plans []plan
	var problems []string
	seen := map[string]string{}
	for _, f := range files {
		slug, kind := SlugOfFile(f.Name), writing.KindPost
		if strings.HasPrefix(f.Name, "pages/") {
			slug, kind = strings.TrimSuffix(path.Base(f.Name), ".md"), writing.KindPage
		}
		p, err := ParseDocument(f.Src)
		if err != nil {
			problems = append(problems, f.Name+": "+err.Error())
			continue
		}
		if prev, ok := seen[kind+" "+slug]; ok {
			problems = append(problems, fmt.Sprintf("%s: slug %q is also %s's", f.Name, slug, prev))
			continue
		}
		seen[kind+" "+slug] = f.Name
		in := Input{Title: p.Writing.Title, Summary: p.Writing.Summary, Tags: p.Writing.Tags, Image: p.Writing.Image,
			Comments: p.Writing.Comments, Lang: p.Writing.Lang, Body: p.Writing.Body}
		in.Order = strconv.Itoa(p.Writing.PageOrder)
		if _, errs := in.clean(); len(errs) > 0 {
			problems = append(problems, f.Name+": "+firstOf(errs))
			continue
		}
		pl := plan{kind: kind, slug: slug, p: p}
		cur, err := s.Store.FindBySlug(ctx, kind, slug)
		switch {
		case err == nil:
			pl.cur = &cur
		case !IsNotFound(err):
			return nil, err
		default:
			why, err := s.slugProblem(ctx, kind, slug, 0)
			if err != nil {
				return nil, err
			}
			if why != "" {
				problems = append(problems, f.Name+": "+why)
				continue
			}
		}
		plans = append(plans, pl)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("nothing imported:\n  %s", strings.Join(problems, "\n  "))
	}
	var out []writing.Writing
	for _, pl := range plans {
		w := pl.p.Writing
		w.Slug, w.Kind = pl.slug, pl.kind
		if pl.cur == nil {
			if err := s.Store.Create(ctx, &w, Document(w, true, nil)); err != nil {
				return out, fmt.Errorf("%s: %w", pl.slug, err)
			}
		} else {
			w.ID = pl.cur.ID
			var err error
			if w, err = s.Store.Save(ctx, w, Document(w, true, pl.cur.PublishAt), writing.VersionSaved, pl.cur.Live == ""); err != nil {
				return out, fmt.Errorf("%s: %w", pl.slug, err)
			}
		}
		var at *time.Time
		switch {
		case !pl.p.Draft:
		case pl.p.PublishAt != nil && pl.p.PublishAt.After(s.now()):
			at = pl.p.PublishAt
		default:
			out = append(out, w)
			continue
		}
		p, errs, err := s.Publish(ctx, w.ID, at)
		if err != nil {
			return out, fmt.Errorf("%s: %s%w", pl.slug, firstOf(errs), err)
		}
		out = append(out, p)
	}
	return out, nil
}

// firstOf is one message of errs.
func firstOf(errs Errors) string {
	for _, m := range errs {
		return m + " "
	}
	return ""
}
