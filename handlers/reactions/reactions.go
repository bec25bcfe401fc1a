// Package reactions serves a reader's press of a reaction under a comment or a post: a plain form post that
// comes back to the same place on the page, or with htmx the bar itself with the reader's own reactions
// marked. The rules (kinds, bans, the rate) are the reactions service's; the new counts reach every open page
// through the change feed, as everything a post page shows does.
package reactions

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"blog/authorship"
	"blog/handlers/web"
	"blog/publish"
	"blog/reactions"
	"blog/repo"
	"blog/repo/tallies"
	"blog/views"
)

// Service is what the handlers need from the reaction rules (reactions.Service).
type Service interface {
	Toggle(ctx context.Context, p reactions.Press) (tallies.Result, error)
}

var _ Service = (*reactions.Service)(nil)

// Content is the blog's current content.
type Content interface {
	Current() *publish.Snapshot
}

// Config is what the handlers are built from.
type Config struct {
	Content   Content
	Reactions Service
	// Broker is told at once about a press made here, so the page a plain form comes back to shows it.
	Broker web.Syncer
	Record *Signer
	// Mine reads the comments the reader's browser posted: a ban of their email applies to its reactions.
	Mine    *authorship.Signer
	Clients web.Clients
}

// Handlers serve reactions.
type Handlers struct{ cfg Config }

// New returns the handlers.
func New(cfg Config) *Handlers { return &Handlers{cfg: cfg} }

// Press gives or takes back the reader's reaction (form fields kind, and comment for a comment's).
func (h *Handlers) Press(c *fiber.Ctx) error {
	p, postID, err := web.LookupPost(c, web.Current(c, h.cfg.Content))
	if err != nil {
		return err
	}
	kind := strings.Clone(c.FormValue("kind"))
	var commentID int64
	if v := c.FormValue("comment"); v != "" {
		if commentID = web.ParseID(v); commentID == 0 {
			return web.Refusal{Status: fiber.StatusUnprocessableEntity, Msg: "That is not a comment of this post.", NoticeID: views.ReactionNoticeID(0)}
		}
	}
	rec := h.cfg.Record.Read(c)
	var authored []int64
	if h.cfg.Mine != nil {
		for _, e := range h.cfg.Mine.Read(c) {
			authored = append(authored, e.ID)
		}
	}
	g := Given{Slug: p.Slug, CommentID: commentID, Kind: kind}
	res, err := h.cfg.Reactions.Toggle(c.UserContext(), reactions.Press{PostID: postID, CommentID: commentID, Kind: kind,
		Reader: rec.Reader, Addr: h.cfg.Clients.Of(c), Authored: authored})
	var limited repo.RateLimitedError
	notice := views.ReactionNoticeID(commentID)
	switch {
	case errors.Is(err, reactions.ErrUnknownKind):
		return web.Refusal{Status: fiber.StatusUnprocessableEntity, Msg: "That is not one of the reactions.", NoticeID: notice}
	case errors.Is(err, reactions.ErrNotShown):
		return web.Refusal{Status: fiber.StatusConflict, Msg: "This comment is not shown, so it takes no reactions.", NoticeID: notice}
	case errors.Is(err, reactions.ErrBanned):
		return web.Refusal{Status: fiber.StatusForbidden, Msg: "Reactions from this address are not accepted.", NoticeID: notice}
	case errors.As(err, &limited):
		wait := strconv.Itoa(int(limited.Wait.Seconds()) + 1)
		c.Set(fiber.HeaderRetryAfter, wait)
		return web.Refusal{Status: fiber.StatusTooManyRequests, Msg: "You are reacting too quickly. Please wait " + wait + " seconds.", NoticeID: notice}
	case err != nil:
		return err
	}
	rec = rec.With(g, res.On)
	h.cfg.Record.Write(c, rec)
	if !web.IsHTMX(c) {
		// The page it comes back to must already show it; it opens where the reader was.
		web.Sync(c, h.cfg.Broker, postID, res.Stamp.Seq)
		anchor := "post-reactions"
		if commentID > 0 {
			anchor = views.CommentAnchor(commentID)
		}
		return c.Redirect(views.PostPath(p.Slug)+"#"+anchor, fiber.StatusSeeOther)
	}
	pressed := map[string]bool{}
	for _, k := range repo.ReactionKinds {
		pressed[k.Name] = rec.Has(Given{Slug: p.Slug, CommentID: commentID, Kind: k.Name})
	}
	said := "Reaction taken back."
	if res.On {
		said = "Reaction added."
	}
	return views.Render(c, fiber.StatusOK, views.ReactionAnswer(p.Slug, commentID, res.Tally, pressed, said))
}
