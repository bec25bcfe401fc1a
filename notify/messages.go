package notify

import (
	"fmt"
	"html"
	"net/url"
	"strconv"
	"strings"
	"time"

	"blog/i18n"
	"blog/repo"
)

// A message is a few blocks: paragraphs, quoted comment text, and links, written once and shown both as plain
// text and as HTML.
type block struct {
	Text  string
	Quote string
	Link  string
	Label string
}

func compose(to, subject, unsubscribe string, blocks []block) Mail {
	return composeIn(nil, to, subject, unsubscribe, blocks)
}

// composeIn is compose for a reader, in their language: the HTML says its lang and direction, and a quote's
// rule is on the side lines start from.
func composeIn(loc *i18n.Locale, to, subject, unsubscribe string, blocks []block) Mail {
	lang, dir, side := "en", "ltr", "left"
	if loc != nil {
		lang, dir = loc.Lang, loc.Dir()
		if dir == "rtl" {
			side = "right"
		}
	}
	var text strings.Builder
	for _, b := range blocks {
		switch {
		case b.Quote != "":
			for _, line := range strings.Split(b.Quote, "\n") {
				text.WriteString("> " + line + "\n")
			}
		case b.Link != "":
			text.WriteString(b.Label + ": " + b.Link + "\n")
		default:
			text.WriteString(b.Text + "\n")
		}
		text.WriteString("\n")
	}
	m := Mail{To: to, Subject: subject, Text: strings.TrimSpace(text.String()) + "\n", HTML: mailHTML(lang, dir, side, subject, blocks),
		Unsubscribe: unsubscribe}
	if loc != nil {
		m.Lang = loc.Lang
	}
	return m
}

// mailHTML is a message's HTML: the same blocks as its text, each value escaped where it stands, links only to
// web or mail addresses. Written out rather than with html/template: executing a template is the one use of
// reflection by method name in the blog, and that alone makes the linker keep every exported method of every
// type (3.5 MB of the binary, 2.5 MiB of its idle memory; TestBinaryStaysSmall).
func mailHTML(lang, dir, side, subject string, blocks []block) string {
	esc := html.EscapeString
	var b strings.Builder
	b.WriteString("<!doctype html>\n<html lang=\"" + esc(lang) + "\" dir=\"" + esc(dir) + "\"><head><meta charset=\"utf-8\"><title>" +
		esc(subject) + "</title></head>\n<body style=\"font-family: system-ui, sans-serif; line-height: 1.5; color: #1f2937; max-width: 36rem\">\n")
	for _, bl := range blocks {
		switch {
		case bl.Quote != "":
			b.WriteString("<blockquote dir=\"auto\" style=\"margin: 0 0 1em; padding-" + side + ": 1em; border-" + side +
				": 3px solid #d1d5db; white-space: pre-wrap\">" + esc(bl.Quote) + "</blockquote>\n")
		case bl.Link != "":
			b.WriteString("<p><a href=\"" + esc(webURL(bl.Link)) + "\" style=\"color: #1d4ed8\">" + esc(bl.Label) + "</a></p>\n")
		default:
			b.WriteString("<p>" + esc(bl.Text) + "</p>\n")
		}
	}
	b.WriteString("</body></html>\n")
	return b.String()
}

// escapeHTML is html.EscapeString, for functions with a variable named html.
var escapeHTML = html.EscapeString

// webURL is u when it is a web or mail address, and "#" otherwise (as html/template would have it).
func webURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "#"
	}
	switch strings.ToLower(p.Scheme) {
	case "http", "https", "mailto":
		return u
	}
	return "#"
}

// excerpt shortens a comment's text for a message.
func excerpt(s string, n int) string {
	r := []rune(strings.TrimSpace(s))
	if len(r) <= n {
		return string(r)
	}
	return strings.TrimSpace(string(r[:n])) + "…"
}

// post is what a message says about the post a comment is on.
// post is the post a message is about: its address, its title and the language it declares ("" for the
// blog's).
type post struct{ Slug, Title, Lang string }

func (s *Service) url(path string) string { return strings.TrimRight(s.cfg.BaseURL, "/") + path }

func (s *Service) commentURL(p post, id int64) string {
	return s.url("/posts/" + url.PathEscape(p.Slug) + "#comment-" + strconv.FormatInt(id, 10))
}

// reviewURL opens the console on one comment; the console's buttons act (by POST) only when used.
func (s *Service) reviewURL(id int64) string { return s.url("/admin?id=" + strconv.FormatInt(id, 10)) }

func (s *Service) subject(what string) string { return "[" + s.cfg.SiteTitle + "] " + what }

// heldMail tells the owner a comment waits for them.
func (s *Service) heldMail(c repo.Comment, p post) Mail {
	reason := c.Reason
	if reason == "" {
		reason = c.State
	}
	return compose(s.cfg.OwnerEmail, s.subject(fmt.Sprintf("Comment held for review on “%s”", p.Title)), "", []block{
		{Text: fmt.Sprintf("%s (%s) commented on “%s”. It is held (%s) and nobody else sees it until you approve it.",
			c.Username, c.User.Email, p.Title, reason)},
		{Quote: excerpt(c.Body, 2000)},
		{Link: s.reviewURL(c.ID), Label: "Review it: approve, mark as spam or delete"},
	})
}

