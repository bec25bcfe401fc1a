package assets

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
	"github.com/gofiber/fiber/v2"

	"blog/headers"
)

// asset is one static file of the set. Its bytes and fingerprint are read the first time a page names it or a
// browser asks for it, so the files nobody has asked for since the start (most of the fonts, the owner's
// scripts) stay in the binary rather than being copied into memory at every start. Compressible files are
// compressed once, on their first request (at the highest levels, which would slow the server's start).
type asset struct {
	ctype      string
	content    func() content
	compressed func() (gz, br []byte) // nil when the type is not worth compressing
}

// content is a file's bytes and fingerprint.
type content struct {
	body []byte
	hash string
	err  error
}

func newAsset(fsys fs.FS, name, ctype string) *asset {
	a := &asset{ctype: ctype, content: sync.OnceValue(func() content {
		body, err := fs.ReadFile(fsys, name)
		sum := sha256.Sum256(body)
		return content{body: body, hash: hex.EncodeToString(sum[:])[:12], err: err}
	})}
	if compressible(ctype) {
		a.compressed = sync.OnceValues(func() ([]byte, []byte) {
			body := a.content().body
			return headers.Gzip(body), headers.Brotli(body, brotli.BestCompression)
		})
	}
	return a
}

// Set serves static files from memory. URLs carry a fingerprint of the content (?v=...), so a file can be
// cached for a year and a changed file gets a new URL.
type Set struct {
	files map[string]*asset
}

// types are the content types of the files the blog embeds. The blog's own table, not mime.TypeByExtension: that
// reads the system's /etc/mime.types at first use (4 ms of every start here), which the container image does not
// have, so the same file could be served with another type in and out of it.
var types = map[string]string{
	".css":   "text/css; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".woff2": "font/woff2",
}

// NewSet lists every file of fsys (Go sources aside), each with its content type, and checks that the ones the
// pages need are there.
func NewSet(fsys fs.FS) (*Set, error) {
	set := &Set{files: map[string]*asset{}}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".go") {
			return err
		}
		ctype, ok := types[path.Ext(p)]
		if !ok {
			return fmt.Errorf("%s: no content type for %q files", p, path.Ext(p))
		}
		set.files[p] = newAsset(fsys, p, ctype)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load assets: %w", err)
	}
	for _, need := range []string{"dist/app.css", "vendor/htmx.min.js", "dist/sse.js", "dist/app.js", "dist/admin.js", "dist/uploads.js", "favicon.svg"} {
		if _, ok := set.files[need]; !ok {
			return nil, fmt.Errorf("load assets: %s is missing", need)
		}
	}
	return set, nil
}

// URL returns the fingerprinted URL of a file.
func (a *Set) URL(name string) string {
	f, ok := a.files[name]
	if !ok {
		return "/assets/" + name + "?v="
	}
	return "/assets/" + name + "?v=" + f.content().hash
}

// Serve serves the file named by the route's wildcard: immutable for a year when the URL names its current
// fingerprint, revalidated by ETag otherwise.
func (a *Set) Serve(c *fiber.Ctx) error {
	name := c.Params("*")
	f, ok := a.files[name]
	if !ok {
		return fiber.ErrNotFound
	}
	content := f.content()
	if content.err != nil {
		return fmt.Errorf("asset %s: %w", name, content.err)
	}
	etag := `"` + content.hash + `"`
	c.Set(fiber.HeaderETag, etag)
	if c.Query("v") == content.hash {
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		c.Set(fiber.HeaderCacheControl, "no-cache")
	}
	if c.Get(fiber.HeaderIfNoneMatch) == etag {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, f.ctype)
	c.Set(fiber.HeaderVary, fiber.HeaderAcceptEncoding)
	accept := c.Get(fiber.HeaderAcceptEncoding)
	var gz, br []byte
	if f.compressed != nil {
		gz, br = f.compressed()
	}
	switch {
	case br != nil && strings.Contains(accept, "br"):
		c.Set(fiber.HeaderContentEncoding, "br")
		return c.Send(br)
	case gz != nil && strings.Contains(accept, "gzip"):
		c.Set(fiber.HeaderContentEncoding, "gzip")
		return c.Send(gz)
	}
	return c.Send(content.body)
}

func compressible(ctype string) bool {
	return strings.HasPrefix(ctype, "text/") || strings.Contains(ctype, "javascript") || strings.Contains(ctype, "svg")
}
