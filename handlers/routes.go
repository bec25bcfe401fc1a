package handlers

import "github.com/gofiber/fiber/v2"

// routes is the blog's whole URL surface.
func (s *Server) routes(app *fiber.App) {
	app.Get("/healthz", s.healthz)
	app.Get("/readyz", s.readyz)
	app.Get("/assets/*", s.asset)
	app.Get("/favicon.ico", s.favicon)

	app.Get("/", s.home)
	app.Get("/posts/:slug", s.post)
	app.Post("/posts/:slug/comments", s.createComment)
	app.Get("/posts/:slug/events", s.events)
	app.Get("/:page", s.page)
	// BenchControl's route (server.go) is added after these; anything else is a 404 from the error handler.

}
