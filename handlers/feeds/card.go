package feeds

import (
	"github.com/gofiber/fiber/v2"

	"blog/handlers/web"
	"blog/sharecard"
)

// Card serves a post's share card (/posts/{slug}/card.png), the picture a link preview shows when the post
// sets no image of its own: its title and the blog's name, drawn once per title (see sharecard). The page
// links it with a version of the title in its address, so any cache may keep it for a day; the ETag answers a
// cache that asks again.
func (h *Handlers) Card(c *fiber.Ctx) error {
	p, _, err := web.LookupPost(c, web.Current(c, h.cfg.Content))
	if err != nil {
		return err
	}
	if !sharecard.Says(h.cfg.Chrome.SiteTitle, p.Title) {
		// The page names no card when it could only be an empty frame (see sharecard.Says).
		return fiber.ErrNotFound
	}
	card, err := h.cards.Get(p.Title)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderETag, card.ETag)
	c.Set(fiber.HeaderCacheControl, "public, max-age=86400")
	if c.Get(fiber.HeaderIfNoneMatch) == card.ETag {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, "image/png")
	return c.Send(card.PNG)
}
