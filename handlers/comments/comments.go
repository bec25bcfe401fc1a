// Package comments is the conversation under a post: posting a comment (and previewing it), paging through
// older conversations and more replies, the list a page reloads when its stream fell behind, and the author's own
// edits and deletes for a while after posting, from the browser that posted. It also makes the post page's list
// personal for a visitor with comments of their own (PostView), and signs the comment form's timestamp
// (FormStamp).
package comments

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"blog/authorship"
	"blog/clientip"
	"blog/csrf"
	"blog/handlers/web"
	"blog/live/lists"
	"blog/moderation"
	"blog/repo"
	"blog/richtext"
	"blog/spam"
	"blog/views"
)

// honeypotField is a form field people never see or hear; software that fills every field fills it.
const honeypotField = "subject_line"

// Create stores a comment, published or held for the owner as the screener decides. With htmx it answers
// with a fresh form and the new comment; as a plain form post it redirects to the new comment
// (post/redirect/get). Invalid input comes back with status 422, the visitor's text kept and a message beside
// each bad field, and nothing stored. The browser that posted keeps a signed record of its comment, so a held
// comment is shown to its author.
func (h *Handlers) Create(c *fiber.Ctx) error {
	p, postID, err := h.lookupPost(c)
	if err != nil {
		return err
	}
	if ct := string(c.Request().Header.ContentType()); !strings.HasPrefix(ct, fiber.MIMEApplicationForm) &&
		!strings.HasPrefix(ct, fiber.MIMEMultipartForm) {
		return fiber.ErrUnsupportedMediaType
	}
	// Cloned: fasthttp reuses the request buffer once the handler returns.
	raw := repo.CommentInput{
		Username: strings.Clone(c.FormValue("username")),
		Email:    strings.Clone(c.FormValue("email")),
		Body:     strings.Clone(c.FormValue("body")),
	}
	if !moderation.IsOwner(c.UserContext()) {
		// Refused before anything else is looked at (the store refuses it too, in the comment's transaction).
		st, err := h.cfg.Comments.PostStamp(c.UserContext(), postID)
		if err != nil {
			return err
		}
		if st.Closed {
			h.cfg.Metrics.Rejected("closed")
			return web.Refusal{Status: fiber.StatusForbidden, Msg: errClosed}
		}
	}
	notify := h.cfg.MailReplies && c.FormValue("notify") != ""
	form := views.FormView{Slug: p.Slug, Input: raw, CSRFToken: csrf.Token(c), Stamp: h.FormStamp(time.Now()),
		OfferNotify: h.cfg.MailReplies, Notify: notify}
	parent, badParent := h.parentOf(c, postID, &form)
	if c.FormValue(honeypotField) != "" {
		h.cfg.Metrics.Rejected("honeypot")
		// Answer as if it worked, so the sender learns nothing; store nothing.
		return h.commentAccepted(c, p.Slug, repo.Comment{}, repo.Stamp{}, raw)
	}
	in := raw.Normalize()
	if badParent != "" {
		h.cfg.Metrics.Rejected("bad_parent")
		form.Notice = badParent
		return h.formError(c, fiber.StatusUnprocessableEntity, p.Slug, postID, form)
	}
	if form.Errors = in.Validate(); len(form.Errors) > 0 {
		h.cfg.Metrics.Rejected("invalid")
		return h.formError(c, fiber.StatusUnprocessableEntity, p.Slug, postID, form)
	}
	age, stamped := h.cfg.Stamps.Age(c.FormValue(formStampField), time.Now())
	sub := spam.Submission{Name: in.Username, Body: in.Body, FormAge: age, FormValid: stamped}
	if stamped && age > h.cfg.FormMaxAge {
		// A page left open for a day: not spam, just stale. The text is kept; the new form carries a new stamp.
		h.cfg.Metrics.Rejected("form_too_old")
		form.Notice = "This page was open for a long time, so your comment was not posted yet. It is kept below: please post it again."
		return h.formError(c, fiber.StatusUnprocessableEntity, p.Slug, postID, form)
	}
	addr := h.cfg.Clients.Of(c)
	n := repo.NewComment{PostID: postID, Input: in, IPHash: h.cfg.Hasher.Address(addr), NetHash: h.cfg.Hasher.Net(addr), ParentID: parent,
		Notify: notify}
	if r := h.cfg.RateLimit; r.Every > 0 {
		// Counted in the database, so instances share it; an IPv6 /64 counts as one client (its net hash).
		n.Limit = &repo.RateLimit{ByNet: addr.Is6(), Hash: n.IPHash, Max: r.Burst, Window: time.Duration(r.Burst) * r.Every}
		if addr.Is6() {
			n.Limit.Hash = n.NetHash
		}
	}
	mine := h.cfg.Mine.Read(c)
	comment, st, decision, err := h.cfg.Moderation.Post(c.UserContext(), n, moderation.Candidate{Email: in.Email, IPHash: n.IPHash,
		NetHash: n.NetHash, Submission: sub, Trusted: func(ctx context.Context) (bool, error) { return h.trustedBrowser(ctx, mine) }})
	var limited repo.RateLimitedError
	var bad repo.BadParentError
	if errors.As(err, &bad) { // the comment answered went away meanwhile
		h.cfg.Metrics.Rejected("bad_parent")
		form.Notice = bad.Msg
		return h.formError(c, fiber.StatusUnprocessableEntity, p.Slug, postID, form)
	}
	if errors.Is(err, repo.ErrClosed) { // closed meanwhile
		h.cfg.Metrics.Rejected("closed")
		return web.Refusal{Status: fiber.StatusForbidden, Msg: errClosed}
	}
	if errors.As(err, &limited) {
		h.cfg.Metrics.Rejected("rate_limited")
		wait := strconv.Itoa(int(limited.Wait.Seconds()) + 1)
		c.Set(fiber.HeaderRetryAfter, wait)
		form.Notice = "You are posting too quickly. Please wait " + wait + " seconds and post again; your comment is kept."
		form.NoticeFor = limited.Wait
		return h.formError(c, fiber.StatusTooManyRequests, p.Slug, postID, form)
	}
	if err != nil {
		return err
	}
	if !web.IsHTMX(c) {
		// The redirect's page view must already show it. (An htmx answer carries the new comment itself; the
		// broker, told by the database, hands it to the other readers meanwhile.)
		web.Sync(c, h.cfg.Broker, postID, st.Seq)
	}
	h.cfg.Mine.Add(c, authorship.Entry{ID: comment.ID, PostID: postID, At: comment.CreatedAt})
	h.cfg.Metrics.Posted()
	if !comment.Visible() {
		h.cfg.Metrics.Held(decision.Kind)
	}
	return h.commentAccepted(c, p.Slug, comment, st, in)
}

