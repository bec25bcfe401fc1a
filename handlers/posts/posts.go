package posts

import (
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
	"blog/publish"
	"blog/views"
)

// PostsPerPage is how many posts a page of the home page lists.
const PostsPerPage = 10

// Home lists the posts with their comment counts, PostsPerPage at a time (/, /page/2, ...).
func (h *Handlers) Home(c *fiber.Ctx) error {
	page := 1
	if c.Params("n") != "" {
		n, err := strconv.Atoi(c.Params("n"))
		if err != nil || n < 2 {
			return fiber.ErrNotFound // /page/1 is /
		}
		page = n
	}
	snap := web.Current(c, h.cfg.Content)
	posts := snap.Lib.Posts
	pages := max(1, (len(posts)+PostsPerPage-1)/PostsPerPage)
	if page > pages {
		return fiber.ErrNotFound
	}
	counts, err := h.cfg.Lists.Counts(c.UserContext())
	if err != nil {
		return err
	}
	return h.cfg.Pages.Serve(c, c.Path(), listBase(snap, counts), 0, "", func() templ.Component {
		list := summariesWith(snap, counts, posts[(page-1)*PostsPerPage:min(len(posts), page*PostsPerPage)])
		return views.HomePage(h.chromeFor(c), views.HomeView{Posts: list, Page: page, Pages: pages})
	})
}

// listBase says what a page listing posts shows: the content and every post's comment count.
func listBase(snap *publish.Snapshot, counts lists.Counts) string {
	return fmt.Sprintf("%d|%d", snap.Version(), counts.Version)
}

// summariesWith pairs posts of snap with their comment counts.
func summariesWith(snap *publish.Snapshot, counts lists.Counts, posts []content.Post) []views.PostSummary {
	list := make([]views.PostSummary, 0, len(posts))
	for _, p := range posts {
		id, _ := snap.PostID(p.Slug)
		list = append(list, views.PostSummary{Post: p, Comments: counts.ByPost[id]})
	}
	return list
}

// Tag lists the posts with one tag.
func (h *Handlers) Tag(c *fiber.Ctx) error {
	snap := web.Current(c, h.cfg.Content)
	t, ok := snap.Lib.TagBySlug(c.Params("tag"))
	if !ok {
		return fiber.ErrNotFound
	}
	counts, err := h.cfg.Lists.Counts(c.UserContext())
	if err != nil {
		return err
	}
	return h.cfg.Pages.Serve(c, c.Path(), listBase(snap, counts), 0, "", func() templ.Component {
		return views.TagPage(h.chromeFor(c), views.TagView{Tag: t, Posts: summariesWith(snap, counts, t.Posts)})
	})
}

// Tags lists every tag.
func (h *Handlers) Tags(c *fiber.Ctx) error {
	snap := web.Current(c, h.cfg.Content)
	return h.cfg.Pages.Serve(c, c.Path(), fmt.Sprint(snap.Version()), 0, "", func() templ.Component {
		return views.TagsPage(h.chromeFor(c), snap.Lib.Tags())
	})
}

// Archive lists every post by year.
func (h *Handlers) Archive(c *fiber.Ctx) error {
	snap := web.Current(c, h.cfg.Content)
	return h.cfg.Pages.Serve(c, c.Path(), fmt.Sprint(snap.Version()), 0, "", func() templ.Component {
		return views.ArchivePage(h.chromeFor(c), views.Archive(snap.Lib.Posts), snap.Lib.Tags())
	})
}

