package webmention

import (
	"blog/repo"
	"html"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"
	xhtml "golang.org/x/net/html"
	"willnorris.com/go/microformats"
)

// Kind tells mentions apart, by what the source's h-entry says of the target.
type Kind string

// The kinds of mention. A bookmark, an RSVP or a plain link to the target are all KindMention.
const (
	KindReply   Kind = "reply"   // in-reply-to the target: shown in the conversation as a comment
	KindLike    Kind = "like"    // like-of the target: counted under the post
	KindRepost  Kind = "repost"  // repost-of the target: counted under the post
	KindMention Kind = "mention" // any other link to the target
)

// Bounds on what a source can make the blog keep.
const (
	MaxName = repo.MaxUsername // characters of an author's name, as of a commenter's
	MaxText = 5000             // characters of a mention's text, as for a comment
	MaxHTML = 48 << 10         // bytes of a mention's sanitised HTML; past it the text is shown instead
)

// Mention is what a verified source says about the target, read from its microformats2 and made safe: the text
// sanitised (never the source's raw HTML, never a picture or script from another host), the names bounded, and
// the author's address kept only when it is on the source's own host (a page may claim any name, but not
// another site's identity).
type Mention struct {
	Source string
	Target string
	Kind   Kind
	// URL is the original's address: the entry's own u-url when it is on the source's host, else the source.
	URL string
	// AuthorName is never empty: the h-card's name, or the source's host when it gives none.
	AuthorName  string
	AuthorURL   string
	AuthorPhoto string // an http(s) address to fetch once and serve from the blog; "" when none
	// Text is the content as plain text (at most MaxText characters), HTML the same content sanitised.
	Text      string
	HTML      string
	Published *time.Time
}

// entry is the h-entry found in a source, before it is made safe.
type entry struct {
	item     *microformats.Microformat
	author   *microformats.Microformat
	authorS  string
	kind     Kind
	refersTo bool // a URL property of the entry names the target
}

// parseEntry reads doc's microformats2 and picks the h-entry that speaks of target: the one whose u-url is the
// page itself, else the first whose properties name the target, else the first at all.
func parseEntry(doc *xhtml.Node, base, target *url.URL) entry {
	data := microformats.ParseNode(doc, base)
	var entries []*microformats.Microformat
	var feedAuthor *microformats.Microformat
	var cards []*microformats.Microformat
	for _, it := range data.Items {
		switch {
		case has(it.Type, "h-entry"):
			entries = append(entries, it)
		case has(it.Type, "h-feed"):
			if a, ok := first(it, "author").(*microformats.Microformat); ok {
				feedAuthor = a
			}
			for _, c := range it.Children {
				if has(c.Type, "h-entry") {
					entries = append(entries, c)
				}
			}
		case has(it.Type, "h-card"):
			cards = append(cards, it)
		}
	}
	var e entry
	for _, it := range entries {
		if urlProp(it, "url", func(u string) bool { return refersTo(base, u, base) }) {
			e.item = it
			break
		}
	}
	if e.item == nil {
		for _, it := range entries {
			for _, p := range []string{"in-reply-to", "like-of", "repost-of", "bookmark-of", "mention-of"} {
				if urlProp(it, p, func(u string) bool { return refersTo(base, u, target) }) {
					e.item = it
					break
				}
			}
			if e.item != nil {
				break
			}
		}
	}
	if e.item == nil && len(entries) > 0 {
		e.item = entries[0]
	}
	e.kind = KindMention
	if e.item == nil {
		return e
	}
	is := func(p string) bool {
		return urlProp(e.item, p, func(u string) bool { return refersTo(base, u, target) })
	}
	switch {
	case is("in-reply-to"):
		e.kind = KindReply
	case is("repost-of"):
		e.kind = KindRepost
	case is("like-of"):
		e.kind = KindLike
	}
	e.refersTo = e.kind != KindMention || is("bookmark-of") || is("mention-of")
	// The authorship algorithm, shortened: the entry's author, else its feed's, else the page's one h-card.
	switch a := first(e.item, "author").(type) {
	case *microformats.Microformat:
		e.author = a
	case string:
		e.authorS = a
	}
	if e.author == nil && e.authorS == "" {
		if feedAuthor != nil {
			e.author = feedAuthor
		} else if len(cards) == 1 {
			e.author = cards[0]
		}
	}
	return e
}

