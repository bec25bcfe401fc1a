package handlers

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"blog/repo"
	"blog/views"
)

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
	in := raw.Normalize()
	if errs := in.Validate(); len(errs) > 0 {
		form := views.FormView{Slug: p.Slug, Input: raw, Errors: errs}
		if isHTMX(c) {
			return render(c, fiber.StatusUnprocessableEntity, views.CommentForm(form))
		}
		v, err := s.postView(c, p, postID, form)
		if err != nil {
			return err
		}
		return render(c, fiber.StatusUnprocessableEntity, views.PostPage(s.chrome, v))
	}
	comment, err := s.cfg.Comments.CreateComment(c.UserContext(), postID, in)
	if err != nil {
		return err
	}
	s.cfg.Broker.Committed(postID, comment.ID)
	if !isHTMX(c) {
		return c.Redirect(views.PostPath(p.Slug)+"#"+views.CommentAnchor(comment.ID), fiber.StatusSeeOther)
	}
	comments, total, err := s.commentsOf(c, postID)
	if err != nil {
		return err
	}
	// Keep name and email for the next comment; clear the text.
	form := views.FormView{Slug: p.Slug, Input: repo.CommentInput{Username: in.Username, Email: in.Email}, Posted: true}
	c.Set("HX-Trigger", `{"commentPosted":{"id":`+strconv.FormatInt(comment.ID, 10)+`}}`)
	return render(c, fiber.StatusOK, views.Posted(form, comments, total, time.Now()))
}
