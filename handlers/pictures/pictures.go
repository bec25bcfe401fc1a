// Package pictures serves the pictures the blog fetched from other sites (package pictures) at /media/p/NAME,
// from the database, so every instance on one database serves the same pictures and a page that shows one loads
// nothing from another host.
package pictures

import (
	"context"
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"blog/pictures"
	"blog/repo"
	store "blog/repo/pictures"
)

// Opener reads a stored picture (pictures.Service).
type Opener interface {
	Open(ctx context.Context, name string) (store.Picture, []byte, error)
}

var _ Opener = (*pictures.Service)(nil)

// Handlers serve the pictures.
type Handlers struct{ pictures Opener }

// New returns the handlers over p.
func New(p Opener) *Handlers { return &Handlers{pictures: p} }

// Serve sends /media/p/NAME. A name is a hash of the picture's bytes, so what it shows never changes: it is
// kept for a year and its ETag is the name, which answers a revalidation without reading the database. It goes
// with the same policy as the owner's uploads (/media/u/), under which nothing in it can run.
func (h *Handlers) Serve(c *fiber.Ctx) error {
	name := c.Params("name")
	etag := `"` + strings.TrimSuffix(strings.TrimSuffix(name, ".png"), ".jpg") + `"`
	p, data, err := h.pictures.Open(c.UserContext(), name)
	if errors.Is(err, repo.ErrNotFound) {
		return fiber.ErrNotFound
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderETag, etag)
	c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	c.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox")
	c.Set("Cross-Origin-Resource-Policy", "same-origin")
	if match := c.Get(fiber.HeaderIfNoneMatch); match != "" && strings.Contains(match, etag) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, p.ContentType)
	c.Response().SetBodyRaw(data)
	return nil
}
