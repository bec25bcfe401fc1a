// Package webmention speaks the W3C Webmention protocol on both sides, without HTTP handlers or storage: for
// sending, it discovers a page's endpoint and notifies it; for receiving, it checks a request, verifies that the
// source really links to the target and reads the source's microformats2 (h-entry) into a Mention. Every fetch
// goes through a fetch.Client, which refuses non-public addresses and bounds time, size and redirects. The
// durable queues that use it, received mentions verified and posts' links notified, are webmention/queue's.
package webmention

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"blog/fetch"
)

// ErrNoEndpoint says that a page advertises no Webmention endpoint: nothing to notify, not a failure.
var ErrNoEndpoint = errors.New("webmention: no endpoint advertised")

// Fetcher is what this package needs of fetch.Client.
type Fetcher interface {
	Get(ctx context.Context, rawURL, accept string) (*fetch.Response, error)
	PostForm(ctx context.Context, rawURL string, values url.Values) (*fetch.Response, error)
}

var _ Fetcher = (*fetch.Client)(nil)

// Discover returns the Webmention endpoint that target advertises, following the specification's order: the
// first HTTP Link header with rel="webmention", else the first <link> or <a> element with that rel and an href,
// in document order. A relative endpoint is resolved against the address the target ended at after redirects;
// its query string is kept. A page that advertises none gives ErrNoEndpoint.
func Discover(ctx context.Context, f Fetcher, target string) (*url.URL, error) {
	resp, err := f.Get(ctx, target, "text/html, application/xhtml+xml;q=0.9, */*;q=0.1")
	if err != nil {
		return nil, err
	}
	if resp.Status < 200 || resp.Status > 299 {
		return nil, fmt.Errorf("webmention: discovery at %s: status %d", target, resp.Status)
	}
	href, ok := endpointInHeaders(resp.Header)
	if !ok && isHTML(resp.Header) {
		href, ok = endpointInHTML(resp.Body)
	}
	if !ok {
		return nil, ErrNoEndpoint
	}
	ref, err := url.Parse(strings.TrimSpace(href))
	if err != nil {
		return nil, fmt.Errorf("webmention: endpoint %q: %w", href, err)
	}
	endpoint := resp.URL.ResolveReference(ref)
	endpoint.Fragment = ""
	if endpoint.Scheme != "http" && endpoint.Scheme != "https" {
		return nil, fmt.Errorf("webmention: endpoint %q is not http or https", endpoint)
	}
	return endpoint, nil
}

// Result is the endpoint's answer to a notification.
type Result struct {
	Endpoint string
	Status   int
	// Location is where the endpoint says the mention's status can be followed (201 Created).
	Location string
}

// Send tells target's endpoint that source mentions it. The answer is in Result; any 2xx is success (201 and
// 202 are the usual ones), any other status is an error that says it. A target with no endpoint gives
// ErrNoEndpoint.
func Send(ctx context.Context, f Fetcher, source, target string) (Result, error) {
	endpoint, err := Discover(ctx, f, target)
	if err != nil {
		return Result{}, err
	}
	resp, err := f.PostForm(ctx, endpoint.String(), url.Values{"source": {source}, "target": {target}})
	if err != nil {
		return Result{Endpoint: endpoint.String()}, err
	}
	res := Result{Endpoint: endpoint.String(), Status: resp.Status, Location: resp.Header.Get("Location")}
	if resp.Status < 200 || resp.Status > 299 {
		return res, fmt.Errorf("webmention: endpoint %s answered %d", endpoint.Redacted(), resp.Status)
	}
	return res, nil
}

// isHTML reports a response whose Content-Type is HTML (or none, which browsers sniff as HTML for pages).
func isHTML(h http.Header) bool {
	ct := h.Get("Content-Type")
	if ct == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "text/html" || mt == "application/xhtml+xml")
}

// endpointInHeaders finds the first rel="webmention" among every Link header's links.
func endpointInHeaders(h http.Header) (string, bool) {
	for _, value := range h.Values("Link") {
		for _, link := range splitLinks(value) {
			href, params, ok := parseLink(link)
			if ok && hasRel(params["rel"], "webmention") {
				return href, true
			}
		}
	}
	return "", false
}

// splitLinks splits one Link header into its links, at commas outside <...> and quotes.
func splitLinks(value string) []string {
	var links []string
	inURI, inQuote, start := false, false, 0
	for i := 0; i < len(value); i++ {
		switch c := value[i]; {
		case c == '<' && !inQuote:
			inURI = true
		case c == '>' && !inQuote:
			inURI = false
		case c == '"' && !inURI:
			inQuote = !inQuote
		case c == ',' && !inURI && !inQuote:
			links = append(links, value[start:i])
			start = i + 1
		}
	}
	return append(links, value[start:])
}

// parseLink reads `<uri>; name="value"; name=value` into the uri and lower-cased parameter names.
func parseLink(link string) (string, map[string]string, bool) {
	link = strings.TrimSpace(link)
	if !strings.HasPrefix(link, "<") {
		return "", nil, false
	}
	end := strings.IndexByte(link, '>')
	if end < 0 {
		return "", nil, false
	}
	href := link[1:end]
	params := map[string]string{}
	for _, p := range strings.Split(link[end+1:], ";") {
		name, val, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok {
			continue
		}
		name = strings.ToLower(strings.TrimSpace(name))
		if _, seen := params[name]; !seen {
			params[name] = strings.Trim(strings.TrimSpace(val), `"`)
		}
	}
	return href, params, true
}

// hasRel reports whether a space-separated rel list holds want (case-insensitive, whole tokens only).
func hasRel(rels, want string) bool {
	for _, r := range strings.Fields(rels) {
		if strings.EqualFold(r, want) {
			return true
		}
	}
	return false
}

// endpointInHTML finds the first <link> or <a> with rel="webmention" and an href, in document order. The
// tokenizer skips comments, scripts' text and escaped markup, so none of those can advertise an endpoint.
func endpointInHTML(body []byte) (string, bool) {
	z := html.NewTokenizer(bytes.NewReader(body))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return "", false
		case html.StartTagToken, html.SelfClosingTagToken:
			t := z.Token()
			if t.DataAtom != atom.Link && t.DataAtom != atom.A {
				continue
			}
			var rel, href string
			hasHref := false
			for _, a := range t.Attr {
				switch a.Key {
				case "rel":
					rel = a.Val
				case "href":
					href, hasHref = a.Val, true
				}
			}
			if hasHref && hasRel(rel, "webmention") {
				return href, true
			}
		}
	}
}
