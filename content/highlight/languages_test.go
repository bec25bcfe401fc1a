package highlight

import (
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/alecthomas/chroma/v2"
	"github.com/alecthomas/chroma/v2/lexers"
)

// TestEveryDefinitionBuilds builds every language's lexer and tokenises with it, so a definition copied badly (or
// a Go lexer that no longer compiles its rules) fails here rather than on the page of the post that uses it.
func TestEveryDefinitionBuilds(t *testing.T) {
	languages := NewLanguages()
	for _, lexer := range languages.registry.Lexers {
		name := lexer.Config().Name
		it, err := lexer.Tokenise(nil, "x = 1\n")
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got := chroma.Stringify(it.Tokens()...); got != "x = 1\n" {
			t.Errorf("%s: tokens give back %q", name, got)
		}
	}
}

// TestDefinitionsFindTheLexersTheyUse checks that every lexer a definition hands text to ("using" CSS inside HTML,
// Bash inside a Dockerfile) is in the registry: chroma panics on one it cannot find.
func TestDefinitionsFindTheLexersTheyUse(t *testing.T) {
	languages := NewLanguages()
	using := regexp.MustCompile(`<using lexer="([^"]+)"`)
	for _, d := range xmlLexers {
		src, err := fs.ReadFile(definitions, "lexers/"+d.file)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range using.FindAllSubmatch(src, -1) {
			if languages.Lexer(string(m[1])) == nil {
				t.Errorf("%s uses %q, which is not in lexers/", d.file, m[1])
			}
		}
	}
}

// TestIndexMatchesDefinitions proves index.go fresh: it lists every file in lexers/, in order, with the header
// chroma reads from it. After adding or replacing a definition, run go generate ./content/highlight.
func TestIndexMatchesDefinitions(t *testing.T) {
	files, err := fs.Glob(definitions, "lexers/*.xml")
	if err != nil {
		t.Fatal(err)
	}
	var indexed []string
	for _, d := range xmlLexers {
		indexed = append(indexed, "lexers/"+d.file)
	}
	if !slices.Equal(files, indexed) {
		t.Fatalf("index.go lists %v\nlexers/ holds %v\nrun go generate ./content/highlight", indexed, files)
	}
	for _, d := range xmlLexers {
		lexer, err := chroma.NewXMLLexer(definitions, "lexers/"+d.file)
		if err != nil {
			t.Errorf("%s: %v", d.file, err)
			continue
		}
		want, got := lexer.Config(), d.config
		if got.Name != want.Name || !slices.Equal(got.Aliases, want.Aliases) || !slices.Equal(got.Filenames, want.Filenames) ||
			!slices.Equal(got.AliasFilenames, want.AliasFilenames) || got.Priority != want.Priority {
			t.Errorf("%s: index.go has %+v, the definition says %+v; run go generate ./content/highlight", d.file, got, *want)
		}
	}
}

// TestLookupMatchesChroma looks up every way a fence can name a language of ours (name, aliases, in other letter
// cases, file extensions and file names) and expects the lexer chroma's full registry picks, the one
// goldmark-highlighting used.
func TestLookupMatchesChroma(t *testing.T) {
	languages := NewLanguages()
	for _, lexer := range languages.registry.Lexers {
		for _, name := range spellings(lexer.Config()) {
			want := lexers.Get(name)
			got := languages.Lexer(name)
			switch {
			case want == nil && got == nil:
			case want == nil || got == nil:
				t.Errorf("%q: chroma finds %v, we find %v", name, lexerName(want), lexerName(got))
			case got.Config().Name != want.Config().Name:
				if languages.Lexer(want.Config().Name) != nil {
					t.Errorf("%q: chroma finds %s, we find %s", name, want.Config().Name, got.Config().Name)
				} else {
					// Chroma prefers a language we left out; ours is the best of those we have.
					t.Logf("%q: chroma finds %s (not in lexers/), we find %s", name, want.Config().Name, got.Config().Name)
				}
			}
		}
	}
	for _, unknown := range []string{"klingon", "", "{linenos=true}", "../go", "go{linenos=true}"} {
		if got := languages.Lexer(unknown); got != nil {
			t.Errorf("%q: found %s, want none", unknown, got.Config().Name)
		}
	}
}

// spellings are the names a fence may give a language: its name and aliases as written, lower- and upper-case,
// and the extensions and file names its file patterns match.
func spellings(c *chroma.Config) []string {
	names := append([]string{c.Name}, c.Aliases...)
	for _, n := range names[:len(names):len(names)] {
		names = append(names, strings.ToLower(n), strings.ToUpper(n))
	}
	for _, glob := range slices.Concat(c.Filenames, c.AliasFilenames) {
		if ext, ok := strings.CutPrefix(glob, "*."); ok && !strings.ContainsAny(ext, "*?[") {
			names = append(names, ext)
		} else if !strings.ContainsAny(glob, "*?[") {
			names = append(names, glob)
		}
	}
	return names
}

func lexerName(l chroma.Lexer) string {
	if l == nil {
		return "none"
	}
	return l.Config().Name
}

