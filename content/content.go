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
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/util"
	"go.yaml.in/yaml/v3"
	"golang.org/x/text/language"

	"blog/content/highlight"
)

//go:embed posts/*.md pages/*.md media
var embedded embed.FS

// Embedded returns the sample content shipped inside the binary: posts/, pages/ and media/.
func Embedded() fs.FS { return embedded }

// Post is one published article.
type Post struct {
	// Origin says where the post comes from: "" for a file of the content folder, OriginDesk for a post written
	// in the owner's desk (stored in the database).
	Origin  string
	Slug    string
	Title   string
	Date    time.Time
	Summary string
	Tags    []string
	Draft   bool
	// CommentsClosed is `comments: closed` in the front matter: the post takes no new comments (its comments
	// stay). The owner's choice in the console or on the command line wins over it.
	CommentsClosed bool
	// Image is the picture shown when the post is shared (Open Graph): a path under /media/ or an address.
	Image string
	// ReadingMinutes is the time the text takes to read, at 230 words a minute (at least 1).
	ReadingMinutes int
	// HTML is the rendered Markdown. Raw HTML in the source is not passed through.
	HTML template.HTML
	// Lang is `lang` in the front matter, normalised ("" for the blog's language): the post's page, its
	// comments and its feed entry speak it.
	Lang string
	// Translation is `translation` in the front matter: posts sharing it are one text in several languages.
	Translation string
	// InReplyTo is `in_reply_to` in the front matter: the address of a post elsewhere this one answers (its
	// page says so, and the fediverse hears of it as a reply).
	InReplyTo string
}

// Page is a standalone page such as About.
type Page struct {
	// Origin is as Post.Origin.
	Origin string
	Slug   string
	Title  string
	// Order sorts pages in the navigation, lowest first.
	Order int
	HTML  template.HTML
}

// Library is the loaded content: published posts newest first, pages in navigation order, and the media folder
// (images and other files the posts link to, served at /media/). Drafts are kept apart (the owner may preview
// them); Problems are the files that could not be read, each skipped so the rest of the blog keeps serving.
type Library struct {
	Posts    []Post
	Pages    []Page
	Drafts   []Post
	Media    fs.FS
	Problems []Problem
}

// Problem is a file skipped because it could not be read, and why.
type Problem struct {
	File string
	Err  error
}

func (p Problem) String() string { return p.File + ": " + p.Err.Error() }

type frontMatter struct {
	Title   string    `yaml:"title"`
	Date    frontDate `yaml:"date"`
	Summary string    `yaml:"summary"`
	Tags    []string  `yaml:"tags"`
	Draft   bool      `yaml:"draft"`
	Order   int       `yaml:"order"`
	Image   string    `yaml:"image"`
	// Comments is "closed" to close the post to new comments, "open" (or nothing) otherwise.
	Comments string `yaml:"comments"`
	// PublishAt is when a post written in the desk and exported as a draft is scheduled to appear; the content
	// folder does not schedule (the file stays a draft), `web posts import` schedules it again.
	PublishAt frontDate `yaml:"publish_at"`
	// Lang is the post's language (a BCP 47 tag such as de or pt-BR) when it is not the blog's (SITE_LANG).
	Lang string `yaml:"lang"`
	// Translation names what a post is a translation of: posts with the same value are one text in several
	// languages, and each page names the others to search engines (hreflang).
	Translation string `yaml:"translation"`
	// InReplyTo is the address (http or https) of a post elsewhere that this one answers.
	InReplyTo string `yaml:"in_reply_to"`
}