// errClosed is the answer to a comment on a post closed to comments.
const errClosed = "Comments on this post are closed, so your comment was not posted."

// formStampField carries the form's signed timestamp (spam.Stamper).
const formStampField = "_t"

// trustedBrowser reports whether the posting browser holds a signed record of a comment the owner published:
// its commenter has been approved once (MODERATION=first trusts the browser, never the unverified email).
// It reads the database, so the screener asks only when the moderation mode needs the answer.
func (h *Handlers) trustedBrowser(ctx context.Context, records []authorship.Entry) (bool, error) {
	var ids []int64
	for _, e := range records {
		ids = append(ids, e.ID)
	}
	if len(ids) == 0 {
		return false, nil
	}
	mine, err := h.cfg.Comments.FindCommentsByID(ctx, ids)
	if err != nil {
		return false, err
	}
	for _, cm := range mine {
		if cm.Visible() {
			return true, nil
		}
	}
	return false, nil
}

// formError answers a refused comment with the form as the visitor filled it and the messages: the form alone
// for htmx, the whole page otherwise.
func (h *Handlers) formError(c *fiber.Ctx, status int, slug string, postID int64, form views.FormView) error {
	if web.IsHTMX(c) {
		return views.Render(c, status, views.CommentForm(form))
	}
	lib := h.lib(c)
	p, _ := lib.PostBySlug(slug)
	v, err := h.PostView(c, p, postID, form)
	if err != nil {
		return err
	}
	return views.Render(c, status, views.PostPage(h.chromeFor(c), v))
}

