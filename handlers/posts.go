package handlers

import (
	"bytes"
	"context"
	"slices"
	"strconv"
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

// post shows an article with its comments and the comment form; ?reply_to=ID opens the form as a reply to that
// comment (the address the Reply link has without JavaScript).
func (s *Server) post(c *fiber.Ctx) error {
	p, id, err := s.lookupPost(c)
	if err != nil {
		return err
	}
	form := views.FormView{Slug: p.Slug, CSRFToken: csrf.Token(c), Stamp: s.stamps.Stamp(time.Now()), OfferNotify: s.cfg.MailReplies}
	if r, err := strconv.ParseInt(c.Query("reply_to"), 10, 64); err == nil && r > 0 {
		if pc, err := s.cfg.Comments.FindComment(c.UserContext(), r); err == nil && pc.PostID == id && pc.Visible() {
			form.ParentID, form.ParentName = pc.ID, pc.Username
		}
	}
	v, err := s.postView(c, p, id, form)
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.PostPage(s.chromeFor(c), v))
}

// postView loads what the post page shows around the given form state: the conversations every reader shares,
// with the visitor's own comments made personal: those waiting for approval put in their places (only they see
// them), and those they may still edit given Edit and Delete.
func (s *Server) postView(c *fiber.Ctx, p content.Post, id int64, form views.FormView) (views.PostView, error) {
	l, err := s.lists.get(c.UserContext(), id)
	if err != nil {
		return views.PostView{}, err
	}
	own, held, err := s.ownComments(c, id)
	if err != nil {
		return views.PostView{}, err
	}
	list := l.view
	if len(own) > 0 {
		if list, err = s.personal(c.UserContext(), id, l, own, held); err != nil {
			return views.PostView{}, err
		}
	}
	return views.PostView{Post: p, List: list, Form: form}, nil
}

// personal renders the list again with the visitor's own comments: held ones merged in by id, and every
// conversation holding one of theirs rendered with their options. Conversations older than the oldest shown stay
// off the page, like the published ones there.
func (s *Server) personal(ctx context.Context, postID int64, l *cachedList, own map[int64]views.ItemOpts, held []repo.Comment) (views.ListView, error) {
	threads := slices.Clone(l.threads)
	own = notAnswered(threads, held, own)
	for _, h := range held {
		at := slices.IndexFunc(threads, func(t cachedThread) bool { return t.top.ID == h.Thread() })
		switch {
		case h.TopLevel() && at < 0:
			i, _ := slices.BinarySearchFunc(threads, h.ID, func(t cachedThread, id int64) int { return int(t.top.ID - id) })
			if i == 0 && l.view.Older > 0 {
				continue
			}
			threads = slices.Insert(threads, i, cachedThread{top: h})
		case !h.TopLevel() && at >= 0:
			replies := slices.Clone(threads[at].replies)
			k, _ := slices.BinarySearchFunc(replies, h.ID, func(r repo.Comment, id int64) int { return int(r.ID - id) })
			threads[at].replies = slices.Insert(replies, k, h)
		}
	}
	items := make([]views.Item, len(threads))
	var buf bytes.Buffer
	for i, t := range threads {
		items[i] = views.Item{ID: t.top.ID, HTML: t.html}
		if !touches(t, own) && t.html != "" {
			continue
		}
		buf.Reset()
		if err := views.Thread(s.slug(postID), t.top, t.replies, own).Render(ctx, &buf); err != nil {
			return views.ListView{}, err
		}
		items[i].HTML = buf.String()
	}
	return views.BuildList(items, l.view.Seq, l.view.Total, l.view.Older), nil
}

// notAnswered takes Edit and Delete away from the visitor's comments that somebody has answered.
func notAnswered(threads []cachedThread, held []repo.Comment, own map[int64]views.ItemOpts) map[int64]views.ItemOpts {
	out := make(map[int64]views.ItemOpts, len(own))
	for id, o := range own {
		out[id] = o
	}
	answered := func(r repo.Comment) {
		if r.ParentID != nil {
			if o, ok := out[*r.ParentID]; ok {
				o.Editable = false
				out[*r.ParentID] = o
			}
		}
	}
	for _, t := range threads {
		for _, r := range t.replies {
			answered(r)
		}
	}
	for _, h := range held {
		answered(h)
	}
	return out
}

// touches reports whether a conversation holds one of the given comments.
func touches(t cachedThread, own map[int64]views.ItemOpts) bool {
	if _, ok := own[t.top.ID]; ok {
		return true
	}
	for _, r := range t.replies {
		if _, ok := own[r.ID]; ok {
			return true
		}
	}
	return false
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
