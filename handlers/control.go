package handlers

import (
	"io"
	"net/http/httptest"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
)

// benchControl serves, from memory, the exact bytes the real route answered the first time it was asked: the
// benchmark's ceiling for a page on this server stack. It exists only when BENCH_CONTROL is set.
type benchControl struct {
	app   *fiber.App
	mu    sync.RWMutex
	pages map[string]controlPage
}

type controlPage struct {
	ctype string
	body  []byte
}

func (b *benchControl) serve(c *fiber.Ctx) error {
	path := "/" + strings.TrimPrefix(c.Params("*"), "/")
	b.mu.RLock()
	p, ok := b.pages[path]
	b.mu.RUnlock()
	if !ok {
		resp, err := b.app.Test(httptest.NewRequest(fiber.MethodGet, path, nil), -1)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		p = controlPage{ctype: resp.Header.Get(fiber.HeaderContentType), body: body}
		b.mu.Lock()
		b.pages[path] = p
		b.mu.Unlock()
	}
	c.Set(fiber.HeaderContentType, p.ctype)
	return c.Send(p.body)
}