// commentAccepted answers a stored comment: a redirect to it for a plain form, or for htmx a form that keeps name
// and email and clears the text, with the new comment for the top of the list. The live stream brings the rest.
// A zero comment (the honeypot's answer) gets the same answer with no comment.
func (h *Handlers) commentAccepted(c *fiber.Ctx, slug string, comment repo.Comment, st repo.Stamp, in repo.CommentInput) error {
	if !web.IsHTMX(c) {
		target := views.PostPath(slug) + "#comments"
		if comment.ID > 0 {
			target = views.PostPath(slug) + "#" + views.CommentAnchor(comment.ID)
		}
		return c.Redirect(target, fiber.StatusSeeOther)
	}
	form := views.FormView{Slug: slug, Input: repo.CommentInput{Username: in.Username, Email: in.Email}, Posted: true,
		Held: comment.ID > 0 && !comment.Visible(), CSRFToken: csrf.Token(c), Stamp: h.FormStamp(time.Now()),
		OfferNotify: h.cfg.MailReplies, Notify: comment.Notify}
	if comment.ID == 0 {
		return views.Render(c, fiber.StatusOK, views.CommentForm(form))
	}
	form.EditUntil = h.editUntil(comment)
	return views.Render(c, fiber.StatusOK, views.Posted(form, comment, st.Count))
}

// Older pages back through a post's conversations started before ?before=ID: with htmx as threads put
// above the list's first, otherwise as a page of its own. Without before it is the post's comments section.
// Every such list is rendered once per change of the post and kept with the pages: an id between two
// conversations asks for the same list as the next conversation's, and one among the conversations the post's
// page shows for the list before them.
func (h *Handlers) Older(c *fiber.Ctx) error {
	snap := web.Current(c, h.cfg.Content)
	p, postID, err := web.LookupPost(c, snap)
	if err != nil {
		return err
	}
	before, err := strconv.ParseInt(c.Query("before"), 10, 64)
	if err != nil || before <= 0 {
		// The address of the comment form's plain post, opened again (a reload): show the post's comments.
		return c.Redirect(views.PostPath(p.Slug)+"#comments", fiber.StatusSeeOther)
	}
	l, err := h.cfg.Lists.Get(c.UserContext(), postID)
	if err != nil {
		return err
	}
	if older := l.View.Older; older == 0 || before > older {
		before = older // nothing is older than the page's first conversation but what is before it
	}
	if before > 0 {
		if before, err = h.cfg.Comments.ThreadStartingAt(c.UserContext(), postID, before); err != nil {
			return err
		}
	}
	key := views.OlderPath(p.Slug, before) + variant(c)
	return h.cfg.Fragments.Serve(c, key, fmt.Sprintf("%d|%d", snap.Version(), l.View.Seq), 0, "", func() templ.Component {
		var threads []repo.Thread
		var next int64
		if before > 0 {
			if threads, err = h.cfg.Comments.FindThreads(c.UserContext(), postID, before, lists.MaxThreadsShown+1); err != nil {
				return views.Failed(err)
			}
		}
		if len(threads) > lists.MaxThreadsShown {
			threads = threads[1:]
			next = threads[0].Top.ID
		}
		if web.IsHTMX(c) {
			return views.OlderItems(p.Slug, views.ThreadViews(threads), next)
		}
		return views.OlderPage(h.chromeFor(c), p, views.ThreadViews(threads), next)
	})
}

// Replies pages in the replies of one conversation after ?after=ID (the ones a list does not show): with htmx
// in place of the control that asked, otherwise as a page of its own. Like older conversations, each page is
// rendered once per change of the post: an id between two replies asks for the same page as the one before it.
func (h *Handlers) Replies(c *fiber.Ctx) error {
	snap := web.Current(c, h.cfg.Content)
	p, postID, err := web.LookupPost(c, snap)
	if err != nil {
		return err
	}
	top, err := h.cfg.Comments.FindComment(c.UserContext(), web.ParseID(c.Params("id")))
	if err != nil || top.PostID != postID || !top.TopLevel() || !(top.Visible() || top.Placeholder()) {
		return fiber.ErrNotFound
	}
	// Pages of replies begin after the first repo.ShownReplies, then every RepliesPerPage: an id anywhere in a
	// page asks for that page, so a conversation has as many pages to keep as it has pages, whatever ids a
	// reader sends.
	shown, after, err := h.cfg.Comments.RepliesThrough(c.UserContext(), top.ID, max(0, web.ParseID(c.Query("after"))))
	if err != nil {
		return err
	}
	if start := pageStart(shown); start != shown {
		if after, err = h.cfg.Comments.NthReply(c.UserContext(), top.ID, start); err != nil {
			return err
		}
		shown = start
	}
	l, err := h.cfg.Lists.Get(c.UserContext(), postID)
	if err != nil {
		return err
	}
	key := views.RepliesPath(p.Slug, top.ID, after) + variant(c)
	return h.cfg.Fragments.Serve(c, key, fmt.Sprintf("%d|%d", snap.Version(), l.View.Seq), 0, "", func() templ.Component {
		replies, err := h.cfg.Comments.FindReplies(c.UserContext(), top.ID, after, RepliesPerPage)
		if err != nil {
			return views.Failed(err)
		}
		more := max(0, top.Replies-shown-len(replies))
		if web.IsHTMX(c) {
			return views.RepliesItems(p.Slug, top.ID, replies, more)
		}
		return views.RepliesPage(h.chromeFor(c), p, top, replies, more)
	})
}

