// Package content loads the blog's posts and pages: Markdown files with YAML front matter. The sample content in
// this folder is embedded in the binary (Embedded); CONTENT_DIR points the blog at a folder on disk instead.
package content

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"gopkg.in/yaml.v3"
)

//go:embed posts/*.md pages/*.md media
var embedded embed.FS

// Embedded returns the sample content shipped inside the binary: posts/, pages/ and media/.
func Embedded() fs.FS { return embedded }

// Post is one published article.
type Post struct {
	Slug    string
	Title   string
	Date    time.Time
	Summary string
	Tags    []string
	Draft   bool
	// HTML is the rendered Markdown. Raw HTML in the source is not passed through.
	HTML template.HTML
}

// Page is a standalone page such as About.
type Page struct {
	Slug  string
	Title string
	// Order sorts pages in the navigation, lowest first.
	Order int
	HTML  template.HTML
}

// Library is the loaded content: published posts newest first, pages in navigation order, and the media folder
// (images and other files the posts link to, served at /media/).
type Library struct {
	Posts []Post
	Pages []Page
	Media fs.FS
}

type frontMatter struct {
	Title   string    `yaml:"title"`
	Date    time.Time `yaml:"date"`
	Summary string    `yaml:"summary"`
	Tags    []string  `yaml:"tags"`
	Draft   bool      `yaml:"draft"`
	Order   int       `yaml:"order"`
}

var (
	markdown = goldmark.New(
		goldmark.WithExtensions(extension.GFM),
		goldmark.WithParserOptions(parser.WithAutoHeadingID()),
	)
	slugPattern = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)
	datePrefix  = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}-`)
)

// Load reads posts/*.md and pages/*.md from fsys. Drafts are dropped. A file with bad front matter is an error
// that names the file, so a typo never silently hides a post.
func Load(fsys fs.FS) (*Library, error) {
	media, err := fs.Sub(fsys, "media")
	if err != nil {
		return nil, err
	}
	lib := &Library{Media: media}
	seen := map[string]string{}
	err = each(fsys, "posts", func(name string, fm frontMatter, html template.HTML) error {
		slug := datePrefix.ReplaceAllString(strings.TrimSuffix(path.Base(name), ".md"), "")
		if fm.Date.IsZero() {
			return fmt.Errorf("%s: front matter needs a date (YYYY-MM-DD)", name)
		}
		if prev, ok := seen[slug]; ok {
			return fmt.Errorf("%s: slug %q is already used by %s", name, slug, prev)
		}
		seen[slug] = name
		if fm.Draft {
			return nil
		}
		lib.Posts = append(lib.Posts, Post{Slug: slug, Title: fm.Title, Date: fm.Date.UTC(), Summary: fm.Summary,
			Tags: fm.Tags, HTML: html})
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = each(fsys, "pages", func(name string, fm frontMatter, html template.HTML) error {
		if fm.Draft {
			return nil
		}
		lib.Pages = append(lib.Pages, Page{Slug: strings.TrimSuffix(path.Base(name), ".md"), Title: fm.Title,
			Order: fm.Order, HTML: html})
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(lib.Posts, func(a, b Post) int {
		if c := b.Date.Compare(a.Date); c != 0 {
			return c
		}
		return strings.Compare(a.Slug, b.Slug)
	})
	slices.SortStableFunc(lib.Pages, func(a, b Page) int {
		if a.Order != b.Order {
			return a.Order - b.Order
		}
		return strings.Compare(a.Slug, b.Slug)
	})
	return lib, nil
}

// each parses every Markdown file in dir and hands it to fn. A missing dir is simply empty.
func each(fsys fs.FS, dir string, fn func(name string, fm frontMatter, html template.HTML) error) error {
	names, err := fs.Glob(fsys, dir+"/*.md")
	if err != nil {
		return err
	}
	for _, name := range names {
		src, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		fm, html, err := Parse(src)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if slug := datePrefix.ReplaceAllString(strings.TrimSuffix(path.Base(name), ".md"), ""); !slugPattern.MatchString(slug) {
			return fmt.Errorf("%s: file name must be lower-case words joined by hyphens (it becomes the URL)", name)
		}
		if strings.TrimSpace(fm.Title) == "" {
			return fmt.Errorf("%s: front matter needs a title", name)
		}
		if err := fn(name, fm, html); err != nil {
			return err
		}
	}
	return nil
}

// Parse splits a document into its YAML front matter and its body rendered from Markdown to HTML.
func Parse(src []byte) (frontMatter, template.HTML, error) {
	var fm frontMatter
	src = bytes.ReplaceAll(src, []byte("\r\n"), []byte("\n"))
	rest, ok := bytes.CutPrefix(src, []byte("---\n"))
	if !ok {
		return fm, "", errors.New("file must start with front matter between --- lines")
	}
	head, body, ok := bytes.Cut(rest, []byte("\n---\n"))
	if !ok {
		if head, ok = bytes.CutSuffix(rest, []byte("\n---")); !ok {
			return fm, "", errors.New("front matter is not closed by a --- line")
		}
		body = nil
	}
	if err := yaml.Unmarshal(head, &fm); err != nil {
		return fm, "", fmt.Errorf("front matter: %w", err)
	}
	html, err := Render(body)
	return fm, html, err
}

// Render turns Markdown into HTML. Raw HTML in the source is dropped (goldmark's safe default).
func Render(md []byte) (template.HTML, error) {
	var buf bytes.Buffer
	if err := markdown.Convert(md, &buf); err != nil {
		return "", fmt.Errorf("render markdown: %w", err)
	}
	return template.HTML(buf.String()), nil
}

// PostBySlug returns the published post with this slug.
func (l *Library) PostBySlug(slug string) (Post, bool) {
	for _, p := range l.Posts {
		if p.Slug == slug {
			return p, true
		}
	}
	return Post{}, false
}

// PageBySlug returns the page with this slug.
func (l *Library) PageBySlug(slug string) (Page, bool) {
	for _, p := range l.Pages {
		if p.Slug == slug {
			return p, true
		}
	}
	return Page{}, false
}
