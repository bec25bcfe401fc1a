package importer

import (
	"bufio"
	"fmt"
	"io"
	"net/url"
	"path"
	"strings"
)

// PostRef is a post of this blog that imported comments can belong to.
type PostRef struct {
	ID    int64
	Slug  string
	Title string
}

// Matcher finds the post a thread of another system belongs to: by the path of its address (scheme, host,
// query, fragment and a trailing slash ignored), or by the mapping file for posts whose address changed.
type Matcher struct {
	byPath map[string]PostRef
	bySlug map[string]PostRef
	mapped map[string]PostRef
}

// NewMatcher matches against these posts, at their addresses here (/posts/SLUG).
func NewMatcher(posts []PostRef) *Matcher {
	m := &Matcher{byPath: map[string]PostRef{}, bySlug: map[string]PostRef{}, mapped: map[string]PostRef{}}
	for _, p := range posts {
		m.byPath[NormalizePath("/posts/"+p.Slug)] = p
		m.bySlug[p.Slug] = p
	}
	return m
}

// NormalizePath reduces an address (absolute or a path) to the part that identifies a page: its path, decoded,
// without a trailing slash or index file, starting with "/".
func NormalizePath(raw string) string {
	raw = strings.TrimSpace(raw)
	p := raw
	if u, err := url.Parse(raw); err == nil {
		p = u.Path
		if u.Host == "" && u.Scheme == "" && !strings.HasPrefix(raw, "/") && strings.Contains(raw, ".") {
			// "example.com/2019/post/": a host written without a scheme.
			if _, rest, ok := strings.Cut(u.Path, "/"); ok {
				p = "/" + rest
			}
		}
	} else if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	p = path.Clean("/" + p)
	for _, index := range []string{"/index.html", "/index.htm", "/index.php"} {
		p = strings.TrimSuffix(p, index)
	}
	if p == "" {
		p = "/"
	}
	return p
}

// Match returns the post a thread's address belongs to.
func (m *Matcher) Match(address string) (PostRef, bool) {
	key := NormalizePath(address)
	if p, ok := m.mapped[key]; ok {
		return p, true
	}
	p, ok := m.byPath[key]
	return p, ok
}

// Suggest returns the post an unmatched address probably is (its last path segment is a slug here), for the
// dry-run report's hint about the mapping file.
func (m *Matcher) Suggest(address string) (PostRef, bool) {
	last := path.Base(NormalizePath(address))
	last = strings.TrimSuffix(strings.TrimSuffix(last, ".html"), ".htm")
	p, ok := m.bySlug[last]
	return p, ok
}

// ReadMap reads a mapping file: one "old-address-or-path slug" per line; blank lines and lines starting with
// "#" are ignored. Every slug must be a post of this blog.
func (m *Matcher) ReadMap(r io.Reader, name string) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 64*1024)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			return fmt.Errorf("%s line %d: want \"old-address slug\", got %q", name, n, line)
		}
		p, ok := m.bySlug[strings.TrimPrefix(f[1], "/posts/")]
		if !ok {
			return fmt.Errorf("%s line %d: no post with the slug %q here", name, n, f[1])
		}
		m.mapped[NormalizePath(f[0])] = p
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}
