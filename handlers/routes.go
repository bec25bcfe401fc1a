package handlers

import (
	"github.com/gofiber/fiber/v2"

	"blog/headers"
	"blog/limits"
	"blog/observe"
)

// routes is the blog's whole URL surface.
func (s *Server) routes(app *fiber.App) {
	app.Use(observe.NewRequestID(), observe.Requests(s.cfg.Log, s.cfg.Metrics, s.handleError), headers.Security,
		limits.Body(MaxBody), headers.CompressPages())
	app.Get("/healthz", s.healthz)
	if s.cfg.Metrics != nil {
		app.Get("/metrics", s.cfg.Metrics.Handler(s.cfg.MetricsToken))
	}
	app.Get("/readyz", s.readyz)
	app.Get("/assets/*", s.assets.Serve)
	app.Get("/favicon.ico", s.favicon)
	app.Get("/media/*", s.media)
	app.Get("/feed.xml", s.feed)
	app.Get("/sitemap.xml", s.sitemap)
	app.Get("/robots.txt", s.robots)

	csrf := s.csrf.Middleware
	app.Get("/", csrf, s.home)
	app.Get("/posts/:slug", csrf, s.post)
	app.Post("/posts/:slug/comments", csrf, s.createComment)
	app.Get("/posts/:slug/comments", csrf, s.olderComments)
	app.Get("/posts/:slug/comments/fresh", s.commentList)
	app.Get("/posts/:slug/events", s.events)
	app.Get("/:page", csrf, s.page)
	// BenchControl's route (server.go) is added after these; anything else is a 404 from the error handler.

}
