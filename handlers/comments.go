package handlers

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"blog/csrf"
	"blog/repo"
	"blog/views"
)

// maxNewer is how many missing comments a comment's htmx answer adds to the page; a page further behind gets the
// whole list instead.
const maxNewer = 50

// honeypotField is a form field people never see or hear; software that fills every field fills it.
const honeypotField = "subject_line"

// createComment stores a comment. With htmx it answers with a fresh form and the updated list; as a plain form
// post it redirects to the new comment (post/redirect/get). Invalid input comes back with status 422, the
// visitor's text kept and a message beside each bad field, and nothing stored.
func (s *Server) createComment(c *fiber.Ctx) error {
	p, postID, err := s.lookupPost(c)
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
	form := views.FormView{Slug: p.Slug, Input: raw, CSRFToken: csrf.Token(c)}
	if c.FormValue(honeypotField) != "" {
		s.cfg.Metrics.Rejected("honeypot")
		// Answer as if it worked, so the sender learns nothing; store nothing.
		return s.commentAccepted(c, p.Slug, postID, 0, raw)
	}
	in := raw.Normalize()
	if form.Errors = in.Validate(); len(form.Errors) > 0 {
		s.cfg.Metrics.Rejected("invalid")
		return s.formError(c, fiber.StatusUnprocessableEntity, p.Slug, postID, form)
	}
	if ok, wait := s.limiter.Allow(s.clients.Of(c).String()); !ok {
		s.cfg.Metrics.Rejected("rate_limited")
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(wait.Seconds())+1))
		form.Notice = "You are posting too quickly. Please wait " + strconv.Itoa(int(wait.Seconds())+1) + " seconds and post again; your comment is kept."
		return s.formError(c, fiber.StatusTooManyRequests, p.Slug, postID, form)
	}
	comment, err := s.cfg.Comments.CreateComment(c.UserContext(), postID, in)
	if err != nil {
		return err
	}
	s.lists.added(comment)
	s.cfg.Broker.Committed(postID, comment.ID)
	s.cfg.Metrics.Posted()
	return s.commentAccepted(c, p.Slug, postID, comment.ID, in)
}

// formError answers a refused comment with the form as the visitor filled it and the messages: the form alone
// for htmx, the whole page otherwise.
func (s *Server) formError(c *fiber.Ctx, status int, slug string, postID int64, form views.FormView) error {
	if isHTMX(c) {
		return render(c, status, views.CommentForm(form))
	}
	p, _ := s.cfg.Library.PostBySlug(slug)
	v, err := s.postView(c, p, postID, form)
	if err != nil {
		return err
	}
	return render(c, status, views.PostPage(s.chromeFor(c), v))
}

// commentAccepted answers a stored comment: a redirect to it for a plain form, or for htmx the updated list and
// a form that keeps name and email and clears the text.
func (s *Server) commentAccepted(c *fiber.Ctx, slug string, postID, commentID int64, in repo.CommentInput) error {
	if !isHTMX(c) {
		target := views.PostPath(slug) + "#comments"
		if commentID > 0 {
			target = views.PostPath(slug) + "#" + views.CommentAnchor(commentID)
		}
		return c.Redirect(target, fiber.StatusSeeOther)
	}
	form := views.FormView{Slug: slug, Input: repo.CommentInput{Username: in.Username, Email: in.Email}, Posted: true,
		CSRFToken: csrf.Token(c)}
	// The page names the newest comment it shows: send just the ones it lacks, a few hundred bytes instead of
	// the whole list. Its list then stays complete up to the new comment, which the live stream relies on.
	if newest, err := strconv.ParseInt(c.Get("X-Newest-Comment"), 10, 64); err == nil && newest >= 0 && commentID > 0 {
		newer, err := s.cfg.Comments.FindComments(c.UserContext(), repo.CommentFilter{PostID: postID, AfterID: newest, Limit: maxNewer})
		if err != nil {
			return err
		}
		if len(newer) < maxNewer {
			total, err := s.cfg.Comments.CountComments(c.UserContext(), postID)
			if err != nil {
				return err
			}
			return render(c, fiber.StatusOK, views.PostedNewer(form, newer, total, time.Now()))
		}
	}
	list, err := s.lists.get(c.UserContext(), postID)
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.Posted(form, list))
}

// olderComments pages back through a post's comments older than ?before=ID: with htmx as items appended to the
// list, otherwise as a page of its own.
func (s *Server) olderComments(c *fiber.Ctx) error {
	p, postID, err := s.lookupPost(c)
	if err != nil {
		return err
	}
	before, err := strconv.ParseInt(c.Query("before"), 10, 64)
	if err != nil || before <= 0 {
		return fiber.NewError(fiber.StatusBadRequest, "before must be a comment id")
	}
	comments, err := s.cfg.Comments.FindComments(c.UserContext(), repo.CommentFilter{PostID: postID, BeforeID: before, Limit: MaxCommentsShown + 1})
	if err != nil {
		return err
	}
	var next int64
	if len(comments) > MaxCommentsShown {
		comments = comments[:MaxCommentsShown]
		next = comments[len(comments)-1].ID
	}
	if isHTMX(c) {
		return render(c, fiber.StatusOK, views.OlderItems(p.Slug, comments, next, time.Now()))
	}
	return render(c, fiber.StatusOK, views.OlderPage(s.chromeFor(c), p, comments, next, time.Now()))
}
