package handlers

import "github.com/gofiber/fiber/v2"

// favicon sends browsers that ask for /favicon.ico to the fingerprinted icon among the assets.
func (s *Server) favicon(c *fiber.Ctx) error {
	return c.Redirect(s.assets.URL("favicon.svg"), fiber.StatusMovedPermanently)
}
