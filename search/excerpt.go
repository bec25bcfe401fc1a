package search

import (
	"html/template"
	"strings"
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
