package handlers

import (
	"github.com/gofiber/fiber/v2"

	"blog/handlers/signin"
	"blog/moderation"
)

// ownerComments marks a comment posted with the owner's session as the owner's own (moderation.AsOwner):
// moderation publishes it at once, with the author badge. The form is the readers' form; only the session,
// never a name or an email typed in it, makes a comment the owner's. Without the session cookie it costs
// nothing; with one, a read of the session.
func (s *Server) ownerComments(c *fiber.Ctx) error {
	if o := s.signin; o != nil && c.Cookies(signin.SessionCookie) != "" && o.SignedIn(c) {
		c.SetUserContext(moderation.AsOwner(c.UserContext()))
	}
	return c.Next()
}
