// Package highlight colours the fenced code blocks of Markdown on the server: a goldmark extension that tokenises
// each block with chroma and writes chroma's CSS classes (never inline styles, so the Content-Security-Policy stays
// strict; assets/css/chroma.css colours the classes in both themes).
//
// Authors name the language after the fence and may add, in braces, the attributes goldmark-highlighting read:
//
//	```go {linenos=true}            line numbers (table: in a column of their own; inline, false)
//	```go {hl_lines=[2,"4-5"]}      highlighted lines, counted from the block's first line
//	```go {linenostart=10}          the first line's number
//	```go {nohl=true}               no colours
//
// A block in a language the blog does not know, or without a language, is written as plain escaped code.
package highlight

import (
	"bytes"
	"crypto/sha256"
	"strconv"
	"strings"
	"sync"

	"github.com/alecthomas/chroma/v2"
	chromahtml "github.com/alecthomas/chroma/v2/formatters/html"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Extension is the goldmark extension that highlights fenced code blocks.
type Extension struct {
	languages *Languages
	blocks    *blockCache
}

// New returns the extension, with the languages of Languages (each read the first time a block needs it).
func New() *Extension {
	return &Extension{languages: NewLanguages(), blocks: &blockCache{}}
}

// blockCache keeps highlighted blocks by their fence's info string and code: the desk's preview renders a whole
// post at every pause in typing, and a reload of the content renders every post again, while most blocks are
// unchanged (highlighting is most of a render's time). Bounded in blocks and bytes; past either it starts over.
type blockCache struct {
	mu    sync.Mutex
	m     map[[32]byte][]byte
	bytes int
}

const (
	maxCachedBlocks     = 2048
	maxCachedBlockBytes = 16 << 20
)

func (c *blockCache) get(k [32]byte) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.m[k]
	return b, ok
}

func (c *blockCache) put(k [32]byte, b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedBlocks || c.bytes+len(b) > maxCachedBlockBytes {
		c.m, c.bytes = map[[32]byte][]byte{}, 0
	}
	if len(b) <= maxCachedBlockBytes/4 {
		c.m[k] = b
		c.bytes += len(b)
	}
}

// Extend implements goldmark.Extender: fenced code blocks are rendered by the highlighter instead of goldmark's
// own renderer (a lower number is a higher priority; goldmark's is 1000).
func (e *Extension) Extend(m goldmark.Markdown) {
	m.Renderer().AddOptions(renderer.WithNodeRenderers(util.Prioritized(&codeRenderer{
		Config:    html.NewConfig(),
		languages: e.languages,
		blocks:    e.blocks,
	}, 200)))
}

// classesOnly is the style handed to chroma's formatter, which needs one. With CSS classes it decides nothing in
// the output; assets/css/chroma.css, made from chroma's github styles, holds the colours.
var classesOnly = chroma.MustNewStyle("classes", chroma.StyleEntries{})

// codeRenderer renders fenced code blocks. It embeds goldmark's HTML settings (which the renderer sets through
// SetOption) so that the plain fallback escapes text exactly as goldmark does.
type codeRenderer struct {
	html.Config
	languages *Languages
	blocks    *blockCache
}

// RegisterFuncs implements renderer.NodeRenderer.
func (r *codeRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindFencedCodeBlock, r.renderFencedCodeBlock)
}

