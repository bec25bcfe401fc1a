package handlers

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"blog/handlers/web"
	"blog/moderation"
	"blog/repo"
	"blog/views"
)

// The visitor's own comments: for EditWindow after posting, the browser that posted a comment (it holds a signed
// record of it, see authorship) may change or delete it, as long as nobody has answered it. Nothing to sign in to.

// ownComment finds the :id comment of the :slug post and checks that this browser may change it now. The error
// is a refusal with a plain sentence (403, 404 or 409), never a server error.
func (s *Server) ownComment(c *fiber.Ctx) (string, repo.Comment, error) {
	p, postID, err := s.lookupPost(c)
	if err != nil {
		return "", repo.Comment{}, err
	}
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return "", repo.Comment{}, fiber.ErrNotFound
	}
	cm, err := s.cfg.Comments.FindComment(c.UserContext(), id)
	if err != nil || cm.PostID != postID || cm.State == repo.StateDeleted {
		return "", repo.Comment{}, fiber.ErrNotFound
	}
	mine := false
	for _, e := range s.mine.Read(c) {
		mine = mine || e.ID == id
	}
	// A refusal comes with the comment, so an edit form can show it in place.
	notice := views.OwnNoticeID(id)
	switch {
	case !mine:
		return p.Slug, cm, web.Refusal{Status: fiber.StatusForbidden, Msg: "A comment can be changed only from the browser that posted it.", NoticeID: notice}
	case !s.withinWindow(cm):
		return p.Slug, cm, web.Refusal{Status: fiber.StatusForbidden,
			Msg: "The time to change this comment (" + minutes(s.cfg.EditWindow.Minutes()) + ") is over.", NoticeID: notice}
	}
	if cm.ModeratedAt != nil {
		return p.Slug, cm, web.Refusal{Status: fiber.StatusForbidden, Msg: errModerated, NoticeID: notice}
	}
	answered, err := s.cfg.Comments.Answered(c.UserContext(), id)
	if err != nil {
		return "", repo.Comment{}, err
	}
	if answered {
		return p.Slug, cm, web.Refusal{Status: fiber.StatusConflict, Msg: errAnswered, NoticeID: notice}
	}
	return p.Slug, cm, nil
}

// errModerated is the refusal for a comment the owner has acted on (approved, held, marked as spam).
const errModerated = "The blog's owner has reviewed this comment, so it can no longer be changed."

func minutes(m float64) string {
	if m == 1 {
		return "1 minute"
	}
	return strconv.Itoa(int(m)) + " minutes"
}

// errAnswered is the refusal for a comment somebody has replied to.
const errAnswered = "Somebody has replied to this comment, so it can no longer be changed."

// commentPart answers a comment's own address (GET): the comment as it shows, for htmx to put back after an edit
// is cancelled; without htmx, the post at the comment.
func (s *Server) commentPart(c *fiber.Ctx) error {
	p, postID, err := s.lookupPost(c)
	if err != nil {
		return err
	}
	if !web.IsHTMX(c) {
		return c.Redirect(views.PostPath(p.Slug)+"#"+views.CommentAnchor(web.ParseID(c.Params("id"))), fiber.StatusSeeOther)
	}
	cm, err := s.cfg.Comments.FindComment(c.UserContext(), web.ParseID(c.Params("id")))
	if err != nil || cm.PostID != postID {
		return fiber.ErrNotFound
	}
	own, _, err := s.ownComments(c, postID)
	if err != nil {
		return err
	}
	if !cm.Visible() && !own[cm.ID].Held {
		return fiber.ErrNotFound
	}
	c.Set(fiber.HeaderCacheControl, "private, no-cache") // with this browser's controls, or held for it alone
	return render(c, fiber.StatusOK, views.CommentPart(p.Slug, cm, own[cm.ID]))
}

