package handlers

import "github.com/gofiber/fiber/v2"

// healthz answers "ok" while the process serves.
func (s *Server) healthz(c *fiber.Ctx) error {
	return c.SendString("ok")
}

// readyz answers "ready" when the instance can serve (Config.Ready), and 503 when it cannot.
func (s *Server) readyz(c *fiber.Ctx) error {
	if s.cfg.Ready != nil {
		if err := s.cfg.Ready(c.UserContext()); err != nil {
			s.cfg.Log.Warn("not ready", "err", err)
			return c.Status(fiber.StatusServiceUnavailable).SendString("not ready")
		}
	}
	return c.SendString("ready")
}
