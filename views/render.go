package views

import (
	"bytes"
	"sync"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"
)

// renderBuffers hold rendered pages. A post page with its comments is large (about 150 KB for 100 comments);
// rendering into a reused buffer and handing the body over in one piece avoids growing the response body
// step by step, which profiling showed as the main cost of the page after compression.
var renderBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// Render writes a component as the response with the given status.
func Render(c *fiber.Ctx, status int, comp templ.Component) error {
	buf := renderBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	defer renderBuffers.Put(buf)
	if err := comp.Render(c.UserContext(), buf); err != nil {
		return err
	}
	c.Status(status)
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Response().SetBody(buf.Bytes()) // copies, so the buffer can be reused at once
	return nil
}