var (
	markdown = goldmark.New(
		goldmark.WithExtensions(extension.GFM,
			// Code is highlighted on the server with chroma, as CSS classes (no inline styles: the
			// Content-Security-Policy stays strict); assets/css/chroma.css colours them in both themes. A
			// language's lexer is built the first time a block of it is rendered.
			highlight.New()),
		goldmark.WithParserOptions(parser.WithAutoHeadingID()),
		// Before GFM's own renderer for task boxes (a lower number comes first): ours names them.
		goldmark.WithRendererOptions(renderer.WithNodeRenderers(util.Prioritized(taskBoxes{}, 100))),
	)
	slugPattern = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)
	datePrefix  = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}-`)
)

// OriginDesk marks a post written in the owner's desk (Post.Origin).
const OriginDesk = "desk"

// Document is a post kept elsewhere than the content folder (the desk's, in the database), in the very form a
// file would hold it (front matter and Markdown), so it is read by the same rules and rendered by the same
// renderer. Name is what its file would be called ("posts/2026-12-07-slug.md"); Origin is Post.Origin; Label names
// it in Problems; Hold keeps it with the drafts whatever its front matter says (a post scheduled for later).
type Document struct {
	Name, Origin, Label string
	Src                 []byte
	Hold                bool
	// Page makes it a page ("pages/slug.md"), served at /slug, rather than a post.
	Page bool
}

// Load reads posts/*.md and pages/*.md from fsys. Drafts are kept apart. A file that cannot be read (bad front
// matter, a missing title or date, a slug already used) is skipped and listed in Problems, naming the file and
// the trouble, so one typo never stops the blog and never silently hides a post. Only an unreadable folder is an
// error.
func Load(fsys fs.FS) (*Library, error) { return LoadWith(fsys, nil) }

// LoadWith is Load with more posts besides the folder's: docs are read after the files, by the same rules, so a
// slug a file uses is the file's and the document is listed in Problems (under its Label) instead.
func LoadWith(fsys fs.FS, docs []Document) (*Library, error) {
	media, err := fs.Sub(fsys, "media")
	if err != nil {
		return nil, err
	}
	lib := &Library{Media: media}
	seen := map[string]string{}
	var origin string
	var hold bool
	post := func(name string, fm frontMatter, html template.HTML) error {
		slug := datePrefix.ReplaceAllString(strings.TrimSuffix(path.Base(name), ".md"), "")
		if fm.Date.IsZero() {
			return errors.New("front matter needs a date (YYYY-MM-DD)")
		}
		if prev, ok := seen[slug]; ok {
			return fmt.Errorf("slug %q is already used by %s", slug, prev)
		}
		if fm.Comments != "" && fm.Comments != "open" && fm.Comments != "closed" {
			return fmt.Errorf("comments: %q: want open or closed", fm.Comments)
		}
		lang, err := postLang(fm.Lang)
		if err != nil {
			return err
		}
		inReplyTo, err := ReplyAddress(fm.InReplyTo)
		if err != nil {
			return err
		}
		seen[slug] = name
		p := Post{Lang: lang, Translation: strings.TrimSpace(fm.Translation), Origin: origin, CommentsClosed: fm.Comments == "closed", Slug: slug, Title: fm.Title, Date: fm.Date.UTC(), Summary: fm.Summary, Tags: normalTags(fm.Tags),
			Image: fm.Image, HTML: darkVariants(html, media), Draft: fm.Draft || hold, InReplyTo: inReplyTo}
		p.ReadingMinutes = readingMinutes(html)
		if p.Draft {
			lib.Drafts = append(lib.Drafts, p)
			return nil
		}
		lib.Posts = append(lib.Posts, p)
		return nil
	}
	if err := lib.each(fsys, "posts", post); err != nil {
		return nil, err
	}
	for _, d := range docs {
		if d.Page {
			continue
		}
		origin, hold = d.Origin, d.Hold
		if err := parseDoc(d.Name, d.Src, post); err != nil {
			lib.Problems = append(lib.Problems, Problem{File: d.Label, Err: err})
		}
	}
	seenPages := map[string]string{}
	origin, hold = "", false
	page := func(name string, fm frontMatter, html template.HTML) error {
		if fm.Draft || hold {
			return nil
		}
		slug := strings.TrimSuffix(path.Base(name), ".md")
		if prev, ok := seenPages[slug]; ok {
			return fmt.Errorf("page %q is already %s", slug, prev)
		}
		seenPages[slug] = name
		lib.Pages = append(lib.Pages, Page{Origin: origin, Slug: slug, Title: fm.Title, Order: fm.Order, HTML: darkVariants(html, media)})
		return nil
	}
	if err := lib.each(fsys, "pages", page); err != nil {
		return nil, err
	}
	for _, d := range docs {
		if !d.Page {
			continue
		}
		origin, hold = d.Origin, d.Hold
		if err := parseDoc(d.Name, d.Src, page); err != nil {
			lib.Problems = append(lib.Problems, Problem{File: d.Label, Err: err})
		}
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

// each parses every Markdown file in dir and hands it to fn; a file that fails (here or in fn) is recorded in
// lib.Problems and skipped. A missing dir is simply empty.
func (lib *Library) each(fsys fs.FS, dir string, fn func(name string, fm frontMatter, html template.HTML) error) error {
	names, err := fs.Glob(fsys, dir+"/*.md")
	if err != nil {
		return err
	}
	for _, name := range names {
		if err := parseFile(fsys, name, fn); err != nil {
			lib.Problems = append(lib.Problems, Problem{File: name, Err: err})
		}
	}
	return nil
}

func parseFile(fsys fs.FS, name string, fn func(name string, fm frontMatter, html template.HTML) error) error {
	src, err := fs.ReadFile(fsys, name)
	if err != nil {
		return err
	}
	return parseDoc(name, src, fn)
}

func parseDoc(name string, src []byte, fn func(name string, fm frontMatter, html template.HTML) error) error {
	fm, html, err := Parse(src)
	if err != nil {
		return err
	}
	if slug := datePrefix.ReplaceAllString(strings.TrimSuffix(path.Base(name), ".md"), ""); !slugPattern.MatchString(slug) {
		return errors.New("file name must be lower-case words joined by hyphens (it becomes the URL)")
	}
	if strings.TrimSpace(fm.Title) == "" {
		return errors.New("front matter needs a title")
	}
	return fn(name, fm, html)
}

// FrontMatter is a document's front matter as the blog reads it (Date.Time is its date).
type FrontMatter = frontMatter

// Parse splits a document into its YAML front matter and its body rendered from Markdown to HTML.
func Parse(src []byte) (FrontMatter, template.HTML, error) {
	fm, body, err := Split(src)
	if err != nil {
		return fm, "", err
	}
	html, err := Render(body)
	return fm, html, err
}

// Split reads a document's YAML front matter and returns it with the Markdown body as written.
func Split(src []byte) (FrontMatter, []byte, error) {
	var fm frontMatter
	src = bytes.ReplaceAll(src, []byte("\r\n"), []byte("\n"))
	rest, ok := bytes.CutPrefix(src, []byte("---\n"))
	if !ok {
		return fm, nil, errors.New("file must start with front matter between --- lines")
	}
	head, body, ok := bytes.Cut(rest, []byte("\n---\n"))
	if !ok {
		if head, ok = bytes.CutSuffix(rest, []byte("\n---")); !ok {
			return fm, nil, errors.New("front matter is not closed by a --- line")
		}
		body = nil
	}
	if err := yaml.Unmarshal(head, &fm); err != nil {
		return fm, nil, fmt.Errorf("front matter: %w", err)
	}
	return fm, body, nil
}

// Render turns Markdown into HTML. Raw HTML in the source is dropped (goldmark's safe default).
func Render(md []byte) (template.HTML, error) {
	var buf bytes.Buffer
	if err := markdown.Convert(md, &buf); err != nil {
		return "", fmt.Errorf("render markdown: %w", err)
	}
	return uploadedDark(template.HTML(focusablePre.Replace(buf.String()))), nil
}

// uploadedImg is an image uploaded through the console (served from the database by the uploads package, named
// by a hash of its bytes).
var uploadedImg = regexp.MustCompile(`<img src="/media/u/([0-9a-f]{24})\.(png|jpg|gif|webp|avif|svg)"[^>]*>`)

// uploadedDark gives every uploaded image its dark-theme address (/media/u/NAME.dark.EXT), as darkVariants does
// for a file with a variant beside it: that address serves the image's dark variant, or the image itself while it
// has none, so a variant uploaded after the post was written reaches readers without rendering the post again.
func uploadedDark(html template.HTML) template.HTML {
	return template.HTML(uploadedImg.ReplaceAllStringFunc(string(html), func(tag string) string {
		m := uploadedImg.FindStringSubmatch(tag)
		return `<picture><source srcset="/media/u/` + m[1] + `.dark.` + m[2] + `" media="(prefers-color-scheme: dark)">` + tag + `</picture>`
	}))
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

var tagPattern = regexp.MustCompile(`[^a-z0-9]+`)

// TagSlug is a tag as it appears in addresses: lower case, words joined by hyphens ("Go tips" is go-tips).
func TagSlug(tag string) string {
	return strings.Trim(tagPattern.ReplaceAllString(strings.ToLower(tag), "-"), "-")
}

// normalTags drops empty and repeated tags (by their slug), keeping the first spelling.
func normalTags(tags []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range tags {
		t = strings.TrimSpace(t)
		s := TagSlug(t)
		if s == "" || seen[s] {
			continue
		}
		seen[s] = true
		out = append(out, t)
	}
	return out
}

var htmlTag = regexp.MustCompile(`<[^>]*>`)

// readingMinutes estimates reading time from the rendered text.
func readingMinutes(html template.HTML) int {
	words := len(strings.Fields(htmlTag.ReplaceAllString(string(html), " ")))
	return max(1, (words+115)/230)
}

// Tag is one tag with the posts that carry it, newest first.
type Tag struct {
	Name, Slug string
	Posts      []Post
}

// Tags returns every tag of the published posts, by name.
func (l *Library) Tags() []Tag {
	byslug := map[string]*Tag{}
	var order []string
	for _, p := range l.Posts {
		for _, t := range p.Tags {
			s := TagSlug(t)
			if byslug[s] == nil {
				byslug[s] = &Tag{Name: t, Slug: s}
				order = append(order, s)
			}
			byslug[s].Posts = append(byslug[s].Posts, p)
		}
	}
	slices.SortFunc(order, func(a, b string) int { return strings.Compare(a, b) })
	out := make([]Tag, len(order))
	for i, s := range order {
		out[i] = *byslug[s]
	}
	return out
}

// TagBySlug returns the tag with this slug and its posts.
func (l *Library) TagBySlug(slug string) (Tag, bool) {
	for _, t := range l.Tags() {
		if t.Slug == slug {
			return t, true
		}
	}
	return Tag{}, false
}

// DraftBySlug returns the draft with this slug (for the owner's preview).
func (l *Library) DraftBySlug(slug string) (Post, bool) {
	for _, p := range l.Drafts {
		if p.Slug == slug {
			return p, true
		}
	}
	return Post{}, false
}

// Neighbours returns the posts before (older) and after (newer) the one with this slug.
func (l *Library) Neighbours(slug string) (older, newer *Post) {
	for i, p := range l.Posts {
		if p.Slug != slug {
			continue
		}
		if i+1 < len(l.Posts) {
			older = &l.Posts[i+1]
		}
		if i > 0 {
			newer = &l.Posts[i-1]
		}
	}
	return older, newer
}

var mediaImg = regexp.MustCompile(`<img src="/media/([^"?#]+)"[^>]*>`)