// RepliesPerPage is how many replies "show more replies" pages in at once.
const RepliesPerPage = 50

// pageStart is where the page of replies holding the one after the first n begins: after none, after the
// replies a list shows, or after a whole number of pages more.
func pageStart(n int) int {
	if n < repo.ShownReplies {
		return 0
	}
	return repo.ShownReplies + (n-repo.ShownReplies)/RepliesPerPage*RepliesPerPage
}

// variant tells apart, in the page cache, the htmx answer from the page of its own a list is without JavaScript.
func variant(c *fiber.Ctx) string {
	if web.IsHTMX(c) {
		return "#htmx"
	}
	return ""
}

// parentOf reads the form's parent field: the comment answered (0 for none), and a message when it cannot be
// answered. It fills in the form's parent, so a refused form still says what it answers.
func (h *Handlers) parentOf(c *fiber.Ctx, postID int64, form *views.FormView) (int64, string) {
	raw := c.FormValue("parent")
	if raw == "" {
		return 0, ""
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return 0, "The comment you are replying to does not exist."
	}
	pc, err := h.cfg.Comments.FindComment(c.UserContext(), id)
	switch {
	case err != nil:
		return 0, "The comment you are replying to does not exist."
	case pc.PostID != postID:
		return 0, "The comment you are replying to belongs to another post."
	case !pc.Visible():
		return 0, "The comment you are replying to was removed, so it cannot be answered."
	}
	form.ParentID, form.ParentName = pc.ID, pc.Username
	return pc.ID, ""
}

// Fresh answers a page whose stream fell too far behind (resync): the post's current list and count, with
// the feed sequence they reflect, which the page script puts in place of its own. The list reflects at least
// the sequence ?min= (the one the stream resumes after; never more than the post's feed holds): when this
// instance's kept list is older, it waits for the broker to bring it there, so the list is the one every reader
// shares, rendered once per change.
func (h *Handlers) Fresh(c *fiber.Ctx) error {
	snap := web.Current(c, h.cfg.Content)
	p, postID, err := web.LookupPost(c, snap)
	if err != nil {
		return err
	}
	v, err := h.PostView(c, p, postID, views.FormView{})
	if err != nil {
		return err
	}
	if want, err := strconv.ParseInt(c.Query("min"), 10, 64); err == nil && v.List.Seq < want {
		st, err := h.cfg.Comments.PostStamp(c.UserContext(), postID)
		if err != nil {
			return err
		}
		if want = min(want, st.Seq); v.List.Seq < want {
			web.Sync(c, h.cfg.Broker, postID, want)
			if v, err = h.PostView(c, p, postID, views.FormView{}); err != nil {
				return err
			}
		}
		if v.List.Seq < want {
			// The broker could not bring the list there in time: read it for this answer.
			l, err := h.cfg.Lists.Render(c.UserContext(), postID)
			if err != nil {
				return err
			}
			v.List = l.View
		}
	}
	if h.cfg.Elsewhere != nil {
		// A page that reloads its list after falling behind may have missed likes and reposts too (the list's
		// sequence, in the cache's key below, moves with them).
		v.Elsewhere = h.cfg.Elsewhere(c.UserContext(), postID)
	}
	if len(h.cfg.Mine.ForPost(c, postID)) > 0 {
		c.Set(fiber.HeaderCacheControl, "private, no-store") // with this visitor's own comments in it
		return views.Render(c, fiber.StatusOK, views.FreshList(v))
	}
	// The list every reader shares: compressed once per change and order, like the page.
	return h.cfg.Pages.Serve(c, c.Path()+"?order="+orderName(v.List.Order), fmt.Sprintf("%d|%d", snap.Version(), v.List.Seq), 0, "", func() templ.Component {
		return views.FreshList(v)
	})
}