// fill copies what the entry says into m, made safe and bounded; base is the source's final address.
func (e entry) fill(m *Mention, base *url.URL) {
	m.Kind = e.kind
	onSource := func(raw string) string {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || !sameHost(u.Hostname(), base.Hostname()) || len(u.String()) > 2048 {
			return ""
		}
		return u.String()
	}
	if e.item != nil {
		if u, ok := first(e.item, "url").(string); ok {
			if s := onSource(u); s != "" {
				m.URL = s
			}
		}
	}
	if e.author != nil {
		m.AuthorName, _ = first(e.author, "name").(string)
		if u, ok := first(e.author, "url").(string); ok {
			m.AuthorURL = onSource(u)
		}
		m.AuthorPhoto = photo(first(e.author, "photo"))
	} else if e.authorS != "" {
		if u, err := url.Parse(e.authorS); err == nil && u.Scheme != "" {
			m.AuthorURL = onSource(e.authorS)
		} else {
			m.AuthorName = e.authorS
		}
	}
	m.AuthorName = Bound(oneLine(m.AuthorName), MaxName)
	if m.AuthorName == "" {
		m.AuthorName = strings.TrimPrefix(base.Hostname(), "www.")
	}
	if e.item == nil {
		return
	}
	text, raw := "", ""
	switch c := first(e.item, "content").(type) {
	case map[string]string:
		text, raw = c["value"], c["html"]
	case string:
		text = c
	}
	if strings.TrimSpace(text) == "" {
		if s, ok := first(e.item, "summary").(string); ok {
			text = s
		} else if s, ok := first(e.item, "name").(string); ok {
			text = s
		}
		raw = ""
	}
	m.Text = Bound(strings.TrimSpace(text), MaxText)
	m.HTML = safeHTML(raw, m.Text)
	if p, ok := first(e.item, "published").(string); ok {
		m.Published = parseTime(p)
	}
}

// policy keeps a source's text and its links, and nothing that could run, load or impersonate: no images, no
// styles, no forms, no iframes; every link marked as another site's (nofollow, noreferrer).
var policy = func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "em", "strong", "b", "i", "code", "pre", "blockquote", "ul", "ol", "li", "del", "s")
	p.AllowAttrs("href").OnElements("a")
	p.AllowURLSchemes("http", "https")
	p.RequireParseableURLs(true)
	p.RequireNoFollowOnLinks(true)
	p.RequireNoReferrerOnLinks(true)
	return p
}()

// safeHTML sanitises raw, or shows text escaped when there is none or when it is too large.
func safeHTML(raw, text string) string {
	if raw != "" && len(raw) < 4*MaxHTML {
		if h := strings.TrimSpace(policy.Sanitize(raw)); h != "" && len(h) <= MaxHTML {
			return h
		}
	}
	if text == "" {
		return ""
	}
	return "<p>" + strings.ReplaceAll(html.EscapeString(text), "\n", "<br/>\n") + "</p>"
}

func photo(v any) string {
	var s string
	switch p := v.(type) {
	case string:
		s = p
	case map[string]string:
		s = p["value"]
	case *microformats.Microformat:
		s = p.Value
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(s) > 2048 {
		return ""
	}
	return u.String()
}

var timeLayouts = []string{
	time.RFC3339, "2006-01-02T15:04:05Z0700", "2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05Z0700",
	"2006-01-02T15:04Z07:00", "2006-01-02 15:04Z07:00", "2006-01-02T15:04:05", "2006-01-02 15:04:05",
	"2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02",
}

func parseTime(s string) *time.Time {
	s = strings.TrimSpace(s)
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			t = t.UTC()
			return &t
		}
	}
	return nil
}

func first(it *microformats.Microformat, prop string) any {
	if it == nil || len(it.Properties[prop]) == 0 {
		return nil
	}
	return it.Properties[prop][0]
}

// urlProp reports whether any value of prop (a URL, or an embedded h-cite with its url) satisfies ok.
func urlProp(it *microformats.Microformat, prop string, ok func(string) bool) bool {
	for _, v := range it.Properties[prop] {
		switch x := v.(type) {
		case string:
			if ok(x) {
				return true
			}
		case *microformats.Microformat:
			if (x.Value != "" && ok(x.Value)) || urlProp(x, "url", ok) {
				return true
			}
		}
	}
	return false
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// sameHost compares hosts without case, a "www." in front not counting.
func sameHost(a, b string) bool {
	a, b = strings.TrimPrefix(strings.ToLower(a), "www."), strings.TrimPrefix(strings.ToLower(b), "www.")
	return a != "" && a == b
}

var spaces = regexp.MustCompile(`\s+`)

// oneLine drops control and format characters (bidirectional overrides included) and folds white space.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return ' '
		}
		return r
	}, s)
	return strings.TrimSpace(spaces.ReplaceAllString(s, " "))
}

// Bound cuts s to at most n characters, with an ellipsis when it cut.
func Bound(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}
