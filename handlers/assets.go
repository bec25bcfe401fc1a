package handlers

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"path"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
	"github.com/gofiber/fiber/v2"

	"blog/views"
)

// asset is one static file held in memory with its fingerprint. Compressible files are compressed once, on
// their first request (at the highest levels, which would slow the server's start).
type asset struct {
	body   []byte
	ctype  string
	hash   string
	once   *sync.Once
	gzip   *[]byte
	brotli *[]byte
}

// compressed returns the file's gzip and brotli forms (nil when not compressible).
func (a asset) compressed() (gz, br []byte) {
	if a.once == nil {
		return nil, nil
	}
	a.once.Do(func() { *a.gzip, *a.brotli = gzipBytes(a.body), brotliBytes(a.body) })
	return *a.gzip, *a.brotli
}

// assetSet serves the embedded static files. URLs carry a fingerprint of the content (?v=...), so a file can be
// cached for a year and a changed file gets a new URL.
type assetSet struct {
	files map[string]asset
}

func newAssetSet(fsys fs.FS) (*assetSet, error) {
	set := &assetSet{files: map[string]asset{}}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".go") {
			return err
		}
		body, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		ctype := mime.TypeByExtension(path.Ext(p))
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		a := asset{body: body, ctype: ctype, hash: hex.EncodeToString(sum[:])[:12]}
		if compressible(ctype) {
			a.once, a.gzip, a.brotli = new(sync.Once), new([]byte), new([]byte)
		}
		set.files[p] = a
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load assets: %w", err)
	}
	for _, need := range []string{"dist/app.css", "vendor/htmx.min.js", "vendor/sse.js", "js/app.js", "favicon.svg"} {
		if _, ok := set.files[need]; !ok {
			return nil, fmt.Errorf("load assets: %s is missing", need)
		}
	}
	return set, nil
}

func (a *assetSet) url(name string) string { return "/assets/" + name + "?v=" + a.files[name].hash }

func (a *assetSet) urls() views.AssetURLs {
	return views.AssetURLs{CSS: a.url("dist/app.css"), HTMX: a.url("vendor/htmx.min.js"), SSE: a.url("vendor/sse.js"),
		App: a.url("js/app.js"), Favicon: a.url("favicon.svg")}
}

// asset serves one static file: immutable for a year when the URL names its current fingerprint, revalidated by
// ETag otherwise.
func (s *Server) asset(c *fiber.Ctx) error {
	name := c.Params("*")
	f, ok := s.assets.files[name]
	if !ok {
		return fiber.ErrNotFound
	}
	etag := `"` + f.hash + `"`
	c.Set(fiber.HeaderETag, etag)
	if c.Query("v") == f.hash {
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
	gz, br := f.compressed()
	switch {
	case br != nil && strings.Contains(accept, "br"):
		c.Set(fiber.HeaderContentEncoding, "br")
		return c.Send(br)
	case gz != nil && strings.Contains(accept, "gzip"):
		c.Set(fiber.HeaderContentEncoding, "gzip")
		return c.Send(gz)
	}
	return c.Send(f.body)
}

func compressible(ctype string) bool {
	return strings.HasPrefix(ctype, "text/") || strings.Contains(ctype, "javascript") || strings.Contains(ctype, "svg")
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func brotliBytes(b []byte) []byte {
	var buf bytes.Buffer
	w := brotli.NewWriterLevel(&buf, brotli.BestCompression)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func (s *Server) favicon(c *fiber.Ctx) error {
	return c.Redirect(s.assets.url("favicon.svg"), fiber.StatusMovedPermanently)
}

// mediaTypes are the files served from the content's media folder.
var mediaTypes = map[string]string{
	".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
	".webp": "image/webp", ".avif": "image/avif", ".pdf": "application/pdf",
}

// media serves a file from the content's media folder (images in posts), revalidated by modification time.
func (s *Server) media(c *fiber.Ctx) error {
	name := c.Params("*")
	ctype, ok := mediaTypes[strings.ToLower(path.Ext(name))]
	if !ok || !fs.ValidPath(name) || s.cfg.Library.Media == nil {
		return fiber.ErrNotFound
	}
	body, err := fs.ReadFile(s.cfg.Library.Media, name)
	if err != nil {
		return fiber.ErrNotFound
	}
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	c.Set(fiber.HeaderETag, etag)
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	if c.Get(fiber.HeaderIfNoneMatch) == etag {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, ctype)
	return c.Send(body)
}