// TestTokensMatchChroma tokenises the sample of every language in ../testdata/highlight/languages.md with our
// lexer and with chroma's, and expects the same tokens: the copied definitions, the lexers written in Go, and the
// lexers they hand text to (CSS and JavaScript inside HTML, Go and CSS inside templ, Go inside Markdown) all behave
// as chroma's own.
func TestTokensMatchChroma(t *testing.T) {
	languages := NewLanguages()
	samples := fencedBlocks(t, "../testdata/highlight/languages.md")
	if len(samples) < 50 {
		t.Fatalf("only %d samples", len(samples))
	}
	covered := map[string]bool{}
	for _, s := range samples {
		ours, theirs := languages.Lexer(s.language), lexers.Get(s.language)
		if ours == nil || theirs == nil {
			t.Errorf("%s: ours %v, chroma's %v", s.language, lexerName(ours), lexerName(theirs))
			continue
		}
		covered[ours.Config().Name] = true
		if got, want := tokens(t, ours, s.code), tokens(t, theirs, s.code); !slices.Equal(got, want) {
			t.Errorf("%s: tokens differ\nours:    %v\nchroma's: %v", s.language, got, want)
		}
	}
	for _, lexer := range languages.registry.Lexers {
		if name := lexer.Config().Name; !covered[name] {
			t.Logf("no sample of %s in languages.md", name)
		}
	}
}

func tokens(t *testing.T, lexer chroma.Lexer, code string) []chroma.Token {
	t.Helper()
	it, err := chroma.Coalesce(lexer).Tokenise(nil, code)
	if err != nil {
		t.Fatalf("%s: %v", lexer.Config().Name, err)
	}
	return it.Tokens()
}

type sample struct{ language, code string }

// fencedBlocks reads the fenced blocks of a Markdown file (``` or ~~~ fences, not nested in anything).
func fencedBlocks(t *testing.T, name string) []sample {
	t.Helper()
	src, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var out []sample
	var fence string
	var cur *sample
	for line := range strings.Lines(string(src)) {
		trimmed := strings.TrimRight(line, "\n")
		switch {
		case cur == nil && (strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~")):
			fence = trimmed[:3]
			cur = &sample{language: strings.Fields(trimmed[3:] + " -")[0]}
		case cur != nil && trimmed == fence:
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.code += line
		}
	}
	return out
}

// TestLexersAreBuiltWhenFirstUsed checks the point of the registry: nothing is built until a block needs it, and
// a block builds its own language and the ones it hands text to, no more.
func TestLexersAreBuiltWhenFirstUsed(t *testing.T) {
	languages := NewLanguages()
	if got := builtLexers(languages); len(got) != 0 {
		t.Fatalf("built before use: %v", got)
	}
	if _, err := languages.Lexer("golang").Tokenise(nil, "package main\n"); err != nil {
		t.Fatal(err)
	}
	if got, want := builtLexers(languages), []string{"Go"}; !slices.Equal(got, want) {
		t.Fatalf("after a Go block: built %v, want %v", got, want)
	}
	it, err := languages.Lexer("html").Tokenise(nil, "<style>a{}</style>\n")
	if err != nil {
		t.Fatal(err)
	}
	it.Tokens()
	if got, want := builtLexers(languages), []string{"CSS", "Go", "HTML"}; !slices.Equal(got, want) {
		t.Fatalf("after an HTML block with a style: built %v, want %v", got, want)
	}
}

func builtLexers(l *Languages) []string {
	var names []string
	for _, lexer := range l.registry.Lexers {
		if lazy := lexer.(*lazyLexer); lazy.lexer != nil {
			names = append(names, lazy.config.Name)
		}
	}
	slices.Sort(names)
	return names
}

// TestDefinitionsCarryTheirLicence keeps chroma's MIT notice beside the copied definitions.
func TestDefinitionsCarryTheirLicence(t *testing.T) {
	notice, err := os.ReadFile(path.Join("lexers", "COPYING"))
	if err != nil || !strings.Contains(string(notice), "Copyright (C) 2017 Alec Thomas") {
		t.Fatalf("lexers/COPYING is missing or not chroma's licence: %v", err)
	}
}

// TestBundleMatchesLexers proves lexers.zip fresh: it holds exactly the definitions in lexers/, byte for byte.
// After adding or replacing a definition, run go generate ./content/highlight.
func TestBundleMatchesLexers(t *testing.T) {
	onDisk, err := fs.Glob(os.DirFS("."), "lexers/*.xml")
	if err != nil {
		t.Fatal(err)
	}
	bundled, err := fs.Glob(definitions, "lexers/*")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(onDisk, bundled) {
		t.Fatalf("lexers.zip holds %v\nlexers/ holds %v\nrun go generate ./content/highlight", bundled, onDisk)
	}
	for _, file := range onDisk {
		want, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		got, err := fs.ReadFile(definitions, file)
		if err != nil || string(got) != string(want) {
			t.Errorf("%s in lexers.zip differs from lexers/ (%v): run go generate ./content/highlight", file, err)
		}
	}
}
