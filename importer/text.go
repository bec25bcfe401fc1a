package importer

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

// toMarkdown returns the comment's text as the blog's Markdown, and whether it had to be cut.
func toMarkdown(body string, kind BodyKind) (string, bool, error) {
	body = cleanText(body)
	var err error
	switch kind {
	case WordPress:
		body, err = htmlToMarkdown(autoParagraphs(body))
	case HTML:
		body, err = htmlToMarkdown(body)
	case Text:
		body = escapeMarkdown(body)
	}
	if err != nil {
		return "", false, err
	}
	body = strings.TrimFunc(body, unicode.IsSpace)
	if utf8.RuneCountInString(body) <= MaxImportedBody {
		return body, false, nil
	}
	cut := []rune(body)[:MaxImportedBody-1]
	return string(cut) + "…", true, nil
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

// cleanText makes a source's text valid UTF-8 with "\n" line ends, tabs as spaces and no other control
// characters (the blog refuses those in comments).
func cleanText(s string) string {
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

// cleanName returns a name the blog accepts: composed, without control, direction or invisible formatting
// characters, at most repo.MaxUsername characters; "Anonymous" when nothing visible is left.
func cleanName(name string) string {
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

// cleanEmail returns the address normalized as the blog stores it, or "" when it is missing or not a valid
// address.
func cleanEmail(email string) string {
	in := repo.CommentInput{Username: "x", Email: email, Body: "x"}.Normalize()
	if in.Validate()["email"] != "" {
		return ""
	}
	return in.Email
}

// placeholderEmail stands for a commenter the source knows no address of: one per source and name, in the
// reserved .invalid domain, so that it can never receive mail and their comments still share an author.
func placeholderEmail(source, name string) string {
	sum := sha256.Sum256([]byte(source + "\x00" + strings.ToLower(name)))
	return "imported-" + hex.EncodeToString(sum[:6]) + "@" + source + ".invalid"
}
