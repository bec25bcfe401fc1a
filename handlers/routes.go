package handlers

import "github.com/gofiber/fiber/v2"

// routes is the blog's whole URL surface.
func (s *Server) routes(app *fiber.App) {
	app.Use(newRequestID(), s.observe, securityHeaders, limitBody, compressPages())
	app.Get("/healthz", s.healthz)
	if s.cfg.Metrics != nil {
		app.Get("/metrics", s.metricsHandler())
	}
	app.Get("/readyz", s.readyz)
	app.Get("/assets/*", s.asset)
	app.Get("/favicon.ico", s.favicon)
	app.Get("/media/*", s.media)
	app.Get("/feed.xml", s.feed)
	app.Get("/sitemap.xml", s.sitemap)
	app.Get("/robots.txt", s.robots)

	csrf := s.csrf.middleware
	app.Get("/", csrf, s.home)
	app.Get("/posts/:slug", csrf, s.post)
	app.Post("/posts/:slug/comments", csrf, s.createComment)
	app.Get("/posts/:slug/comments", csrf, s.olderComments)
	app.Get("/posts/:slug/events", s.events)
	app.Get("/:page", csrf, s.page)
	// BenchControl's route (server.go) is added after these; anything else is a 404 from the error handler.

}
