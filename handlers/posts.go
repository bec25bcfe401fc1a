package handlers

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"blog/content"
	"blog/csrf"
	"blog/handlers/comments"
	"blog/handlers/web"
	"blog/live/lists"
	"blog/views"
)

// PostsPerPage is how many posts a page of the home page lists.
const PostsPerPage = 10

// home lists the posts with their comment counts, PostsPerPage at a time (/, /page/2, ...).
func (s *Server) home(c *fiber.Ctx) error {
	page := 1
	if c.Params("n") != "" {
		n, err := strconv.Atoi(c.Params("n"))
		if err != nil || n < 2 {
			return fiber.ErrNotFound // /page/1 is /
		}
		page = n
	}
	posts := s.lib().Posts
	pages := max(1, (len(posts)+PostsPerPage-1)/PostsPerPage)
	if page > pages {
		return fiber.ErrNotFound
	}
	counts, err := s.lists.Counts(c.UserContext())
	if err != nil {
		return err
	}
	return s.pages.Serve(c, c.Path(), s.listBase(counts), 0, "", func() templ.Component {
		list := s.summariesWith(counts, posts[(page-1)*PostsPerPage:min(len(posts), page*PostsPerPage)])
		return views.HomePage(s.chromeFor(c), views.HomeView{Posts: list, Page: page, Pages: pages})
	})
}

// listBase says what a page listing posts shows: the content and every post's comment count (the map of counts
// is replaced, never changed, when one changes).
func (s *Server) listBase(counts map[int64]int) string {
	return fmt.Sprintf("%p|%p", s.cfg.Content.Current(), counts)
}

// summariesWith pairs posts with their comment counts.
func (s *Server) summariesWith(counts map[int64]int, posts []content.Post) []views.PostSummary {
	snap := s.cfg.Content.Current()
	list := make([]views.PostSummary, 0, len(posts))
	for _, p := range posts {
		id, _ := snap.PostID(p.Slug)
		list = append(list, views.PostSummary{Post: p, Comments: counts[id]})
	}
	return list
}

// tag lists the posts with one tag.
func (s *Server) tag(c *fiber.Ctx) error {
	t, ok := s.lib().TagBySlug(c.Params("tag"))
	if !ok {
		return fiber.ErrNotFound
	}
	counts, err := s.lists.Counts(c.UserContext())
	if err != nil {
		return err
	}
	return s.pages.Serve(c, c.Path(), s.listBase(counts), 0, "", func() templ.Component {
		return views.TagPage(s.chromeFor(c), views.TagView{Tag: t, Posts: s.summariesWith(counts, t.Posts)})
	})
}

// tags lists every tag.
func (s *Server) tags(c *fiber.Ctx) error {
	lib := s.lib()
	return s.pages.Serve(c, c.Path(), fmt.Sprintf("%p", lib), 0, "", func() templ.Component {
		return views.TagsPage(s.chromeFor(c), lib.Tags())
	})
}

// archive lists every post by year.
func (s *Server) archive(c *fiber.Ctx) error {
	lib := s.lib()
	return s.pages.Serve(c, c.Path(), fmt.Sprintf("%p", lib), 0, "", func() templ.Component {
		return views.ArchivePage(s.chromeFor(c), views.Archive(lib.Posts), lib.Tags())
	})
}

// lookupPost finds the published post named by the :slug parameter (web.LookupPost).
func (s *Server) lookupPost(c *fiber.Ctx) (content.Post, int64, error) {
	return web.LookupPost(c, s.cfg.Content.Current())
}

