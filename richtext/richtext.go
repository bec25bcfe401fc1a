// Package richtext turns a comment's text into the HTML readers see: a small Markdown subset (paragraphs and
// line breaks, emphasis, inline code and code blocks, quotes, lists, links and bare URLs) rendered by goldmark,
// then sanitised by bluemonday with a policy that allows exactly those elements. Headings, images, tables and raw
// HTML are not parsed as such: they come out as the text that was typed. Comments written before Markdown
// (format "text") are shown as plain text, as they always were.
package richtext

import (
	"bytes"
	"html"
	"html/template"
	neturl "net/url"
	"regexp"
	"strings"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	ghtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/util"
)

// LinkRel is the rel attribute of every link in a comment: user-generated, not endorsed, no window access.
const LinkRel = "ugc nofollow noopener"

var markdown = goldmark.New(
	goldmark.WithParser(parser.NewParser(
		// No headings, thematic breaks or HTML blocks: such lines stay paragraphs of text.
		parser.WithBlockParsers(
			util.Prioritized(parser.NewListParser(), 300),
			util.Prioritized(parser.NewListItemParser(), 400),
			util.Prioritized(parser.NewCodeBlockParser(), 500),
			util.Prioritized(parser.NewFencedCodeBlockParser(), 700),
			util.Prioritized(parser.NewBlockquoteParser(), 800),
			util.Prioritized(parser.NewParagraphParser(), 1000),
		),
		// No raw HTML: tags are text.
		parser.WithInlineParsers(
			util.Prioritized(parser.NewCodeSpanParser(), 100),
			util.Prioritized(parser.NewLinkParser(), 200),
			util.Prioritized(parser.NewAutoLinkParser(), 300),
			util.Prioritized(parser.NewEmphasisParser(), 500),
		),
		parser.WithParagraphTransformers(parser.DefaultParagraphTransformers()...),
	)),
	goldmark.WithExtensions(extension.Linkify),
	goldmark.WithRendererOptions(ghtml.WithHardWraps(), ghtml.WithXHTML()),
	goldmark.WithRendererOptions(renderer.WithNodeRenderers(util.Prioritized(&subset{}, 100))),
)

// subset renders links with LinkRel and images as the text of their description.
type subset struct{}

func (r *subset) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindImage, r.image)
	reg.Register(ast.KindLink, r.link)
	reg.Register(ast.KindAutoLink, r.autoLink)
}

func (r *subset) image(w util.BufWriter, source []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
	if entering {
		w.WriteString(html.EscapeString(string(n.(*ast.Image).Text(source)))) //nolint:staticcheck // the alt text, as text
	}
	return ast.WalkSkipChildren, nil
}

func (r *subset) link(w util.BufWriter, source []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
	l := n.(*ast.Link)
	if !followable(string(l.Destination)) {
		return ast.WalkContinue, nil // the link's text, without a link
	}
	if entering {
		w.WriteString(`<a href="` + html.EscapeString(string(l.Destination)) + `" rel="` + LinkRel + `">`)
	} else {
		w.WriteString("</a>")
	}
	return ast.WalkContinue, nil
}

func (r *subset) autoLink(w util.BufWriter, source []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	l := n.(*ast.AutoLink)
	url := string(l.URL(source))
	label := string(l.Label(source))
	if l.AutoLinkType == ast.AutoLinkEmail && !strings.HasPrefix(strings.ToLower(url), "mailto:") {
		url = "mailto:" + url
	} else if strings.HasPrefix(strings.ToLower(url), "www.") {
		url = "https://" + url
	}
	if !followable(url) {
		w.WriteString(html.EscapeString(label))
		return ast.WalkContinue, nil
	}
	w.WriteString(`<a href="` + html.EscapeString(url) + `" rel="` + LinkRel + `">` + html.EscapeString(label) + `</a>`)
	return ast.WalkContinue, nil
}

// followable reports a link destination readers may follow: a web address with a host, or a mail address.
func followable(dest string) bool {
	u, err := neturl.Parse(dest)
	if err != nil {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		return u.Host != "" && !strings.ContainsAny(u.Host, "<>\"'")
	case "mailto":
		return strings.Contains(u.Opaque, "@")
	}
	return false
}

// policy allows the subset and nothing else: no attributes but a link's href (http, https, mailto) and its rel.
var policy = func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li")
	p.AllowAttrs("start").Matching(regexp.MustCompile(`^[0-9]{1,6}$`)).OnElements("ol")
	p.AllowAttrs("href").OnElements("a")
	p.AllowAttrs("rel").Matching(regexp.MustCompile(`^` + LinkRel + `$`)).OnElements("a")
	p.AllowURLSchemes("http", "https", "mailto")
	p.RequireParseableURLs(true)
	return p
}()

// rendered keeps the HTML of the texts rendered last. A new comment's text is rendered four times within
// moments (the spam rules' link count, the answer to its author, the live message, the post's kept list), and
// Markdown plus sanitising is most of that cost; the HTML depends on the text alone.
var rendered = func() *lru.Cache[string, template.HTML] {
	c, err := lru.New[string, template.HTML](renderedKept)
	if err != nil {
		panic(err)
	}
	return c
}()

// renderedKept bounds the texts kept (each at most MaxBody and its HTML: a few MB at worst).
const renderedKept = 256

// Render returns the safe HTML of a comment's text in its format ("markdown", or "text" for plain text).
func Render(body, format string) template.HTML {
	if format != "markdown" {
		// Its line breaks are kept by the page's style (white-space: pre-line), as they always were.
		return template.HTML("<p>" + html.EscapeString(body) + "</p>")
	}
	if h, ok := rendered.Get(body); ok {
		return h
	}
	var buf bytes.Buffer
	if err := markdown.Convert([]byte(body), &buf); err != nil {
		return template.HTML("<p>" + html.EscapeString(body) + "</p>")
	}
	h := template.HTML(policy.SanitizeBytes(buf.Bytes()))
	rendered.Add(body, h)
	return h
}

// Links counts the links the rendered text contains (for the spam rules, which count what readers could follow).
func Links(body, format string) int {
	return strings.Count(string(Render(body, format)), "<a ")
}
