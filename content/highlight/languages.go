package highlight

import (
	"archive/zip"
	"bytes"
	_ "embed"
	"io/fs"
	"sync"

	"github.com/alecthomas/chroma/v2"
)

// definitions are chroma's lexer definitions for the languages a blog needs, copied unchanged from
// github.com/alecthomas/chroma/v2/lexers/embedded (MIT licence: lexers/COPYING). Importing chroma's lexers
// package instead would embed all 279 and read every one's header at start. The binary carries them deflated in
// lexers.zip (written by gen_index.go from lexers/*.xml; TestBundleMatchesLexers keeps the two equal): 88 KB
// instead of 415 KB, and a definition is inflated only when its language is first highlighted.
var definitions fs.FS = bundle()

//go:embed lexers.zip
var zipped []byte

func bundle() fs.FS {
	r, err := zip.NewReader(bytes.NewReader(zipped), int64(len(zipped)))
	if err != nil {
		panic("content/highlight: lexers.zip: " + err.Error()) // written by go generate; its test reads it
	}
	return r
}

//go:generate go run gen_index.go

// definition is one lexer the registry knows: the header fields it finds a language by, and how to build the lexer.
type definition struct {
	// file is the definition in lexers/; empty for a lexer written in Go (build says how to make it).
	file   string
	config chroma.Config
	build  func(registry *chroma.LexerRegistry) (chroma.Lexer, error)
}

// Languages finds the lexer for the language of a code block. Every language is listed from the start (index.go
// and golexers.go give their names), but a lexer is built, and its definition read, only the first time a block
// of its language is highlighted.
type Languages struct {
	registry *chroma.LexerRegistry
}

// NewLanguages lists the languages in lexers/ and those written in Go, in the order chroma registers them (the
// XML definitions by file name, then the Go ones), so a name two lexers claim resolves as it does in chroma.
func NewLanguages() *Languages {
	registry := chroma.NewLexerRegistry()
	for _, d := range append(xmlLexers[:len(xmlLexers):len(xmlLexers)], goLexers...) {
		build := d.build
		if build == nil {
			build = xmlLexer(d.file)
		}
		registry.Register(&lazyLexer{config: &d.config, build: build})
	}
	return &Languages{registry: registry}
}

// Lexer returns the lexer for a language as written after a fence: a name or alias in any letter case ("go",
// "Golang", "c++"), or a file extension or file name ("py", "Dockerfile"), looked up as chroma looks it up. It
// returns nil for a language the blog does not know.
func (l *Languages) Lexer(name string) chroma.Lexer {
	return l.registry.Get(name)
}

// xmlLexer builds the lexer of a definition in lexers/; chroma reads its rules the first time it tokenises.
func xmlLexer(file string) func(*chroma.LexerRegistry) (chroma.Lexer, error) {
	return func(registry *chroma.LexerRegistry) (chroma.Lexer, error) {
		lexer, err := chroma.NewXMLLexer(definitions, "lexers/"+file)
		if err != nil {
			return nil, err
		}
		return lexer.SetRegistry(registry), nil
	}
}

// lazyLexer stands in the registry for a language until a block needs it: it answers the registry's questions
// from the index and builds the real lexer on its first Tokenise. The registry is complete before any lexer is
// built and never changes afterwards, so lexers that call on others ("using" CSS inside HTML) find them there
// without locks.
type lazyLexer struct {
	config   *chroma.Config
	build    func(*chroma.LexerRegistry) (chroma.Lexer, error)
	registry *chroma.LexerRegistry

	once  sync.Once
	lexer chroma.Lexer
	err   error
}

// Config returns the fields the registry finds the language by (name, aliases, file names, priority).
func (l *lazyLexer) Config() *chroma.Config { return l.config }

// SetRegistry is called once, when the language is registered.
func (l *lazyLexer) SetRegistry(registry *chroma.LexerRegistry) chroma.Lexer {
	l.registry = registry
	return l
}

// SetAnalyser does nothing: the blog never guesses a block's language from its text.
func (l *lazyLexer) SetAnalyser(func(string) float32) chroma.Lexer { return l }

// AnalyseText scores nothing, for the same reason.
func (l *lazyLexer) AnalyseText(string) float32 { return 0 }

// Tokenise builds the lexer the first time and hands the text to it.
func (l *lazyLexer) Tokenise(options *chroma.TokeniseOptions, text string) (chroma.Iterator, error) {
	lexer, err := l.built()
	if err != nil {
		return nil, err
	}
	return lexer.Tokenise(options, text)
}

func (l *lazyLexer) built() (chroma.Lexer, error) {
	l.once.Do(func() { l.lexer, l.err = l.build(l.registry) })
	return l.lexer, l.err
}
