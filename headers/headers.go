// Package headers sets the security headers every response carries and compresses rendered pages.
package headers

import (
	"bytes"
	"compress/gzip"
	"strings"

	"github.com/andybalholm/brotli"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"
	"github.com/valyala/fasthttp"
)

// ContentSecurityPolicy allows nothing from other hosts, no inline script or style and no eval; htmx is
// configured (views.htmxConfig) to need none of them.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

const permissionsPolicy = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"

// Security sets the headers every response carries.
func Security(c *fiber.Ctx) error {
	Set(func(k, v string) { c.Set(k, v) })
	return c.Next()
}

// OnServerErrors gives the security headers to the answers that fasthttp makes before any handler runs, which
// reach the app's error handler without passing the middleware: 413 for a body refused from its Content-Length,
// 431 for headers too large, 408 for a request not sent in time, 400 for one that cannot be parsed.
func OnServerErrors(srv *fasthttp.Server) {
	next := srv.ErrorHandler
	srv.ErrorHandler = func(ctx *fasthttp.RequestCtx, err error) {
		Set(func(k, v string) { ctx.Response.Header.Set(k, v) })
		next(ctx, err)
	}
}

// Set hands every security header to set; event streams, which write their own header block, use it too.
func Set(set func(key, value string)) {
	set("Content-Security-Policy", ContentSecurityPolicy)
	set("X-Content-Type-Options", "nosniff")
	set("Referrer-Policy", "strict-origin-when-cross-origin")
	set("Permissions-Policy", permissionsPolicy)
	set("X-Frame-Options", "DENY")
	set("Cross-Origin-Opener-Policy", "same-origin")
}

// CompressPages compresses rendered pages (fast level: they are built per request). Assets come precompressed
// and event streams manage their own connection, so both are skipped.
func CompressPages() fiber.Handler {
	return compress.New(compress.Config{
		Level: compress.LevelBestSpeed,
		Next: func(c *fiber.Ctx) bool {
			p := c.Path()
			return strings.HasPrefix(p, "/assets/") || strings.HasSuffix(p, "/events") || p == "/metrics"
		},
	})
}

// Gzip compresses b once for many answers (gzip's best level).
func Gzip(b []byte) []byte {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// Brotli compresses b once for many answers at level (brotli.BestCompression for files that never change; 6
// for pages rendered again at each change: close to the best size for HTML, a few milliseconds a page).
func Brotli(b []byte, level int) []byte {
	var buf bytes.Buffer
	w := brotli.NewWriterLevel(&buf, level)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}
