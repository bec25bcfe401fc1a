package comments

import (
	"context"
	"errors"
	"math"
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
func (h *Handlers) ownComment(c *fiber.Ctx) (string, repo.Comment, error) {
	p, postID, err := h.lookupPost(c)
	if err != nil {
		return "", repo.Comment{}, err
	}
	id := web.ParseID(c.Params("id"))
	if id == 0 {
		return "", repo.Comment{}, fiber.ErrNotFound
	}
	cm, err := h.cfg.Comments.FindComment(c.UserContext(), id)
	if err != nil || cm.PostID != postID || cm.State == repo.StateDeleted {
		return "", repo.Comment{}, fiber.ErrNotFound
	}
	mine := false
	for _, e := range h.cfg.Mine.Read(c) {
		mine = mine || e.ID == id
	}
	// A refusal comes with the comment, so an edit form can show it in place.
	notice := views.OwnNoticeID(id)
	switch {
	case !mine:
		return p.Slug, cm, web.Refusal{Status: fiber.StatusForbidden, Msg: "A comment can be changed only from the browser that posted it.", NoticeID: notice}
	case !h.withinWindow(cm):
		return p.Slug, cm, web.Refusal{Status: fiber.StatusForbidden,
			Msg: "The time to change this comment (" + minutes(h.cfg.EditWindow.Minutes()) + ") is over.", NoticeID: notice}
	}
	if cm.ModeratedAt != nil {
		return p.Slug, cm, web.Refusal{Status: fiber.StatusForbidden, Msg: errModerated, NoticeID: notice}
	}
	answered, err := h.cfg.Comments.Answered(c.UserContext(), id)
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

// minutes writes the edit window in whole minutes (at least one), in the English form the catalogues find it
// by ([says.edit_over]), so a window of 90 seconds says "2 minutes", never "1 minutes".
func minutes(m float64) string {
	n := max(1, int(math.Round(m)))
	if n == 1 {
		return "1 minute"
	}
	return strconv.Itoa(n) + " minutes"
}

// errAnswered is the refusal for a comment somebody has replied to.
const errAnswered = "Somebody has replied to this comment, so it can no longer be changed."

// Part answers a comment's own address (GET): the comment as it shows, for htmx to put back after an edit
// is cancelled; without htmx, the post at the comment.
func (h *Handlers) Part(c *fiber.Ctx) error {
	p, postID, err := h.lookupPost(c)
	if err != nil {
		return err
	}
	if !web.IsHTMX(c) {
		return c.Redirect(views.PostPath(p.Slug)+"#"+views.CommentAnchor(web.ParseID(c.Params("id"))), fiber.StatusSeeOther)
	}
	cm, err := h.cfg.Comments.FindComment(c.UserContext(), web.ParseID(c.Params("id")))
	if err != nil || cm.PostID != postID {
		return fiber.ErrNotFound
	}
	own, _, err := h.ownComments(c, postID)
	if err != nil {
		return err
	}
	if !cm.Visible() && !own[cm.ID].Held {
		return fiber.ErrNotFound
	}
	c.Set(fiber.HeaderCacheControl, "private, no-cache") // with this browser's controls, or held for it alone
	return views.Render(c, fiber.StatusOK, views.CommentPart(p.Slug, cm, own[cm.ID]))
}

// EditForm shows the form that changes one's own comment: in place with htmx, on a page of its own otherwise.
func (h *Handlers) EditForm(c *fiber.Ctx) error {
	slug, cm, err := h.ownComment(c)
	if err != nil {
		return err
	}
	return h.renderEdit(c, fiber.StatusOK, slug, cm, cm.Body, "")
}

func (h *Handlers) renderEdit(c *fiber.Ctx, status int, slug string, cm repo.Comment, body, msg string) error {
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	if web.IsHTMX(c) {
		return views.Render(c, status, views.EditForm(slug, cm, body, msg))
	}
	lib := h.lib(c)
	p, _ := lib.PostBySlug(slug)
	return views.Render(c, status, views.EditPage(h.chromeFor(c), p, cm, body, msg))
}

// Edit saves a new text for one's own comment. Every open page shows the change through the live stream;
// the comment says "edited", and the owner's console keeps the earlier text.
func (h *Handlers) Edit(c *fiber.Ctx) error {
	slug, cm, err := h.ownComment(c)
	in := repo.CommentInput{Username: cm.Username, Email: "x@example.com", Body: strings.Clone(c.FormValue("body"))}.Normalize()
	var refused web.Refusal
	if errors.As(err, &refused) && web.IsHTMX(c) {
		return h.renderEdit(c, refused.Status, slug, cm, in.Body, refused.Msg) // in the form, text kept
	}
	if err != nil {
		return err
	}
	if msg := in.Validate()["body"]; msg != "" {
		return h.renderEdit(c, fiber.StatusUnprocessableEntity, slug, cm, in.Body, msg)
	}
	addr := h.cfg.Clients.Of(c)
	mine := h.cfg.Mine.Read(c)
	edited, st, _, err := h.cfg.Moderation.EditOwn(c.UserContext(), moderation.OwnEdit{Comment: cm, Body: in.Body,
		IPHash: h.cfg.Hasher.Address(addr), NetHash: h.cfg.Hasher.Net(addr),
		Trusted: func(ctx context.Context) (bool, error) { return h.trustedBrowser(ctx, mine) }})
	switch {
	case errors.Is(err, repo.ErrHasReplies):
		return h.renderEdit(c, fiber.StatusConflict, slug, cm, in.Body, errAnswered)
	case errors.Is(err, repo.ErrModerated):
		return h.renderEdit(c, fiber.StatusForbidden, slug, cm, in.Body, errModerated)
	case err != nil:
		return err
	}
	web.Sync(c, h.cfg.Broker, cm.PostID, st.Seq)
	if !web.IsHTMX(c) {
		return c.Redirect(views.PostPath(slug)+"#"+views.CommentAnchor(cm.ID), fiber.StatusSeeOther)
	}
	edited.User = cm.User
	edited.ParentName = cm.ParentName
	return views.Render(c, fiber.StatusOK, views.CommentPart(slug, edited, views.ItemOpts{Held: repo.Held(edited.State), Editable: true, Saved: true,
		Until: h.editUntil(edited)}))
}

// Delete deletes one's own comment (it is removed from every open page by the live stream).
func (h *Handlers) Delete(c *fiber.Ctx) error {
	slug, cm, err := h.ownComment(c)
	if err != nil {
		return err
	}
	moved, err := h.cfg.Moderation.DeleteOwn(c.UserContext(), cm.ID)
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
		web.Sync(c, h.cfg.Broker, moved.PostID, moved.Stamp.Seq)
	}
	if !web.IsHTMX(c) {
		return c.Redirect(views.PostPath(slug)+"#comments", fiber.StatusSeeOther)
	}
	return c.SendStatus(fiber.StatusNoContent)
}