// post shows an article with its comments and the comment form; ?reply_to=ID opens the form as a reply to that
// comment (the address the Reply link has without JavaScript).
func (s *Server) post(c *fiber.Ctx) error {
	p, id, err := s.lookupPost(c)
	if errors.Is(err, fiber.ErrNotFound) {
		return s.draft(c)
	}
	if err != nil {
		return err
	}
	order, fromLink := comments.Order(c)
	if fromLink {
		comments.RememberOrder(c, order, s.cfg.SecureCookies)
	}
	args := c.Request().URI().QueryArgs()
	onlyOrder := args.Len() == 0 || (args.Len() == 1 && args.Has("order"))
	// The signed-in owner gets a page of their own: a Pin control on every conversation (without JavaScript).
	var ownerToken string
	if s.signin != nil {
		ownerToken = s.signin.OwnerToken(c)
	}
	owner := ownerToken != ""
	if onlyOrder && !owner && len(s.mine.ForPost(c, id)) == 0 {
		return s.sharedPost(c, p, id, order, fromLink)
	}
	if owner {
		c.SetUserContext(views.WithPinControls(c.UserContext(), ownerToken))
	}
	form := views.FormView{Slug: p.Slug, CSRFToken: csrf.Token(c), Stamp: s.comments.FormStamp(time.Now()), OfferNotify: s.cfg.MailReplies}
	if r, err := strconv.ParseInt(c.Query("reply_to"), 10, 64); err == nil && r > 0 {
		if pc, err := s.cfg.Comments.FindComment(c.UserContext(), r); err == nil && pc.PostID == id && pc.Visible() {
			form.ParentID, form.ParentName = pc.ID, pc.Username
		}
	}
	v, err := s.comments.PostView(c, p, id, form)
	if err != nil {
		return err
	}
	v.Elsewhere = s.elsewhere(c.UserContext(), id)
	v.Translations = s.lib().Translations(p)
	// This page is the visitor's own (their held comments, their Edit and Delete, the comment they answer, the
	// owner's form token): no cache in front may keep it for others.
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	if owner {
		c.Set(fiber.HeaderCacheControl, "private, no-store")
	}
	return render(c, fiber.StatusOK, views.PostPage(s.chromeFor(c), v))
}

// sharedPost serves the post page every reader without comments of their own gets: the same bytes for all of
// them, rendered once per change of the post (and per form-timestamp step) and compressed once.
func (s *Server) sharedPost(c *fiber.Ctx, p content.Post, id int64, order lists.Order, fromLink bool) error {
	l, err := s.lists.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	list, err := s.lists.View(c.UserContext(), id, l, order)
	if err != nil {
		return err
	}
	now := time.Now()
	snap := s.cfg.Content.Current()
	form := views.FormView{Slug: p.Slug, Stamp: s.comments.FormStamp(now), OfferNotify: s.cfg.MailReplies}
	base := fmt.Sprintf("%p|%p|%d", snap, l, l.View.Seq)
	// Each order is a rendering of its own, shared by every reader who chose it.
	err = s.pages.Serve(c, c.Path()+"?order="+string(order), base, now.Truncate(comments.StampStep).Unix(), form.Stamp, func() templ.Component {
		older, newer := snap.Lib.Neighbours(p.Slug)
		return views.PostPage(s.chromeFor(c), views.PostView{Post: p, List: list, Form: form, Older: older, Newer: newer,
			Elsewhere: s.elsewhere(c.UserContext(), id), Translations: snap.Lib.Translations(p)})
	})
	if !fromLink && order != lists.OrderOldest {
		// The order came from this browser's cookie, not the address: no cache in front may give it to others.
		c.Set(fiber.HeaderCacheControl, "private, no-cache")
	}
	return err
}

// draft previews a draft for the signed-in owner at its future address; anyone else gets the 404 a missing
// post gets.
func (s *Server) draft(c *fiber.Ctx) error {
	d, ok := s.lib().DraftBySlug(c.Params("slug"))
	if !ok || s.signin == nil || !s.signin.SignedIn(c) {
		return fiber.ErrNotFound
	}
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	c.Set("X-Robots-Tag", "noindex")
	return render(c, fiber.StatusOK, views.DraftPage(s.chromeFor(c), d))
}

// page shows a standalone page such as /about.
func (s *Server) page(c *fiber.Ctx) error {
	lib := s.lib()
	p, ok := lib.PageBySlug(c.Params("page"))
	if !ok {
		return fiber.ErrNotFound
	}
	return s.pages.Serve(c, c.Path(), fmt.Sprintf("%p", lib), 0, "", func() templ.Component {
		return views.StaticPage(s.chromeFor(c), p)
	})
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

// elsewhere reads the likes and reposts other sites sent to a post. A failure to read them is logged and shows
// none: the post and its comments are what the page is for.
func (s *Server) elsewhere(ctx context.Context, postID int64) views.ElsewhereView {
	if s.cfg.Mentioned == nil {
		return views.ElsewhereView{}
	}
	e, err := s.cfg.Mentioned.Elsewhere(ctx, postID)
	if err != nil {
		s.cfg.Log.Error("reading likes and reposts", "post", postID, "err", err)
		return views.ElsewhereView{}
	}
	return e
}
