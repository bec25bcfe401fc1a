package handlers

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"blog/authorship"
	"blog/csrf"
	"blog/moderation"
	"blog/repo"
	"blog/spam"
	"blog/views"
)

// honeypotField is a form field people never see or hear; software that fills every field fills it.
const honeypotField = "subject_line"

// createComment stores a comment, published or held for the owner as the screener decides. With htmx it answers
// with a fresh form and the new comment; as a plain form post it redirects to the new comment
// (post/redirect/get). Invalid input comes back with status 422, the visitor's text kept and a message beside
// each bad field, and nothing stored. The browser that posted keeps a signed record of its comment, so a held
// comment is shown to its author.
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
	form := views.FormView{Slug: p.Slug, Input: raw, CSRFToken: csrf.Token(c), Stamp: s.stamps.Stamp(time.Now())}
	if c.FormValue(honeypotField) != "" {
		s.cfg.Metrics.Rejected("honeypot")
		// Answer as if it worked, so the sender learns nothing; store nothing.
		return s.commentAccepted(c, p.Slug, repo.Comment{}, repo.Stamp{}, raw)
	}
	in := raw.Normalize()
	if form.Errors = in.Validate(); len(form.Errors) > 0 {
		s.cfg.Metrics.Rejected("invalid")
		return s.formError(c, fiber.StatusUnprocessableEntity, p.Slug, postID, form)
	}
	age, stamped := s.stamps.Age(c.FormValue(formStampField), time.Now())
	sub := spam.Submission{Name: in.Username, Body: in.Body, FormAge: age, FormValid: stamped}
	if stamped && age > s.cfg.FormMaxAge {
		// A page left open for a day: not spam, just stale. The text is kept; the new form carries a new stamp.
		s.cfg.Metrics.Rejected("form_too_old")
		form.Notice = "This page was open for a long time, so your comment was not posted yet. It is kept below: please post it again."
		return s.formError(c, fiber.StatusUnprocessableEntity, p.Slug, postID, form)
	}
	addr := s.clients.Of(c)
	n := repo.NewComment{PostID: postID, Input: in, IPHash: s.hasher.Address(addr), NetHash: s.hasher.Net(addr)}
	if r := s.cfg.RateLimit; r.Every > 0 {
		// Counted in the database, so instances share it; an IPv6 /64 counts as one client (its net hash).
		n.Limit = &repo.RateLimit{ByNet: addr.Is6(), Hash: n.IPHash, Max: r.Burst, Window: time.Duration(r.Burst) * r.Every}
		if addr.Is6() {
			n.Limit.Hash = n.NetHash
		}
	}
	trusted, err := s.trustedBrowser(c)
	if err != nil {
		return err
	}
	decision, err := s.cfg.Screener.Screen(c.UserContext(), moderation.Candidate{Email: in.Email, IPHash: n.IPHash,
		NetHash: n.NetHash, Submission: sub, Trusted: trusted})
	if err != nil {
		return err
	}
	n.State, n.Reason = decision.State, decision.Reason
	comment, st, err := s.cfg.Comments.CreateComment(c.UserContext(), n)
	var limited repo.RateLimitedError
	if errors.As(err, &limited) {
		s.cfg.Metrics.Rejected("rate_limited")
		wait := strconv.Itoa(int(limited.Wait.Seconds()) + 1)
		c.Set(fiber.HeaderRetryAfter, wait)
		form.Notice = "You are posting too quickly. Please wait " + wait + " seconds and post again; your comment is kept."
		return s.formError(c, fiber.StatusTooManyRequests, p.Slug, postID, form)
	}
	if err != nil {
		return err
	}
	// Waits until this instance's streams and cached list have the change, so the poster's next page shows it.
	sctx, cancel := context.WithTimeout(c.UserContext(), syncTimeout)
	s.cfg.Broker.Sync(sctx, postID, st.Seq)
	cancel()
	s.mine.Add(c, authorship.Entry{ID: comment.ID, PostID: postID, At: comment.CreatedAt})
	s.cfg.Metrics.Posted()
	if !comment.Visible() {
		s.cfg.Metrics.Held(decision.Kind)
	}
	return s.commentAccepted(c, p.Slug, comment, st, in)
}

// formStampField carries the form's signed timestamp (spam.Stamper).
const formStampField = "_t"

// trustedBrowser reports whether the posting browser holds a signed record of a comment the owner published:
// its commenter has been approved once (MODERATION=first trusts the browser, never the unverified email).
func (s *Server) trustedBrowser(c *fiber.Ctx) (bool, error) {
	var ids []int64
	for _, e := range s.mine.Read(c) {
		ids = append(ids, e.ID)
	}
	if len(ids) == 0 {
		return false, nil
	}
	mine, err := s.cfg.Comments.FindCommentsByID(c.UserContext(), ids)
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

// commentAccepted answers a stored comment: a redirect to it for a plain form, or for htmx a form that keeps name
// and email and clears the text, with the new comment for the top of the list. The live stream brings the rest.
// A zero comment (the honeypot's answer) gets the same answer with no comment.
func (s *Server) commentAccepted(c *fiber.Ctx, slug string, comment repo.Comment, st repo.Stamp, in repo.CommentInput) error {
	if !isHTMX(c) {
		target := views.PostPath(slug) + "#comments"
		if comment.ID > 0 {
			target = views.PostPath(slug) + "#" + views.CommentAnchor(comment.ID)
		}
		return c.Redirect(target, fiber.StatusSeeOther)
	}
	form := views.FormView{Slug: slug, Input: repo.CommentInput{Username: in.Username, Email: in.Email}, Posted: true,
		Held: comment.ID > 0 && !comment.Visible(), CSRFToken: csrf.Token(c), Stamp: s.stamps.Stamp(time.Now())}
	if comment.ID == 0 {
		return render(c, fiber.StatusOK, views.CommentForm(form))
	}
	return render(c, fiber.StatusOK, views.Posted(form, comment, st.Count))
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
		return render(c, fiber.StatusOK, views.OlderItems(p.Slug, comments, next))
	}
	return render(c, fiber.StatusOK, views.OlderPage(s.chromeFor(c), p, comments, next))
}

// commentList answers a page whose stream fell too far behind (resync): the post's current list and count, with
// the feed sequence they reflect, which the page script puts in place of its own. The list reflects at least
// the sequence ?min= (the one the stream resumes after), read from the database if this instance's copy is
// older.
func (s *Server) commentList(c *fiber.Ctx) error {
	p, postID, err := s.lookupPost(c)
	if err != nil {
		return err
	}
	v, err := s.postView(c, p, postID, views.FormView{})
	if err != nil {
		return err
	}
	if min, err := strconv.ParseInt(c.Query("min"), 10, 64); err == nil && v.List.Seq < min {
		l, err := s.lists.render(c.UserContext(), postID)
		if err != nil {
			return err
		}
		v.List = l.view
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return render(c, fiber.StatusOK, views.FreshList(v))
}

// heldFor returns the comments of a post that this browser posted and that still wait for the owner.
func (s *Server) heldFor(c *fiber.Ctx, postID int64) ([]repo.Comment, error) {
	ids := s.mine.ForPost(c, postID)
	if len(ids) == 0 {
		return nil, nil
	}
	found, err := s.cfg.Comments.FindCommentsByID(c.UserContext(), ids)
	if err != nil {
		return nil, err
	}
	held := found[:0]
	for _, cm := range found {
		if cm.PostID == postID && repo.Held(cm.State) {
			held = append(held, cm)
		}
	}
	return held, nil
}

// syncTimeout bounds how long a write waits for this instance to take in its own change.
const syncTimeout = 2 * time.Second