// ownComments returns what the visitor's browser may do with its own comments on a post, by id (held ones it
// sees, recent ones it may edit), and its held comments themselves.
func (h *Handlers) ownComments(c *fiber.Ctx, postID int64) (map[int64]views.ItemOpts, []repo.Comment, error) {
	ids := h.cfg.Mine.ForPost(c, postID)
	if len(ids) == 0 {
		return nil, nil, nil
	}
	found, err := h.cfg.Comments.FindCommentsByID(c.UserContext(), ids)
	if err != nil {
		return nil, nil, err
	}
	own := map[int64]views.ItemOpts{}
	var held []repo.Comment
	for _, cm := range found {
		switch {
		case cm.PostID != postID:
		case repo.Held(cm.State):
			own[cm.ID] = views.ItemOpts{Held: true, Editable: h.mayChange(cm), Until: h.editUntil(cm)}
			held = append(held, cm)
		case cm.Visible() && h.mayChange(cm):
			own[cm.ID] = views.ItemOpts{Editable: true, Until: h.editUntil(cm)}
			// Put in its place too, in case the shared list has not caught up with it yet (an htmx post answers
			// before the broker has handed the comment to the lists): the author always sees their comment.
			held = append(held, cm)
		}
	}
	return own, held, nil
}

// withinWindow reports whether a comment is recent enough for its author to change it.
func (h *Handlers) withinWindow(c repo.Comment) bool {
	return time.Since(c.CreatedAt) < h.cfg.EditWindow
}

// editUntil is when the time to change a comment ends.
func (h *Handlers) editUntil(c repo.Comment) time.Time { return c.CreatedAt.Add(h.cfg.EditWindow) }

// mayChange reports whether a comment's author may still edit or delete it (the window is open and the owner
// has not acted on it; whether somebody answered is decided where the list is known).
func (h *Handlers) mayChange(c repo.Comment) bool { return h.withinWindow(c) && c.ModeratedAt == nil }

// Preview shows a comment as it will look, without posting it: with htmx into the form's preview area,
// otherwise as the post page with the form filled in and the preview in it.
func (h *Handlers) Preview(c *fiber.Ctx) error {
	p, postID, err := h.lookupPost(c)
	if err != nil {
		return err
	}
	in := repo.CommentInput{Username: "x", Email: "x@example.com", Body: strings.Clone(c.FormValue("body"))}.Normalize()
	status, html, notice := fiber.StatusOK, "", ""
	if ok, wait := h.previews.Allow(clientip.Key(h.cfg.Clients.Of(c)).String()); !ok {
		// Rendering is the costliest thing a reader can ask for by the text they send: bounded per client.
		h.cfg.Metrics.Refused("preview_rate")
		secs := strconv.Itoa(int(wait.Seconds()) + 1)
		c.Set(fiber.HeaderRetryAfter, secs)
		status, notice = fiber.StatusTooManyRequests, "You are asking for previews too quickly. Please wait "+secs+" seconds; your comment is kept."
		if web.IsHTMX(c) {
			return web.Refusal{Status: status, Msg: notice}
		}
	} else if msg := in.Validate()["body"]; msg == "" {
		html = string(richtext.Render(in.Body, repo.FormatMarkdown))
	}
	if web.IsHTMX(c) {
		if html == "" {
			return views.Render(c, fiber.StatusOK, views.PreviewEmpty())
		}
		return views.Render(c, fiber.StatusOK, views.Preview(html))
	}
	form := views.FormView{Slug: p.Slug, CSRFToken: csrf.Token(c), Stamp: strings.Clone(c.FormValue(formStampField)),
		Input: repo.CommentInput{Username: strings.Clone(c.FormValue("username")), Email: strings.Clone(c.FormValue("email")),
			Body: in.Body}, Preview: html, OfferNotify: h.cfg.MailReplies, Notify: h.cfg.MailReplies && c.FormValue("notify") != "",
		Notice: notice}
	h.parentOf(c, postID, &form)
	v, err := h.PostView(c, p, postID, form)
	if err != nil {
		return err
	}
	return views.Render(c, status, views.PostPage(h.chromeFor(c), v))
}