func (r *codeRenderer) renderFencedCodeBlock(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.FencedCodeBlock)
	language := n.Language(source)
	var info []byte
	if n.Info != nil {
		info = n.Info.Segment.Value(source)
	}
	options, highlight := formatOptions(infoAttributes(info))
	var lexer chroma.Lexer
	if highlight && language != nil {
		lexer = r.languages.Lexer(string(language))
	}
	if lexer != nil {
		var code bytes.Buffer
		for i := range n.Lines().Len() {
			line := n.Lines().At(i)
			code.Write(line.Value(source))
		}
		h := sha256.New()
		h.Write(info)
		h.Write([]byte{0})
		h.Write(language)
		h.Write([]byte{0})
		h.Write(code.Bytes())
		var key [32]byte
		h.Sum(key[:0])
		if out, ok := r.blocks.get(key); ok {
			_, _ = w.Write(out)
			return ast.WalkContinue, nil
		}
		if tokens, err := chroma.Coalesce(lexer).Tokenise(nil, code.String()); err == nil {
			var out bytes.Buffer
			if err := chromahtml.New(options...).Format(&out, classesOnly, tokens); err == nil {
				r.blocks.put(key, out.Bytes())
				// Errors from a BufWriter surface when goldmark flushes it.
				_, _ = w.Write(out.Bytes())
				return ast.WalkContinue, nil
			}
		}
	}
	_, _ = w.WriteString("<pre><code")
	if language != nil {
		_, _ = w.WriteString(` class="language-`)
		r.Writer.Write(w, language)
		_ = w.WriteByte('"')
	}
	_ = w.WriteByte('>')
	for i := range n.Lines().Len() {
		line := n.Lines().At(i)
		r.Writer.RawWrite(w, line.Value(source))
	}
	_, _ = w.WriteString("</code></pre>\n")
	return ast.WalkContinue, nil
}

// infoAttributes reads the attribute block of a fence's info string (```go {linenos=true}). As with
// goldmark-highlighting, the block must follow a language: one at the start of the info string is not read.
func infoAttributes(info []byte) parser.Attributes {
	at := bytes.IndexByte(info, '{')
	if at <= 0 {
		return nil
	}
	attrs, ok := parser.ParseAttributes(text.NewReader(info[at:]))
	if !ok {
		return nil
	}
	return attrs
}

// formatOptions turns a block's attributes into chroma's formatter options, and says whether to highlight the
// block at all (nohl). Values of the wrong type are ignored, as goldmark-highlighting ignored them; hl_style is
// accepted and changes nothing, the colours being the page's.
func formatOptions(attrs parser.Attributes) (options []chromahtml.Option, highlight bool) {
	options = []chromahtml.Option{chromahtml.WithClasses(true)}
	firstLine := 1
	if v, ok := attribute(attrs, "linenostart"); ok {
		if start, ok := v.(float64); ok {
			firstLine = int(start)
			options = append(options, chromahtml.BaseLineNumber(firstLine))
		}
	}
	if v, ok := attribute(attrs, "hl_lines"); ok {
		if lines, ok := v.([]any); ok {
			options = append(options, chromahtml.HighlightLines(lineRanges(lines, firstLine)))
		}
	}
	if _, ok := attribute(attrs, "nohl"); ok {
		return options, false
	}
	if v, ok := attribute(attrs, "linenos"); ok {
		switch v := v.(type) {
		case bool:
			options = append(options, chromahtml.WithLineNumbers(v))
		case []byte:
			if v != nil {
				options = append(options, chromahtml.WithLineNumbers(true))
			}
			switch string(v) {
			case "table":
				options = append(options, chromahtml.LineNumbersInTable(true))
			case "inline":
				options = append(options, chromahtml.LineNumbersInTable(false))
			}
		}
	}
	return options, true
}

// attribute returns the value of the named attribute; when it is written twice, the last one counts.
func attribute(attrs parser.Attributes, name string) (any, bool) {
	for i := len(attrs) - 1; i >= 0; i-- {
		if string(attrs[i].Name) == name {
			return attrs[i].Value, true
		}
	}
	return nil, false
}

// lineRanges reads hl_lines: numbers (2) and ranges ("4-5"), counted from the block's first line whatever number
// linenostart gives it.
func lineRanges(lines []any, firstLine int) [][2]int {
	var ranges [][2]int
	for _, l := range lines {
		switch l := l.(type) {
		case float64:
			ranges = append(ranges, [2]int{int(l) + firstLine - 1, int(l) + firstLine - 1})
		case []byte:
			bounds := strings.Split(string(l), "-")
			lo, err := strconv.Atoi(bounds[0])
			if err != nil {
				continue
			}
			hi := lo
			if len(bounds) > 1 {
				if hi, err = strconv.Atoi(bounds[1]); err != nil {
					continue
				}
			}
			ranges = append(ranges, [2]int{lo + firstLine - 1, hi + firstLine - 1})
		}
	}
	return ranges
}
