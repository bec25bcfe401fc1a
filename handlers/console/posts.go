package console

import (
	"github.com/gofiber/fiber/v2"
)

// FormToken answers the session's form token as JSON (private, never stored): the owner's script asks for it on
// a post page, which is the same bytes for every reader and so carries no token, to send the Pin and Unpin it
// adds to the comments there.
func (h *Handlers) FormToken(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.JSON(fiber.Map{"token": h.consoleChrome(c).CSRFToken})
}