// newMail tells the owner about a published comment.
func (s *Service) newMail(c repo.Comment, p post) Mail {
	return compose(s.cfg.OwnerEmail, s.subject(fmt.Sprintf("New comment on “%s”", p.Title)), "", []block{
		{Text: fmt.Sprintf("%s (%s) commented on “%s”.", c.Username, c.User.Email, p.Title)},
		{Quote: excerpt(c.Body, 2000)},
		{Link: s.commentURL(p, c.ID), Label: "Read it on the page"},
		{Link: s.reviewURL(c.ID), Label: "Moderate it"},
	})
}

// words is the language of the mails readers get about a post: the post's own when it declares one, else the
// blog's.
func (s *Service) words(p post) *i18n.Locale {
	if p.Lang != "" {
		return i18n.Shipped().For(p.Lang)
	}
	if s.cfg.Locale != nil {
		return s.cfg.Locale
	}
	return i18n.Shipped().For(i18n.Default)
}

// replyMail tells a commenter that someone answered them.
func (s *Service) replyMail(c, parent repo.Comment, p post) Mail {
	unsub := s.unsubscribeURL(parent.User.Email)
	w, site := s.words(p), s.cfg.SiteTitle
	return composeIn(w, parent.User.Email, s.subject(w.F("mail.reply_subject", "Name", c.Byline(), "Title", p.Title)), unsub, []block{
		{Text: w.F("mail.reply_intro", "Name", c.Byline(), "Title", p.Title)},
		{Quote: excerpt(c.Body, 2000)},
		{Text: w.T("mail.you_wrote")},
		{Quote: excerpt(parent.Body, 400)},
		{Link: s.commentURL(p, c.ID), Label: w.T("mail.read_answer")},
		{Text: w.F("mail.reply_why", "Site", site)},
		{Link: unsub, Label: w.F("mail.stop_all", "Site", site)},
	})
}

// confirmMail asks a commenter to confirm their address before any reply notification is sent to it.
func (s *Service) confirmMail(c repo.Comment, p post) Mail {
	email := c.User.Email
	unsub := s.unsubscribeURL(email)
	confirm := s.url("/notify/confirm?t=" + url.QueryEscape(s.cfg.Tokens.Make(PurposeConfirm, email, time.Now().Add(ConfirmFor))))
	w, site := s.words(p), s.cfg.SiteTitle
	return composeIn(w, email, s.subject(w.T("mail.confirm_subject")), unsub, []block{
		{Text: w.F("mail.confirm_intro", "Title", p.Title, "Site", site)},
		{Link: confirm, Label: w.T("mail.confirm_link")},
		{Text: w.T("mail.not_you")},
		{Link: unsub, Label: w.F("mail.never", "Site", site)},
	})
}

func (s *Service) unsubscribeURL(email string) string {
	return s.url("/notify/unsubscribe?t=" + url.QueryEscape(s.cfg.Tokens.Make(PurposeUnsubscribe, email, time.Time{})))
}

// digest puts several messages to one recipient into one. The owner's is English, as their mails are; a
// reader's is introduced in the language of the mails it gathers (the blog's when they differ).
func (s *Service) digest(ms []Mail) Mail {
	if len(ms) == 1 {
		return ms[0]
	}
	out := Mail{To: ms[0].To, Subject: s.subject(fmt.Sprintf("%d notifications", len(ms)))}
	lang, dir := "en", "ltr"
	if !strings.EqualFold(out.To, s.cfg.OwnerEmail) {
		w := s.words(post{Lang: ms[0].Lang})
		for _, m := range ms[1:] {
			if m.Lang != ms[0].Lang {
				w = s.words(post{})
			}
		}
		out.Subject = s.subject(w.N("mail.notifications", len(ms)))
		out.Lang, lang, dir = w.Lang, w.Lang, w.Dir()
	}
	var text, html strings.Builder
	html.WriteString("<!doctype html><html lang=\"" + escapeHTML(lang) + "\" dir=\"" + dir + "\"><head><meta charset=\"utf-8\"><title>" + escapeHTML(out.Subject) + "</title></head><body>")
	for i, m := range ms {
		if i > 0 {
			text.WriteString("\n----------------------------------------\n\n")
			html.WriteString("<hr>")
		}
		text.WriteString(m.Subject + "\n\n" + m.Text)
		html.WriteString("<h2 style=\"font: 600 1.1em system-ui, sans-serif\">" + escapeHTML(m.Subject) + "</h2>")
		if body := m.HTML; body != "" {
			if i := strings.Index(body, "<body"); i >= 0 {
				body = body[strings.Index(body[i:], ">")+i+1:]
			}
			html.WriteString(strings.TrimSuffix(strings.TrimSpace(body), "</body></html>"))
		}
		if m.Unsubscribe != "" {
			out.Unsubscribe = m.Unsubscribe
		}
	}
	html.WriteString("</body></html>")
	out.Text, out.HTML = text.String(), html.String()
	return out
}
