package search

import (
	"html/template"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"

	"blog/database"
)

// Piece is a run of an excerpt's text, marked when it is what matched the search. Pieces are plain text: the
// page escapes them like any other text and draws the marked ones inside <mark>, so nothing a commenter wrote
// ever becomes markup.
type Piece struct {
	Text string
	Mark bool
}

// maxExcerpt bounds an excerpt, in characters, whatever the database returned.
const maxExcerpt = 400

// Pieces cuts text marked by the database (database.MarkStart and MarkEnd around the matched words) into pieces,
// with runs of white space made one space and the whole cut to maxExcerpt characters. A mark character that
// was in the text itself only moves the highlighting; it never leaves the excerpt as a character.
func Pieces(marked string) []Piece {
	var out []Piece
	var b strings.Builder
	mark, space, n := false, false, 0
	flush := func() {
		if b.Len() > 0 {
			out = append(out, Piece{Text: b.String(), Mark: mark})
			b.Reset()
		}
	}
	for _, r := range strings.TrimSpace(marked) {
		switch {
		case string(r) == database.MarkStart || string(r) == database.MarkEnd:
			if open := string(r) == database.MarkStart; open != mark {
				flush()
				mark = open
			}
			continue
		case r == utf8.RuneError || r < 0x20 && r != '\t' && r != '\n' && r != '\r':
			continue
		case r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\u00a0':
			space = true
			continue
		}
		if n >= maxExcerpt {
			b.WriteString("…")
			break
		}
		if space && (b.Len() > 0 || len(out) > 0) {
			if mark && b.Len() == 0 {
				// A space before a marked word belongs outside the mark.
				out = append(out, Piece{Text: " "})
			} else {
				b.WriteByte(' ')
			}
			n++
		}
		space = false
		b.WriteRune(r)
		n++
	}
	flush()
	return out
}

// PlainText returns the words of a post's rendered HTML as plain text, block by block, for the index.
func PlainText(h template.HTML) string {
	z := html.NewTokenizer(strings.NewReader(string(h)))
	var b strings.Builder
	for {
		switch z.Next() {
		case html.ErrorToken:
			return strings.TrimSpace(b.String())
		case html.TextToken:
			b.Write(z.Text())
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			// A block's edge (a paragraph's end, a line break, a cell) separates words; inline markup
			// (emphasis, links, the highlighter's spans) sits inside them.
			if name, _ := z.TagName(); !inline[string(name)] {
				b.WriteByte(' ')
			}
		}
	}
}

// inline are the elements that do not separate words.
var inline = map[string]bool{"a": true, "abbr": true, "b": true, "code": true, "em": true, "i": true, "kbd": true,
	"mark": true, "s": true, "small": true, "span": true, "strong": true, "sub": true, "sup": true, "del": true}

// The window Marked keeps around the first match: a few words before it, about thirty in all.
const (
	wordsBefore = 8
	wordsShown  = 32
)

// Marked marks, in a text the database did not mark (PostgreSQL's results), the words that stem to one of
// lexemes, and cuts it into pieces as Pieces does. With window set it keeps about thirty words around the first
// match (the start of the text when nothing matches), with "…" where it was cut.
func Marked(text string, lexemes []string, window bool) []Piece {
	type span struct {
		text        string
		word, match bool
	}
	var spans []span
	isWord := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) }
	for len(text) > 0 {
		r, _ := utf8.DecodeRuneInString(text)
		w := isWord(r)
		end := strings.IndexFunc(text, func(r rune) bool { return isWord(r) != w })
		if end < 0 {
			end = len(text)
		}
		s := span{text: text[:end], word: w}
		s.match = w && stemMatches(strings.ToLower(s.text), lexemes)
		spans = append(spans, s)
		text = text[end:]
	}
	from, to := 0, len(spans)
	if window {
		words, first := 0, -1
		var wordAt []int // span index of each word
		for i, s := range spans {
			if s.word {
				if s.match && first < 0 {
					first = words
				}
				wordAt = append(wordAt, i)
				words++
			}
		}
		start := max(0, first-wordsBefore)
		if first < 0 {
			start = 0
		}
		if start < len(wordAt) {
			from = wordAt[start]
		}
		if end := start + wordsShown; end < len(wordAt) {
			to = wordAt[end]
		}
	}
	var b strings.Builder
	if from > 0 {
		b.WriteString("…")
	}
	for _, s := range spans[from:to] {
		if s.match {
			b.WriteString(database.MarkStart + s.text + database.MarkEnd)
		} else {
			b.WriteString(s.text)
		}
	}
	if to < len(spans) {
		b.WriteString("…")
	}
	return Pieces(b.String())
}

// stemMatches reports whether word (in lower case) is one the database's stemmer would turn into one of
// lexemes: it starts with the stem and goes on by a few letters at most ("comments", "commenting" for
// "comment"), or, as the English stemmer writes a final y as i, starts with the stem but its i ("proxy" for
// "proxi"). It only decides what is highlighted: what matched was the database's decision.
func stemMatches(word string, lexemes []string) bool {
	for _, l := range lexemes {
		if l == "" {
			continue
		}
		if strings.HasPrefix(word, l) && len(word)-len(l) <= 4 {
			return true
		}
		if stem, ok := strings.CutSuffix(l, "i"); ok && stem != "" && strings.HasPrefix(word, stem+"y") && len(word)-len(l) <= 3 {
			return true
		}
	}
	return false
}
