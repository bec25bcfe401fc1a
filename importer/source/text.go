package source

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/JohannesKaufmann/html-to-markdown/v2/converter"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/base"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/commonmark"
	"golang.org/x/net/html"

	"blog/repo"
)

// BodyKind says how a source wrote a comment's text.
type BodyKind int

const (
	// Markdown text is kept as it is: the blog's subset renders it, and drops what it does not allow.
	Markdown BodyKind = iota
	// HTML is converted to Markdown (links, emphasis, quotes, lists and code survive; everything else becomes
	// its text). It is never rendered as HTML.
	HTML
	// WordPress text is HTML in which blank lines separate paragraphs and single newlines break lines, as
	// WordPress displays it.
	WordPress
	// Text is plain text: nothing in it is formatting.
	Text
)

// MaxImportedBody bounds an imported comment's text, in characters. Comments posted here are limited to
// repo.MaxBody; older systems allowed longer ones, which are kept whole up to this size and cut beyond it.
const MaxImportedBody = 4 * repo.MaxBody

// ToMarkdown returns the comment's text as the blog's Markdown, and whether it had to be cut.
func ToMarkdown(body string, kind BodyKind) (string, bool, error) {
	body = CleanText(body)
	var err error
	bounded := false
	switch kind {
	case WordPress:
		body, bounded = boundHTML(autoParagraphs(body))
		body, err = htmlToMarkdown(body)
	case HTML:
		body, bounded = boundHTML(body)
		body, err = htmlToMarkdown(body)
	case Text:
		body = escapeMarkdown(body)
	}
	if err != nil {
		return "", false, err
	}
	body = strings.TrimFunc(body, unicode.IsSpace)
	if utf8.RuneCountInString(body) <= MaxImportedBody {
		return body, bounded, nil
	}
	cut := []rune(body)[:MaxImportedBody-1]
	return string(cut) + "…", true, nil
}

// nesting are the elements whose depth multiplies the converter's work and output (every line of a quote
// nested ten deep starts with ten "> ").
var nesting = map[string]bool{"blockquote": true, "ul": true, "ol": true, "dl": true}

// boundHTML returns what of a comment's HTML the converter needs: no more than maxHTML bytes, text only until
// it holds more visible characters than the Markdown can keep (MaxImportedBody), and quotes and lists nested
// at most maxQuoteDepth deep (deeper ones keep their text, not their nesting). cut says something was left out.
func boundHTML(s string) (string, bool) {
	if len(s) <= MaxImportedBody && nestingTags(s) <= maxQuoteDepth {
		return s, false // nothing to bound: the common case, found without parsing
	}
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	var open []string
	dropped := map[string]int{}
	visible := 0
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return b.String(), false
		}
		raw := z.Raw()
		if tt == html.StartTagToken || tt == html.EndTagToken {
			name, _ := z.TagName()
			if n := string(name); nesting[n] && !nest(&open, dropped, n, tt == html.StartTagToken) {
				continue
			}
		}
		if room := maxHTML - b.Len(); len(raw) > room {
			if tt == html.TextToken {
				b.WriteString(strings.ToValidUTF8(string(raw[:room]), ""))
			}
			return b.String(), true
		}
		b.Write(raw)
		if tt == html.TextToken {
			// Text unescapes in place, over raw: it comes after raw is written.
			for _, r := range string(z.Text()) {
				if !unicode.IsSpace(r) {
					visible++
				}
			}
			if visible > MaxImportedBody {
				return b.String(), true
			}
		}
	}
}

// nest follows a quote or list opening (start) or closing; it reports whether the tag is kept, which it is not
// past maxQuoteDepth (nor the end tag of one that was not).
func nest(open *[]string, dropped map[string]int, name string, start bool) bool {
	if start {
		if len(*open) >= maxQuoteDepth {
			dropped[name]++
			return false
		}
		*open = append(*open, name)
		return true
	}
	if dropped[name] > 0 {
		dropped[name]--
		return false
	}
	if i := lastIndex(*open, name); i >= 0 {
		*open = (*open)[:i]
	}
	return true
}

