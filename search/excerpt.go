package search

import (
	"html/template"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"

	"blog/database/fulltext"
)

// Piece is a run of an excerpt's text, marked when it is what matched the search. Pieces are plain text: the
// page escapes them like any other text and draws the marked ones inside <mark>, so nothing a commenter wrote
// ever becomes markup.
type Piece struct {
	Text string
	Mark bool
}

// markStart and markEnd are fulltext.MarkStart and MarkEnd as characters.
var (
	markStart, _ = utf8.DecodeRuneInString(fulltext.MarkStart)
	markEnd, _   = utf8.DecodeRuneInString(fulltext.MarkEnd)
)

// maxExcerpt bounds an excerpt, in characters, whatever the database returned.
const maxExcerpt = 400

// Pieces cuts text marked by the database (fulltext.MarkStart and MarkEnd around the matched words) into pieces,
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
		case r == markStart || r == markEnd:
			if open := r == markStart; open != mark {
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
// match (from the first word when nothing matches), with "…" where it was cut.
//
// It reads the text as it goes and keeps nothing of the words it passes: a post's whole text comes with each
// hit, and cutting all of it into words first was a third of a search's CPU (10 posts and 20 comments a page).
func Marked(text string, lexemes []string, window bool) []Piece {
	from, to := 0, len(text)
	if window {
		// starts holds where the last wordsBefore+1 words began, so that the window can open wordsBefore words
		// before the first match once it is found.
		var starts [wordsBefore + 1]int
		words, first, firstWord := 0, -1, 0
		for off := 0; off < len(text); {
			word, end := nextRun(text, off)
			if word {
				if words == 0 {
					firstWord = off
				}
				starts[words%len(starts)] = off
				if stemMatches(text[off:end], lexemes) {
					first = words
					break
				}
				words++
			}
			off = end
		}
		open := 0
		switch {
		case first >= 0:
			open = max(0, first-wordsBefore)
			from = starts[open%len(starts)]
		case words > 0:
			from = firstWord
		}
		for off, n := from, open; off < len(text); {
			word, end := nextRun(text, off)
			if word {
				if n == open+wordsShown {
					to = off
					break
				}
				n++
			}
			off = end
		}
	}
	var b strings.Builder
	if from > 0 {
		b.WriteString("…")
	}
	for off := from; off < to; {
		word, end := nextRun(text[:to], off)
		if word && stemMatches(text[off:end], lexemes) {
			b.WriteString(fulltext.MarkStart + text[off:end] + fulltext.MarkEnd)
		} else {
			b.WriteString(text[off:end])
		}
		off = end
	}
	if to < len(text) {
		b.WriteString("…")
	}
	return Pieces(b.String())
}

// nextRun returns where the run of word characters, or of other characters, that starts at off ends, and
// whether it is a word.
func nextRun(text string, off int) (word bool, end int) {
	r, size := utf8.DecodeRuneInString(text[off:])
	word = isWord(r)
	for end = off + size; end < len(text); end += size {
		if c := text[end]; c < utf8.RuneSelf { // most of a text: a byte and a table
			if size = 1; asciiWord[c] != word {
				break
			}
			continue
		}
		r, size = utf8.DecodeRuneInString(text[end:])
		if isWord(r) != word {
			break
		}
	}
	return word, end
}

// isWord reports whether r is part of a word: a letter, a digit, or a mark joined to them.
func isWord(r rune) bool {
	if r < utf8.RuneSelf {
		return asciiWord[r]
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

// asciiWord tells, for each ASCII character, whether it is part of a word.
var asciiWord = func() (t [utf8.RuneSelf]bool) {
	for c := range t {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
	}
	return t
}()

// stemMatches reports whether word (in lower case) is one the database's stemmer would turn into one of
// lexemes: it starts with the stem and goes on by a few letters at most ("comments", "commenting" for
// "comment"), or, as the English stemmer writes a final y as i, starts with the stem but its i ("proxy" for
// "proxi"). It only decides what is highlighted: what matched was the database's decision.
func stemMatches(word string, lexemes []string) bool {
	lower, ascii := "", isASCII(word)
	for _, l := range lexemes {
		// A word more than a few letters longer than the stem, or shorter than it, is not one of its forms
		// (lower case is about as long): most words are passed over without being looked at.
		if l == "" || len(word) < len(l)-1 || len(word) > len(l)+8 {
			continue
		}
		if ascii { // the common case, compared without making the word's lower case
			if hasLowerPrefix(word, l) && len(word)-len(l) <= 4 {
				return true
			}
			if stem, ok := strings.CutSuffix(l, "i"); ok && stem != "" && len(word) > len(stem) && hasLowerPrefix(word, stem) &&
				lowerByte(word[len(stem)]) == 'y' && len(word)-len(l) <= 3 {
				return true
			}
			continue
		}
		if lower == "" {
			lower = strings.ToLower(word)
		}
		if strings.HasPrefix(lower, l) && len(lower)-len(l) <= 4 {
			return true
		}
		if stem, ok := strings.CutSuffix(l, "i"); ok && stem != "" && strings.HasPrefix(lower, stem+"y") && len(lower)-len(l) <= 3 {
			return true
		}
	}
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// hasLowerPrefix reports whether the ASCII word, in lower case, starts with prefix.
func hasLowerPrefix(word, prefix string) bool {
	if len(word) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		if lowerByte(word[i]) != prefix[i] {
			return false
		}
	}
	return true
}

func lowerByte(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
