package handlers

import (
	"bytes"
	"context"
	"slices"
	"time"

	"github.com/gofiber/fiber/v2"

	"blog/content"
	"blog/csrf"
	"blog/repo"
	"blog/views"
)

// home lists the posts with their comment counts.
func (s *Server) home(c *fiber.Ctx) error {
	counts, err := s.lists.commentCounts(c.UserContext())
	if err != nil {
		return err
	}
	list := make([]views.PostSummary, 0, len(s.cfg.Library.Posts))
	for _, p := range s.cfg.Library.Posts {
		list = append(list, views.PostSummary{Post: p, Comments: counts[s.cfg.PostIDs[p.Slug]]})
	}
	return render(c, fiber.StatusOK, views.HomePage(s.chromeFor(c), list))
}

// lookupPost finds the published post named by the :slug parameter.
func (s *Server) lookupPost(c *fiber.Ctx) (content.Post, int64, error) {
	p, ok := s.cfg.Library.PostBySlug(c.Params("slug"))
	id, hasRow := s.cfg.PostIDs[p.Slug]
	if !ok || !hasRow {
		return content.Post{}, 0, fiber.ErrNotFound
	}
	return p, id, nil
}

// post shows an article with its comments and the comment form.
func (s *Server) post(c *fiber.Ctx) error {
	p, id, err := s.lookupPost(c)
	if err != nil {
		return err
	}
	v, err := s.postView(c, p, id, views.FormView{Slug: p.Slug, CSRFToken: csrf.Token(c), Stamp: s.stamps.Stamp(time.Now())})
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.PostPage(s.chromeFor(c), v))
}

// postView loads what the post page shows around the given form state: the list every reader shares, with the
// visitor's own comments that wait for approval put in their places (only they see those).
func (s *Server) postView(c *fiber.Ctx, p content.Post, id int64, form views.FormView) (views.PostView, error) {
	list, items, err := s.lists.get(c.UserContext(), id)
	if err != nil {
		return views.PostView{}, err
	}
	held, err := s.heldFor(c, id)
	if err != nil {
		return views.PostView{}, err
	}
	if len(held) > 0 {
		list = withHeld(c.UserContext(), list, items, held)
	}
	return views.PostView{Post: p, List: list, Form: form}, nil
}

// withHeld rebuilds a list with the visitor's held comments among its items, by id (newest first). A held
// comment older than every item shown stays off the page, like the published ones there.
func withHeld(ctx context.Context, list views.ListView, items []views.Item, held []repo.Comment) views.ListView {
	merged := slices.Clone(items)
	var buf bytes.Buffer
	for _, h := range held {
		i := slices.IndexFunc(merged, func(it views.Item) bool { return it.ID < h.ID })
		if i < 0 {
			if len(merged) >= MaxCommentsShown {
				continue
			}
			i = len(merged)
		}
		buf.Reset()
		if err := views.CommentItem(h, true).Render(ctx, &buf); err != nil {
			continue
		}
		merged = slices.Insert(merged, i, views.Item{ID: h.ID, HTML: buf.String()})
	}
	out := views.BuildList(merged, list.Seq, list.Total)
	out.OldestID, out.Shown = list.OldestID, list.Shown
	return out
}

// page shows a standalone page such as /about.
func (s *Server) page(c *fiber.Ctx) error {
	p, ok := s.cfg.Library.PageBySlug(c.Params("page"))
	if !ok {
		return fiber.ErrNotFound
	}
	return render(c, fiber.StatusOK, views.StaticPage(s.chromeFor(c), p))
}

func (s *Server) healthz(c *fiber.Ctx) error {
	return c.SendString("ok")
}

func (s *Server) readyz(c *fiber.Ctx) error {
	if s.cfg.Ready != nil {
		if err := s.cfg.Ready(c.UserContext()); err != nil {
			s.cfg.Log.Warn("not ready", "err", err)
			return c.Status(fiber.StatusServiceUnavailable).SendString("not ready")
		}
	}
	return c.SendString("ready")
}
