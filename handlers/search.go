package handlers

import (
	"context"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"blog/search"
	"blog/views"
)

// Searcher is the blog's search over posts and published comments (search.Service).
type Searcher interface {
	Search(ctx context.Context, raw string, page int) (search.Results, error)
}

var _ Searcher = (*search.Service)(nil)

// search answers /search?q=WORDS&page=N: one page of results, or a sentence saying why there are none (an empty
// or unreadable search, a page out of range), always with the form. Every reader gets the same page for the same
// address; result pages are kept out of search engines.
func (s *Server) search(c *fiber.Ctx) error {
	page := 1
	if p := c.Query("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			n = 0 // not a number: answered as a page that does not exist
		}
		page = n
	}
	res, err := s.cfg.Search.Search(c.UserContext(), c.Query("q"), page)
	if err != nil {
		return err
	}
	c.Set("X-Robots-Tag", "noindex")
	return render(c, fiber.StatusOK, views.SearchPage(s.chromeFor(c), res))
}
