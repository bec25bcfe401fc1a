// Package richtext turns a comment's text into the HTML readers see: a small Markdown subset (paragraphs and
// line breaks, emphasis, inline code and code blocks, quotes, lists, links and bare URLs) rendered by goldmark,
// then sanitised by bluemonday with a policy that allows exactly those elements. Headings, images, tables and raw
// HTML are not parsed as such: they come out as the text that was typed. Comments written before Markdown
// (format "text") are shown as plain text, as they always were.
//
// What one comment can cost is bounded: quotes and lists nest at most MaxDepth deep (deeper markers are shown as
// the text typed, and are escaped before parsing, so a line of 5,000 ">" costs no more to parse than a line of
// text), and a comment whose HTML would pass MaxHTML is shown as its plain text. The HTML is made once, when a
// comment is written, and stored with it (see repo); Version tells stored renderings made by older rules.
package richtext

import (
	"bytes"
	"html"
	"html/template"
	neturl "net/url"
	"regexp"
	"strconv"
	"strings"

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
	reg.Register(ast.KindBlockquote, r.blockquote)
	reg.Register(ast.KindList, r.list)
	reg.Register(ast.KindListItem, r.listItem)
}

// depth is how many quotes and lists hold n, n included.
func depth(n ast.Node) int {
	d := 0
	for ; n != nil; n = n.Parent() {
		if n.Kind() == ast.KindBlockquote || n.Kind() == ast.KindList {
			d++
		}
	}
	return d
}

// blockquote, list and listItem render as goldmark does, down to MaxDepth. Deeper ones (nested by indentation,
// which the escaping before parsing cannot see) lose their elements: their markers are shown as text on lines of
// their own, so the comment's element depth stays bounded.
func (r *subset) blockquote(w util.BufWriter, source []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
	switch {
	case depth(n) > MaxDepth && entering:
		w.WriteString("<br/>&gt; ")
	case depth(n) > MaxDepth:
	case entering:
		w.WriteString("<blockquote>\n")
	default:
		w.WriteString("</blockquote>\n")
	}
	return ast.WalkContinue, nil
}

func (r *subset) list(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*ast.List)
	tag := "ul"
	if n.IsOrdered() {
		tag = "ol"
	}
	switch {
	case depth(n) > MaxDepth:
	case entering && n.IsOrdered() && n.Start != 1:
		w.WriteString("<ol start=\"" + strconv.Itoa(n.Start) + "\">\n")
	case entering:
		w.WriteString("<" + tag + ">\n")
	default:
		w.WriteString("</" + tag + ">\n")
	}
	return ast.WalkContinue, nil
}

func (r *subset) listItem(w util.BufWriter, source []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
	if depth(n) > MaxDepth {
		if entering {
			marker := "- "
			if l, ok := n.Parent().(*ast.List); ok && l.IsOrdered() {
				marker = strconv.Itoa(l.Start) + ". "
			}
			w.WriteString("<br/>" + marker)
		}
		return ast.WalkContinue, nil
	}
	if !entering {
		w.WriteString("</li>\n")
		return ast.WalkContinue, nil
	}
	w.WriteString("<li>")
	if _, tight := n.FirstChild().(*ast.TextBlock); n.FirstChild() != nil && !tight {
		w.WriteByte('\n')
	}
	return ast.WalkContinue, nil
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

// MaxDepth is how deeply quotes and lists may nest in a comment: enough for any conversation quoting a
// conversation, far below the thousands of levels one line of ">" would otherwise open.
const MaxDepth = 8

// MaxHTML bounds the rendered size of one comment. Markdown can make a 5,000-character text several times larger
// (each level of a quote opens and closes an element); past this the comment is shown as its plain text, which
// is at most six bytes a character.
const MaxHTML = 48 << 10

// Version names the rules Render follows. It changes whenever the same text would render differently, so that
// renderings stored with older rules are made again.
const Version = 3

// Render returns the safe HTML of a comment's text in its format ("markdown", or "text" for plain text).
func Render(body, format string) template.HTML {
	if format != "markdown" {
		// Its line breaks are kept by the page's style (white-space: pre-line), as they always were.
		return template.HTML("<p>" + html.EscapeString(body) + "</p>")
	}
	var buf bytes.Buffer
	if err := markdown.Convert(limitNesting([]byte(body)), &buf); err != nil || buf.Len() > MaxHTML {
		return plain(body) // too large already: not worth sanitising
	}
	h := policy.SanitizeBytes(buf.Bytes())
	if len(h) > MaxHTML {
		return plain(body)
	}
	// A code block that scrolls sideways must be reachable by keyboard to be scrolled. The sanitised HTML has no
	// attributes on <pre> and no other "<pre>" (text is escaped), so this names exactly the code blocks.
	return template.HTML(bytes.ReplaceAll(h, []byte("<pre>"), []byte(`<pre tabindex="0">`)))
}

// plain is a Markdown comment shown as the text typed: escaped, its line breaks kept.
func plain(body string) template.HTML {
	return template.HTML("<p>" + strings.ReplaceAll(html.EscapeString(body), "\n", "<br/>\n") + "</p>")
}

// limitNesting escapes, on every line, the container markers (">", "-", "*", "+", "1." or "1)") past the
// MaxDepth-th at the line's start, so that they read as text. Parsing a line costs goldmark time in proportion to
// the blocks it opens; without this a 5,000-character line of ">" took 25 ms and rendered 135 KB. A fenced code
// line that starts with that many markers gets a backslash too: rare enough to prefer the simple rule.
func limitNesting(src []byte) []byte {
	var out []byte
	last := 0
	for start := 0; start < len(src); {
		end := bytes.IndexByte(src[start:], '\n')
		if end < 0 {
			end = len(src)
		} else {
			end += start
		}
		if at := pastDepth(src[start:end]); at >= 0 {
			out = append(out, src[last:start+at]...)
			out = append(out, '\\')
			last = start + at
		}
		start = end + 1
	}
	if out == nil {
		return src
	}
	return append(out, src[last:]...)
}

// pastDepth returns where, in one line, the first container marker past MaxDepth starts (for "12." its dot), or
// -1. Markers may be preceded by up to three spaces each; four start indented code and end the markers.
func pastDepth(line []byte) int {
	i, d := 0, 0
	for {
		sp := 0
		for i < len(line) && line[i] == ' ' && sp < 4 {
			i++
			sp++
		}
		if sp == 4 || i >= len(line) {
			return -1
		}
		n, at := marker(line[i:])
		if n == 0 {
			return -1
		}
		if d++; d > MaxDepth {
			return i + at
		}
		i += n
	}
}

// marker returns the length of the container marker line starts with (0: none) and where the character to
// escape is: ">" (followed by anything), or a bullet or number followed by a space, a tab or the line's end.
func marker(line []byte) (n, at int) {
	ends := func(i int) bool { return i == len(line) || line[i] == ' ' || line[i] == '\t' }
	switch c := line[0]; {
	case c == '>':
		return 1, 0
	case c == '-' || c == '*' || c == '+':
		if ends(1) {
			return 1, 0
		}
	case c >= '0' && c <= '9':
		j := 0
		for j < len(line) && j < 9 && line[j] >= '0' && line[j] <= '9' {
			j++
		}
		if j < len(line) && (line[j] == '.' || line[j] == ')') && ends(j+1) {
			return j + 1, j
		}
	}
	return 0, 0
}