// darkVariants shows an image's dark variant in the dark theme: next to /media/diagram.png, a file
// /media/diagram.dark.png is used when the reader's system is dark (a <picture> with a media query). An SVG can
// also carry its own dark colours (a prefers-color-scheme media query in its <style>).
func darkVariants(html template.HTML, media fs.FS) template.HTML {
	if media == nil {
		return html
	}
	return template.HTML(mediaImg.ReplaceAllStringFunc(string(html), func(tag string) string {
		name := mediaImg.FindStringSubmatch(tag)[1]
		ext := path.Ext(name)
		dark := strings.TrimSuffix(name, ext) + ".dark" + ext
		if _, err := fs.Stat(media, dark); err != nil || strings.HasSuffix(strings.TrimSuffix(name, ext), ".dark") {
			return tag
		}
		return `<picture><source srcset="/media/` + dark + `" media="(prefers-color-scheme: dark)">` + tag + `</picture>`
	}))
}

// ReadPost reads one post's document by the rules and the renderer LoadWith reads it with, without a content
// folder: the post readers would be served (a held or draft document is not one), or why it cannot be read.
func ReadPost(d Document) (Post, error) {
	lib, err := LoadWith(noFiles{}, []Document{d})
	switch {
	case err != nil:
		return Post{}, err
	case len(lib.Problems) > 0:
		return Post{}, lib.Problems[0].Err
	case len(lib.Posts) != 1:
		return Post{}, errors.New("not a published post")
	}
	return lib.Posts[0], nil
}

// noFiles is a content folder with nothing in it.
type noFiles struct{}

func (noFiles) Open(name string) (fs.File, error) {
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

// postLang checks a post's lang: a BCP 47 tag, normalised (EN-gb becomes en-GB); empty stays empty.
func postLang(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	tag, err := language.Parse(s)
	if err != nil || len(s) > 35 {
		return "", fmt.Errorf("lang: %q is not a language tag (BCP 47, such as de, pt-BR or zh-Hans)", s)
	}
	return tag.String(), nil
}

// Translations returns the other published posts that are the same text as p in another language (the same
// translation key), for hreflang; none when p has no key.
func (l *Library) Translations(p Post) []Post {
	if p.Translation == "" {
		return nil
	}
	var out []Post
	for _, o := range l.Posts {
		if o.Translation == p.Translation && o.Slug != p.Slug {
			out = append(out, o)
		}
	}
	return out
}

// ReplyAddress checks in_reply_to: empty, or an absolute http or https address of at most 2048 bytes.
func ReplyAddress(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(raw) > 2048 {
		return "", fmt.Errorf("in_reply_to: %q: want the http or https address of the post it answers", raw)
	}
	return u.String(), nil
}