// Post shows an article with its comments and the comment form; ?reply_to=ID opens the form as a reply to that
// comment (the address the Reply link has without JavaScript).
func (h *Handlers) Post(c *fiber.Ctx) error {
	snap := web.Current(c, h.cfg.Content)
	p, id, err := web.LookupPost(c, snap)
	if errors.Is(err, fiber.ErrNotFound) {
		return h.draft(c, snap.Lib)
	}
	if err != nil {
		return err
	}
	order, fromLink := comments.Order(c)
	if fromLink {
		comments.RememberOrder(c, order, h.cfg.SecureCookies)
	}
	args := c.Request().URI().QueryArgs()
	onlyOrder := args.Len() == 0 || (args.Len() == 1 && args.Has("order"))
	// The signed-in owner gets a page of their own: a Pin control on every conversation (without JavaScript).
	var ownerToken string
	if h.cfg.SignIn != nil {
		ownerToken = h.cfg.SignIn.OwnerToken(c)
	}
	owner := ownerToken != ""
	if onlyOrder && !owner && len(h.cfg.Mine.ForPost(c, id)) == 0 {
		return h.sharedPost(c, snap, p, id, order, fromLink)
	}
	if owner {
		c.SetUserContext(views.WithPinControls(c.UserContext(), ownerToken))
	}
	form := views.FormView{Slug: p.Slug, CSRFToken: csrf.Token(c), Stamp: h.cfg.Conversation.FormStamp(time.Now()), OfferNotify: h.cfg.MailReplies}
	if r, err := strconv.ParseInt(c.Query("reply_to"), 10, 64); err == nil && r > 0 {
		if pc, err := h.cfg.Comments.FindComment(c.UserContext(), r); err == nil && pc.PostID == id && pc.Visible() {
			form.ParentID, form.ParentName = pc.ID, pc.Username
		}
	}
	v, err := h.cfg.Conversation.PostView(c, p, id, form)
	if err != nil {
		return err
	}
	v.Elsewhere = h.cfg.Elsewhere(c.UserContext(), id)
	v.Translations = snap.Lib.Translations(p)
	// This page is the visitor's own (their held comments, their Edit and Delete, the comment they answer, the
	// owner's form token): no cache in front may keep it for others.
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	if owner {
		c.Set(fiber.HeaderCacheControl, "private, no-store")
	}
	return views.Render(c, fiber.StatusOK, views.PostPage(h.chromeFor(c), v))
}

// sharedPost serves the post page every reader without comments of their own gets: the same bytes for all of
// them, rendered once per change of the post (and per form-timestamp step) and compressed once.
func (h *Handlers) sharedPost(c *fiber.Ctx, snap *publish.Snapshot, p content.Post, id int64, order lists.Order, fromLink bool) error {
	l, err := h.cfg.Lists.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	list, err := h.cfg.Lists.View(c.UserContext(), id, l, order)
	if err != nil {
		return err
	}
	now := time.Now()
	form := views.FormView{Slug: p.Slug, Stamp: h.cfg.Conversation.FormStamp(now), OfferNotify: h.cfg.MailReplies}
	base := fmt.Sprintf("%d|%d|%d", snap.Version(), l.Version(), l.View.Seq)
	// Each order is a rendering of its own, shared by every reader who chose it.
	err = h.cfg.Pages.Serve(c, c.Path()+"?order="+string(order), base, now.Truncate(comments.StampStep).Unix(), form.Stamp, func() templ.Component {
		older, newer := snap.Lib.Neighbours(p.Slug)
		return views.PostPage(h.chromeFor(c), views.PostView{Post: p, List: list, Form: form, Older: older, Newer: newer,
			Elsewhere: h.cfg.Elsewhere(c.UserContext(), id), Translations: snap.Lib.Translations(p)})
	})
	if !fromLink && order != lists.OrderOldest {
		// The order came from this browser's cookie, not the address: no cache in front may give it to others.
		c.Set(fiber.HeaderCacheControl, "private, no-cache")
	}
	return err
}

// draft previews a draft for the signed-in owner at its future address; anyone else gets the 404 a missing
// post gets.
func (h *Handlers) draft(c *fiber.Ctx, lib *content.Library) error {
	d, ok := lib.DraftBySlug(c.Params("slug"))
	if !ok || h.cfg.SignIn == nil || !h.cfg.SignIn.SignedIn(c) {
		return fiber.ErrNotFound
	}
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	c.Set("X-Robots-Tag", "noindex")
	return views.Render(c, fiber.StatusOK, views.DraftPage(h.chromeFor(c), d))
}

// Page shows a standalone page such as /about.
func (h *Handlers) Page(c *fiber.Ctx) error {
	snap := web.Current(c, h.cfg.Content)
	p, ok := snap.Lib.PageBySlug(c.Params("page"))
	if !ok {
		return fiber.ErrNotFound
	}
	return h.cfg.Pages.Serve(c, c.Path(), fmt.Sprint(snap.Version()), 0, "", func() templ.Component {
		return views.StaticPage(h.chromeFor(c), p)
	})
}
