package views

import (
	"bytes"
	"context"
	"io"
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

// Failed is a component whose rendering fails with err: a page whose data could not be read, so that the error
// reaches the one error handler like any other.
func Failed(err error) templ.Component {
	return templ.ComponentFunc(func(context.Context, io.Writer) error { return err })
}