// editForm shows the form that changes one's own comment: in place with htmx, on a page of its own otherwise.
func (s *Server) editForm(c *fiber.Ctx) error {
	slug, cm, err := s.ownComment(c)
	if err != nil {
		return err
	}
	return s.renderEdit(c, fiber.StatusOK, slug, cm, cm.Body, "")
}

func (s *Server) renderEdit(c *fiber.Ctx, status int, slug string, cm repo.Comment, body, msg string) error {
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	if web.IsHTMX(c) {
		return render(c, status, views.EditForm(slug, cm, body, msg))
	}
	p, _ := s.lib().PostBySlug(slug)
	return render(c, status, views.EditPage(s.chromeFor(c), p, cm, body, msg))
}

// editComment saves a new text for one's own comment. Every open page shows the change through the live stream;
// the comment says "edited", and the owner's console keeps the earlier text.
func (s *Server) editComment(c *fiber.Ctx) error {
	slug, cm, err := s.ownComment(c)
	in := repo.CommentInput{Username: cm.Username, Email: "x@example.com", Body: strings.Clone(c.FormValue("body"))}.Normalize()
	var refused web.Refusal
	if errors.As(err, &refused) && web.IsHTMX(c) {
		return s.renderEdit(c, refused.Status, slug, cm, in.Body, refused.Msg) // in the form, text kept
	}
	if err != nil {
		return err
	}
	if msg := in.Validate()["body"]; msg != "" {
		return s.renderEdit(c, fiber.StatusUnprocessableEntity, slug, cm, in.Body, msg)
	}
	addr := s.clients.Of(c)
	mine := s.mine.Read(c)
	edited, st, _, err := s.cfg.Moderation.EditOwn(c.UserContext(), moderation.OwnEdit{Comment: cm, Body: in.Body,
		IPHash: s.hasher.Address(addr), NetHash: s.hasher.Net(addr),
		Trusted: func(ctx context.Context) (bool, error) { return s.trustedBrowser(ctx, mine) }})
	switch {
	case errors.Is(err, repo.ErrHasReplies):
		return s.renderEdit(c, fiber.StatusConflict, slug, cm, in.Body, errAnswered)
	case errors.Is(err, repo.ErrModerated):
		return s.renderEdit(c, fiber.StatusForbidden, slug, cm, in.Body, errModerated)
	case err != nil:
		return err
	}
	web.Sync(c, s.cfg.Broker, cm.PostID, st.Seq)
	if !web.IsHTMX(c) {
		return c.Redirect(views.PostPath(slug)+"#"+views.CommentAnchor(cm.ID), fiber.StatusSeeOther)
	}
	edited.User = cm.User
	edited.ParentName = cm.ParentName
	return render(c, fiber.StatusOK, views.CommentPart(slug, edited, views.ItemOpts{Held: repo.Held(edited.State), Editable: true, Saved: true,
		Until: s.editUntil(edited)}))
}

// deleteOwn deletes one's own comment (it is removed from every open page by the live stream).
func (s *Server) deleteOwn(c *fiber.Ctx) error {
	slug, cm, err := s.ownComment(c)
	if err != nil {
		return err
	}
	moved, err := s.cfg.Moderation.DeleteOwn(c.UserContext(), cm.ID)
	notice := views.OwnNoticeID(cm.ID)
	switch {
	case errors.Is(err, repo.ErrHasReplies):
		return web.Refusal{Status: fiber.StatusConflict, Msg: errAnswered, NoticeID: notice}
	case errors.Is(err, repo.ErrModerated):
		return web.Refusal{Status: fiber.StatusForbidden, Msg: errModerated, NoticeID: notice}
	case err != nil:
		return err
	}
	if moved.ID > 0 {
		web.Sync(c, s.cfg.Broker, moved.PostID, moved.Stamp.Seq)
	}
	if !web.IsHTMX(c) {
		return c.Redirect(views.PostPath(slug)+"#comments", fiber.StatusSeeOther)
	}
	return c.SendStatus(fiber.StatusNoContent)
}
