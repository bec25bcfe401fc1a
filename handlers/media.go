package handlers

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"
)

func (s *Server) favicon(c *fiber.Ctx) error {
	return c.Redirect(s.assets.URL("favicon.svg"), fiber.StatusMovedPermanently)
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
