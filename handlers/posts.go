package handlers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"blog/content"
	"blog/csrf"
	"blog/handlers/web"
	"blog/live"
	"blog/repo"
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
	if len(c.Request().URI().QueryString()) == 0 && len(s.mine.ForPost(c, id)) == 0 {
		return s.sharedPost(c, p, id)
	}
	form := views.FormView{Slug: p.Slug, CSRFToken: csrf.Token(c), Stamp: s.formStamp(time.Now()), OfferNotify: s.cfg.MailReplies}
	if r, err := strconv.ParseInt(c.Query("reply_to"), 10, 64); err == nil && r > 0 {
		if pc, err := s.cfg.Comments.FindComment(c.UserContext(), r); err == nil && pc.PostID == id && pc.Visible() {
			form.ParentID, form.ParentName = pc.ID, pc.Username
		}
	}
	v, err := s.postView(c, p, id, form)
	if err != nil {
		return err
	}
	// This page is the visitor's own (their held comments, their Edit and Delete, the comment they answer): no
	// cache in front may keep it for others.
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	return render(c, fiber.StatusOK, views.PostPage(s.chromeFor(c), v))
}

// sharedPost serves the post page every reader without comments of their own gets: the same bytes for all of
// them, rendered once per change of the post (and per form-timestamp step) and compressed once.
func (s *Server) sharedPost(c *fiber.Ctx, p content.Post, id int64) error {
	l, err := s.lists.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	now := time.Now()
	snap := s.cfg.Content.Current()
	form := views.FormView{Slug: p.Slug, Stamp: s.formStamp(now), OfferNotify: s.cfg.MailReplies}
	base := fmt.Sprintf("%p|%p|%d", snap, l, l.View.Seq)
	return s.pages.Serve(c, c.Path(), base, now.Truncate(StampStep).Unix(), form.Stamp, func() templ.Component {
		older, newer := snap.Lib.Neighbours(p.Slug)
		return views.PostPage(s.chromeFor(c), views.PostView{Post: p, List: l.View, Form: form, Older: older, Newer: newer})
	})
}

// postView loads what the post page shows around the given form state: the conversations every reader shares,
// with the visitor's own comments made personal: those waiting for approval put in their places (only they see
// them), and those they may still edit given Edit and Delete.
func (s *Server) postView(c *fiber.Ctx, p content.Post, id int64, form views.FormView) (views.PostView, error) {
	l, err := s.lists.Get(c.UserContext(), id)
	if err != nil {
		return views.PostView{}, err
	}
	own, held, err := s.ownComments(c, id)
	if err != nil {
		return views.PostView{}, err
	}
	list := l.View
	if len(own) > 0 {
		if list, err = s.personal(c.UserContext(), id, l, own, held); err != nil {
			return views.PostView{}, err
		}
	}
	older, newer := s.lib().Neighbours(p.Slug)
	return views.PostView{Post: p, List: list, Form: form, Older: older, Newer: newer}, nil
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

// personal renders the list again with the visitor's own comments: held ones merged in by id, and every
// conversation holding one of theirs rendered with their options. Conversations older than the oldest shown stay
// off the page, like the published ones there.
func (s *Server) personal(ctx context.Context, postID int64, l *live.List, own map[int64]views.ItemOpts, held []repo.Comment) (views.ListView, error) {
	threads := slices.Clone(l.Threads)
	own = notAnswered(threads, held, own)
	for _, h := range held {
		at := slices.IndexFunc(threads, func(t live.ListThread) bool { return t.ID() == h.Thread() })
		switch {
		case h.TopLevel() && at < 0:
			i, _ := slices.BinarySearchFunc(threads, h.ID, func(t live.ListThread, id int64) int { return int(t.ID() - id) })
			if i == 0 && l.View.Older > 0 {
				continue
			}
			threads = slices.Insert(threads, i, live.ListThread{View: views.ThreadView{Top: h}})
		case h.TopLevel() && at >= 0:
			// Already in the list (published and caught up).
		case !h.TopLevel() && at >= 0:
			// Among the first replies, or after the control that pages in the rest: their own is always shown.
			replies := slices.Clone(threads[at].View.Replies)
			k, found := slices.BinarySearchFunc(replies, h.ID, func(r repo.Comment, id int64) int { return int(r.ID - id) })
			if !found {
				threads[at].View.Replies = slices.Insert(replies, k, h)
			}
		}
	}
	items := make([]views.Item, len(threads))
	var buf bytes.Buffer
	for i, t := range threads {
		items[i] = views.Item{ID: t.ID(), HTML: t.HTML}
		if !touches(t, own) && t.HTML != "" {
			continue
		}
		buf.Reset()
		if err := views.Thread(s.slug(postID), t.View, own).Render(ctx, &buf); err != nil {
			return views.ListView{}, err
		}
		items[i].HTML = buf.String()
	}
	return views.BuildList(items, l.View.Seq, l.View.Total, l.View.Older), nil
}

// notAnswered takes Edit and Delete away from the visitor's comments that somebody has answered.
func notAnswered(threads []live.ListThread, held []repo.Comment, own map[int64]views.ItemOpts) map[int64]views.ItemOpts {
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
		for _, r := range t.View.Replies {
			answered(r)
		}
	}
	for _, h := range held {
		answered(h)
	}
	return out
}

// touches reports whether a conversation holds one of the given comments.
func touches(t live.ListThread, own map[int64]views.ItemOpts) bool {
	if _, ok := own[t.ID()]; ok {
		return true
	}
	for _, r := range t.View.Replies {
		if _, ok := own[r.ID]; ok {
			return true
		}
	}
	return false
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

// StampStep is how finely a page's form timestamp is kept: every reader of a post within one step gets the same
// page, so it is rendered and compressed once a step at most.
const StampStep = time.Second

// formStamp signs the start of the current step, never later than the page was loaded: a person who waits
// SPAM_MIN_SECONDS after the page loaded is never held by the rule "posted sooner than that" (the form looks at
// most StampStep older than it is). A program that posts at once is still held: the step is shorter than any
// sensible SPAM_MIN_SECONDS. (The end of a 5-second step was signed before, which held people who had waited the
// documented 3 s for up to 5 s more.)
func (s *Server) formStamp(now time.Time) string {
	step := now.Truncate(StampStep)
	if st := s.stamp.Load(); st != nil && st.at.Equal(step) {
		return st.value
	}
	st := &signedStamp{at: step, value: s.stamps.Stamp(step)}
	s.stamp.Store(st)
	return st.value
}

// signedStamp is the form timestamp of one step, signed once for every page of that step.
type signedStamp struct {
	at    time.Time
	value string
}
