package search

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"blog/database/fulltext"
)

// The bounds on what a reader can ask: a search is short, has a few terms of ordinary length, and pages stop
// somewhere. Anything past them gets a plain answer instead of work.
const (
	// MaxQueryLength is the longest search, in characters.
	MaxQueryLength = 200
	// MaxTerms is how many words and phrases one search may hold.
	MaxTerms = 8
	// MaxWordsInPhrase is how many words one quoted phrase may hold.
	MaxWordsInPhrase = 8
	// MaxWordLength is the longest word, in characters.
	MaxWordLength = 48
	// MaxPage is the last page of results shown.
	MaxPage = 20
)

// Query is a search as read from what a reader typed: its terms, each a word or a phrase ("in quotes") of
// words made of letters and digits only. Everything else a reader may type (punctuation, operators of either
// database's query language, column names, wildcards) separates words and means nothing more.
type Query struct {
	Terms [][]string
}

// Text returns the database's form of the query.
func (q Query) Text() fulltext.TextQuery { return fulltext.TextQuery(q.Terms) }

// Problem is why a search was not run, in words for the reader; "" when it can be.
type Problem string

// Parse reads a search as typed. Phrases are in double quotes (an unclosed quote runs to the end); words
// elsewhere are separated by anything that is not a letter or a digit. It returns the query, or the reason
// there is nothing to search for (empty, too long, too many terms, a word too long, no letters or digits).
func Parse(raw string) (Query, Problem) {
	raw = strings.TrimSpace(raw)
	switch {
	case raw == "":
		return Query{}, "Type a word or two to search the posts and comments."
	case !utf8.ValidString(raw):
		return Query{}, "That search has characters this blog cannot read; try typing it again."
	case utf8.RuneCountInString(raw) > MaxQueryLength:
		return Query{}, Problem("That search is too long: keep it under " + itoa(MaxQueryLength) + " characters.")
	}
	var q Query
	quoted := false
	for i, part := range strings.Split(raw, `"`) {
		if i > 0 {
			quoted = !quoted
		}
		words := Words(part)
		if len(words) == 0 {
			continue
		}
		for _, w := range words {
			if utf8.RuneCountInString(w) > MaxWordLength {
				return Query{}, Problem("One of those words is longer than " + itoa(MaxWordLength) + " letters: try a shorter one.")
			}
		}
		if quoted {
			if len(words) > MaxWordsInPhrase {
				return Query{}, Problem("A phrase in quotes may hold up to " + itoa(MaxWordsInPhrase) + " words.")
			}
			q.Terms = append(q.Terms, words)
			continue
		}
		for _, w := range words {
			q.Terms = append(q.Terms, []string{w})
		}
	}
	switch {
	case len(q.Terms) == 0:
		return Query{}, "There is nothing to search for in that: use letters or numbers."
	case len(q.Terms) > MaxTerms:
		return Query{}, Problem("That search has too many words: use up to " + itoa(MaxTerms) + ".")
	}
	return q, ""
}

// Words cuts s into words: runs of letters, digits and the marks that combine with them, in lower case.
func Words(s string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Mn, r)
	}) {
		out = append(out, strings.ToLower(w))
	}
	return out
}