// nestingTags counts the start tags of quotes and lists in s (an upper bound on how deep they nest).
func nestingTags(s string) int {
	n := 0
	for i := strings.IndexByte(s, '<'); i >= 0; {
		rest := s[i+1:]
		for tag := range nesting {
			if len(rest) > len(tag) && strings.EqualFold(rest[:len(tag)], tag) && !isLetter(rest[len(tag)]) {
				n++
			}
		}
		j := strings.IndexByte(rest, '<')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return n
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func lastIndex(list []string, s string) int {
	for i := len(list) - 1; i >= 0; i-- {
		if list[i] == s {
			return i
		}
	}
	return -1
}

// converterMD converts with github.com/JohannesKaufmann/html-to-markdown (one converter: it keeps no state
// between conversions). Images go entirely: comments here show none, and their addresses are often trackers.
var converterMD = func() *converter.Converter {
	c := converter.NewConverter(converter.WithPlugins(base.NewBasePlugin(), commonmark.NewCommonmarkPlugin()))
	for _, tag := range []string{"img", "picture", "svg", "video", "audio", "iframe", "object", "embed"} {
		c.Register.TagType(tag, converter.TagTypeRemove, converter.PriorityStandard)
	}
	return c
}()

func htmlToMarkdown(s string) (string, error) {
	return converterMD.ConvertString(s)
}

var blankLines = regexp.MustCompile(`\n[ \t]*\n+`)

// autoParagraphs wraps WordPress comment text in paragraphs: blank lines separate them, single newlines are
// line breaks (what WordPress's wpautop does when it shows a comment).
func autoParagraphs(s string) string {
	var b strings.Builder
	for _, p := range blankLines.Split(strings.TrimSpace(s), -1) {
		b.WriteString("<p>")
		b.WriteString(strings.ReplaceAll(p, "\n", "<br>\n"))
		b.WriteString("</p>\n")
	}
	return b.String()
}

var markdownSpecial = regexp.MustCompile("([\\\\`*_\\[\\]<>#~|!])")

// escapeMarkdown makes plain text read as itself when rendered as Markdown.
func escapeMarkdown(s string) string { return markdownSpecial.ReplaceAllString(s, `\$1`) }

// CleanText makes a source's text valid UTF-8 with "\n" line ends, tabs as spaces and no other control
// characters (the blog refuses those in comments).
func CleanText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n':
			return r
		case r == '\t':
			return ' '
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, s)
}

// CleanName returns a name the blog accepts: composed, without control, direction or invisible formatting
// characters, at most repo.MaxUsername characters; "Anonymous" when nothing visible is left.
func CleanName(name string) string {
	name = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return ' '
		case unicode.IsControl(r), (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069'):
			return -1
		case unicode.Is(unicode.Cf, r) && r != '\u200c' && r != '\u200d':
			return -1
		}
		return r
	}, strings.ToValidUTF8(name, ""))
	name = repo.CommentInput{Username: strings.Join(strings.Fields(name), " ")}.Normalize().Username
	if r := []rune(name); len(r) > repo.MaxUsername {
		name = strings.TrimSpace(string(r[:repo.MaxUsername]))
	}
	if (repo.CommentInput{Username: name, Email: "a@b.co", Body: "x"}).Validate()["username"] != "" {
		return "Anonymous"
	}
	return name
}

// CleanEmail returns the address normalized as the blog stores it, or "" when it is missing or not a valid
// address.
func CleanEmail(email string) string {
	in := repo.CommentInput{Username: "x", Email: email, Body: "x"}.Normalize()
	if in.Validate()["email"] != "" {
		return ""
	}
	return in.Email
}

// PlaceholderEmail stands for a commenter the source knows no address of: one per source and name, in the
// reserved .invalid domain, so that it can never receive mail and their comments still share an author.
func PlaceholderEmail(source, name string) string {
	sum := sha256.Sum256([]byte(source + "\x00" + strings.ToLower(name)))
	return "imported-" + hex.EncodeToString(sum[:6]) + "@" + source + ".invalid"
}
