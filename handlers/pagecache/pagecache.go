// Package pagecache keeps the public pages and feeds rendered and compressed once for every reader, and answers
// a reader who asks again with what they have with 304.
package pagecache

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"strings"
	"sync"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"
	"golang.org/x/sync/singleflight"

	"blog/headers"
)

// Cache keeps the public pages rendered and compressed, once for every reader: a page is the same bytes for
// everyone who has nothing of their own on it (no per-visitor token, a form timestamp per step), so it is
// rendered when what it shows changes (a new content snapshot, a change in the post's feed) or its step ends,
// and compressed once per encoding. Every answer carries an ETag of what the page shows (the form timestamp left
// out), so a browser or a cache in front that asks again with it gets 304 while nothing changed.
type Cache struct {
	// maxPages and maxBytes bound what is kept (paths come from requests; only existing pages and lists are
	// rendered, but a blog may have many): beyond either, the cache starts over. precompress keeps each page
	// compressed once per encoding (brotli 6 and gzip 9: worth it for pages read again and again); without it
	// the answer is compressed per request at the fastest level.
	maxPages, maxBytes int
	precompress        bool

	mu     sync.Mutex
	pages  map[string]*cachedPage
	bytes  int
	flight singleflight.Group
}

// cachedPage is one rendered page. It is never changed once stored, except for its compressed forms, each made
// once.
type cachedPage struct {
	// base says what the page shows (content, comments); step is the form timestamp's step (0: no form).
	base string
	step int64
	etag string
	raw  []byte

	gzOnce, brOnce sync.Once
	gz, br         []byte
}

// New returns a cache that keeps at most maxPages pages of maxBytes in all, compressed once per encoding when
// precompress is set (see Cache).
func New(maxPages, maxBytes int, precompress bool) *Cache {
	return &Cache{maxPages: maxPages, maxBytes: maxBytes, precompress: precompress, pages: map[string]*cachedPage{}}
}

// Serve answers GET key with the page for base and step, rendering it only when no current copy exists.
// stamp is the form timestamp in the page ("" for none), left out of the ETag.
func (pc *Cache) Serve(c *fiber.Ctx, key, base string, step int64, stamp string, comp func() templ.Component) error {
	return pc.ServeAs(c, key, base, step, stamp, fiber.MIMETextHTMLCharsetUTF8, func(w io.Writer) error {
		return comp().Render(c.UserContext(), w)
	})
}

// ServeAs is Serve for a document of any type, written by write.
func (pc *Cache) ServeAs(c *fiber.Ctx, key, base string, step int64, stamp, contentType string, write func(io.Writer) error) error {
	// Cloned: a key made from the request (its path) points into fasthttp's buffer, which the next request on
	// the connection overwrites; kept as a map key, it would change under the map, and the page be rendered
	// again and again.
	key = strings.Clone(key)
	pc.mu.Lock()
	p := pc.pages[key]
	pc.mu.Unlock()
	if p != nil && p.base == base && c.Get(fiber.HeaderIfNoneMatch) == p.etag {
		// What the page shows has not changed: the reader's copy (whatever its form timestamp) is current.
		pageHeaders(c, p.etag)
		return c.SendStatus(fiber.StatusNotModified)
	}
	if p == nil || p.base != base || p.step != step {
		v, err, _ := pc.flight.Do(key+"\x00"+base, func() (any, error) {
			var buf bytes.Buffer
			if err := write(&buf); err != nil {
				return nil, err
			}
			raw := buf.Bytes()
			shown := raw
			if stamp != "" {
				shown = bytes.ReplaceAll(raw, []byte(stamp), nil)
			}
			sum := sha256.Sum256(shown)
			np := &cachedPage{base: base, step: step, raw: raw, etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`}
			pc.mu.Lock()
			if old := pc.pages[key]; old != nil {
				pc.bytes -= len(old.raw)
			}
			if len(pc.pages) >= pc.maxPages || pc.bytes+len(raw) > pc.maxBytes {
				clear(pc.pages)
				pc.bytes = 0
			}
			pc.pages[key] = np
			pc.bytes += len(raw)
			pc.mu.Unlock()
			return np, nil
		})
		if err != nil {
			return err
		}
		p = v.(*cachedPage)
	}
	pageHeaders(c, p.etag)
	c.Set(fiber.HeaderContentType, contentType)
	c.Set(fiber.HeaderVary, fiber.HeaderAcceptEncoding)
	accept := c.Get(fiber.HeaderAcceptEncoding)
	switch {
	case !pc.precompress:
		// The compression middleware compresses it for this answer.
	case strings.Contains(accept, "br"):
		p.brOnce.Do(func() { p.br = headers.Brotli(p.raw, 6) })
		c.Set(fiber.HeaderContentEncoding, "br")
		return c.Send(p.br)
	case strings.Contains(accept, "gzip"):
		p.gzOnce.Do(func() { p.gz = headers.Gzip(p.raw) })
		c.Set(fiber.HeaderContentEncoding, "gzip")
		return c.Send(p.gz)
	}
	return c.Send(p.raw)
}

// pageHeaders marks a shared page: any cache may keep it, and must ask again (with the ETag) before reusing it.
func pageHeaders(c *fiber.Ctx, etag string) {
	c.Set(fiber.HeaderETag, etag)
	c.Set(fiber.HeaderCacheControl, "public, no-cache")
}
