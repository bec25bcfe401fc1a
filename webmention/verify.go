package webmention

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime"
	"net/url"
	"strings"

	"golang.org/x/net/html"

	"blog/fetch"
)

// Errors of a verification. ErrGone and ErrNoLink mean that a mention stored earlier is to be removed; anything
// else (the source unreachable, a 5xx) may pass and is worth another try.
var (
	// ErrGone says that the source answered 404 or 410: it was deleted.
	ErrGone = errors.New("webmention: the source is gone")
	// ErrNoLink says that the source does not link to the target.
	ErrNoLink = errors.New("webmention: the source does not link to the target")
)

// BadRequestError refuses a request before anything is fetched; its message is for the sender.
type BadRequestError struct{ Msg string }

func (e BadRequestError) Error() string { return e.Msg }

// CheckRequest validates a received request's source and target, as the specification asks before answering:
// both absolute http(s) URLs, not the same, and the target a page of this blog (ours says so). It returns them
// normalised (no fragment).
func CheckRequest(source, target string, ours func(*url.URL) bool) (src, tgt *url.URL, err error) {
	if source == "" || target == "" {
		return nil, nil, BadRequestError{"source and target are both required"}
	}
	if src, err = fetch.Parse(source); err != nil {
		return nil, nil, BadRequestError{"source must be an http or https URL"}
	}
	if tgt, err = fetch.Parse(target); err != nil {
		return nil, nil, BadRequestError{"target must be an http or https URL"}
	}
	if Same(src, tgt) {
		return nil, nil, BadRequestError{"source and target must differ"}
	}
	if !ours(tgt) {
		return nil, nil, BadRequestError{"target is not a page of this site that accepts Webmentions"}
	}
	return src, tgt, nil
}

// Same reports whether two URLs name the same page: scheme and host compared without case, a default port
// and an empty path written or not, the fragment ignored.
func Same(a, b *url.URL) bool { return normal(a) == normal(b) }

func normal(u *url.URL) string {
	host := strings.ToLower(u.Host)
	scheme := strings.ToLower(u.Scheme)
	host = strings.TrimSuffix(host, map[string]string{"http": ":80", "https": ":443"}[scheme])
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	s := scheme + "://" + host + p
	if u.RawQuery != "" {
		s += "?" + u.RawQuery
	}
	return s
}

// Verify fetches source and returns what it says about target: ErrGone when it answers 404 or 410, ErrNoLink
// when it does not link to target (an href or src in its HTML, a URL property of its microformats, or the
// address itself in plain text or JSON), otherwise the Mention read from its microformats2.
func Verify(ctx context.Context, f Fetcher, source, target *url.URL) (Mention, error) {
	resp, err := f.Get(ctx, source.String(), "text/html, application/xhtml+xml;q=0.9, text/plain;q=0.5, application/json;q=0.5")
	if err != nil {
		return Mention{}, err
	}
	switch {
	case resp.Status == 404 || resp.Status == 410:
		return Mention{}, ErrGone
	case resp.Status < 200 || resp.Status > 299:
		return Mention{}, fmt.Errorf("webmention: the source answered %d", resp.Status)
	}
	m := Mention{Source: source.String(), Target: target.String(), Kind: KindMention, URL: source.String()}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	switch mt {
	case "text/html", "application/xhtml+xml", "":
		doc, err := html.Parse(bytes.NewReader(resp.Body))
		if err != nil {
			return Mention{}, fmt.Errorf("webmention: the source's HTML: %w", err)
		}
		entry := parseEntry(doc, resp.URL, target)
		if !linksTo(doc, resp.URL, target) && !entry.refersTo {
			return Mention{}, ErrNoLink
		}
		entry.fill(&m, resp.URL)
		if m.Text == "" {
			// No h-entry with text: the page's title says what it is, as IndieWeb sites show a plain mention.
			m.Text = Bound(oneLine(title(doc)), MaxName*2)
			m.HTML = safeHTML("", m.Text)
		}
		return m, nil
	case "text/plain", "application/json":
		if !bytes.Contains(resp.Body, []byte(target.String())) &&
			!bytes.Contains(resp.Body, []byte(strings.ReplaceAll(target.String(), "/", `\/`))) {
			return Mention{}, ErrNoLink
		}
		return m, nil
	}
	return Mention{}, ErrNoLink
}

// linkAttrs are the attributes through which a page links to another, per element.
var linkAttrs = map[string]string{
	"a": "href", "area": "href", "link": "href", "img": "src", "audio": "src", "video": "src", "source": "src",
	"iframe": "src", "embed": "src", "object": "data", "blockquote": "cite", "q": "cite", "ins": "cite", "del": "cite",
}

// linksTo reports whether the document has an element whose link, resolved against base, is target.
func linksTo(doc *html.Node, base, target *url.URL) bool {
	found := false
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if found {
			return
		}
		if n.Type == html.ElementNode {
			if attr, ok := linkAttrs[n.Data]; ok {
				for _, a := range n.Attr {
					if a.Key == attr && refersTo(base, a.Val, target) {
						found = true
						return
					}
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return found
}

// refersTo reports whether ref, resolved against base, is target.
func refersTo(base *url.URL, ref string, target *url.URL) bool {
	u, err := url.Parse(strings.TrimSpace(ref))
	if err != nil {
		return false
	}
	return Same(base.ResolveReference(u), target)
}

// title returns the text of the document's <title>.
func title(doc *html.Node) string {
	var find func(n *html.Node) string
	find = func(n *html.Node) string {
		if n.Type == html.ElementNode && n.Data == "title" && n.FirstChild != nil {
			return n.FirstChild.Data
		}
		if n.Type == html.ElementNode && n.Data == "body" {
			return ""
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if t := find(c); t != "" {
				return t
			}
		}
		return ""
	}
	return find(doc)
}
