// Package newsletter is posts by email: a reader subscribes (double opt-in: a mailed link opens a page whose
// button confirms), and when a post is first published every confirmed subscriber gets one mail with it,
// through notify's durable outbox, under the same bounds per mailbox as comment mail, with an unsubscribe in
// every mail (RFC 8058 one-click, and a page). "First published" is decided once for the whole blog: the
// announcement's row is unique per post and written in the transaction that queues the mail. No HTTP: the
// handlers and `web subscribers` call the same Service.
package newsletter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"blog/i18n"
	"blog/notify"
	"blog/publish"
	"blog/repo/outbox"
	"blog/repo/subscribers"
)

// The purposes of the newsletter's signed links (notify.Tokens): a token for comment mail is worthless here.
const (
	PurposeConfirm     = "letter-confirm"
	PurposeUnsubscribe = "letter-unsubscribe"
)

// Bounds on subscribe requests over 24 hours: a mailbox gets one confirmation mail, however often and however
// spelt it is typed in; one client address makes 5 requests and one network (IPv4 /24, IPv6 /64) 10, whatever
// addresses they name. Someone typing strangers' addresses makes the blog mail each of them once a day at most.
var Bounds = subscribers.Bounds{Mailbox: 1, Address: 5, Network: 10}

// Site is the current content with each post's id (publish.Store).
type Site interface {
	Current() *publish.Snapshot
}

// Config is what the service needs.
type Config struct {
	Store *subscribers.Store
	Site  Site
	// Mail says whether mail is configured (SMTP_URL): without it nobody can subscribe and nothing is announced.
	Mail      bool
	Tokens    notify.Tokens
	SiteTitle string
	BaseURL   string
	// Full sends whole posts (NEWSLETTER=full); otherwise the summary and a link (NEWSLETTER=summary).
	Full bool
	// Locale is the blog's language (SITE_LANG) for the mails; a post's own lang wins for its letter.
	Locale *i18n.Locale
	// PerMinute spreads a post's mail: one every minute/PerMinute, across instances (MAIL_PER_MINUTE).
	PerMinute int
	// Poll is how often the content is checked for new posts when nothing wakes the service.
	Poll time.Duration
	// Wake, when set, tells the outbox's worker that mail was queued (notify.Service.Wake).
	Wake func()
	Log  *slog.Logger
}

// Service carries out subscriptions and announces new posts.
type Service struct {
	cfg  Config
	wake chan struct{}

	mu      sync.Mutex
	letters map[int64]subscribers.Letter // the letters being sent, by post id (a few at most)
}

// New returns the service with defaults filled in.
func New(cfg Config) *Service {
	if cfg.PerMinute <= 0 {
		cfg.PerMinute = 600
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 2 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Service{cfg: cfg, wake: make(chan struct{}, 1), letters: map[int64]subscribers.Letter{}}
}

// CanSubscribe reports whether readers can subscribe (mail is configured).
func (s *Service) CanSubscribe() bool { return s.cfg.Mail }

// ErrTooMany is a client past its daily bound of subscribe requests.
var ErrTooMany = errors.New("too many subscribe requests from this connection today: please try again tomorrow")

// Subscribe asks an address to confirm, from a client (keyed hashes of its address and network). It answers the
// same whether a mail was queued or not (see subscribers.Store.Ask), so the answer tells nobody whether an
// address is subscribed. The caller validates the address first.
func (s *Service) Subscribe(ctx context.Context, email, ipHash, netHash string) error {
	if !s.cfg.Mail {
		return errors.New("newsletter: mail is not configured")
	}
	queued, err := s.cfg.Store.Ask(ctx, email, ipHash, netHash, Bounds, func() outbox.Message { return s.confirmMessage(email) })
	if errors.Is(err, subscribers.ErrTooMany) {
		return ErrTooMany
	}
	if queued && s.cfg.Wake != nil {
		s.cfg.Wake()
	}
	return err
}

// words is the language of a mail: a post's own (lang), or the blog's.
func (s *Service) words(lang string) *i18n.Locale {
	switch {
	case lang != "":
		return i18n.Shipped().For(lang)
	case s.cfg.Locale != nil:
		return s.cfg.Locale
	}
	return i18n.Shipped().For(i18n.Default)
}

// ConfirmFor is how long a confirmation link works.
const ConfirmFor = 7 * 24 * time.Hour

func (s *Service) url(path string) string { return strings.TrimRight(s.cfg.BaseURL, "/") + path }

// UnsubscribeURL is an address's unsubscribe link (valid for good): its page asks, its one-click POST acts.
func (s *Service) UnsubscribeURL(email string) string {
	return s.url("/newsletter/unsubscribe?t=" + url.QueryEscape(s.cfg.Tokens.Make(PurposeUnsubscribe, email, time.Time{})))
}

func (s *Service) confirmMessage(email string) outbox.Message {
	link := s.url("/newsletter/confirm?t=" + url.QueryEscape(s.cfg.Tokens.Make(PurposeConfirm, email, time.Now().Add(ConfirmFor))))
	unsub := s.UnsubscribeURL(email)
	site, w := s.cfg.SiteTitle, s.words("")
	intro, confirm, notYou := w.F("mail.letter_confirm_intro", "Site", site), w.T("mail.confirm_link"), w.T("mail.not_you")
	text := intro + "\n\n" + confirm + ": " + link + "\n\n" + notYou + "\n"
	h := fmt.Sprintf(`<!doctype html><html lang="%s" dir="%s"><head><meta charset="utf-8"><title>%s</title></head>`+
		`<body style="font-family: system-ui, sans-serif; line-height: 1.5; color: #1f2937; max-width: 36rem">`+
		`<p>%s</p><p><a href="%s" style="color: #1d4ed8">%s</a></p><p>%s</p></body></html>`,
		escape(w.Lang), w.Dir(), escape(w.T("mail.letter_confirm_subject")), escape(intro), escape(link), escape(confirm), escape(notYou))
	m := notify.Mail{To: email, Subject: "[" + site + "] " + w.T("mail.letter_confirm_subject"), Text: text, HTML: h, Unsubscribe: unsub}
	b, _ := json.Marshal(m)
	return outbox.Message{Kind: outbox.Mail, Dedupe: "letter-confirm:" + outbox.Mailbox(email) + ":" + strconv.FormatInt(time.Now().UnixNano(), 10),
		Recipient: strings.ToLower(email), Payload: string(b)}
}

// CheckToken returns the address a confirmation or unsubscribe token was made for.
func (s *Service) CheckToken(purpose, token string) (string, error) {
	return s.cfg.Tokens.Check(purpose, token, time.Now())
}

// Confirm confirms the mailbox of a checked token's address.
func (s *Service) Confirm(ctx context.Context, email string) error {
	return s.cfg.Store.Confirm(ctx, email)
}

// Unsubscribe ends the subscription of a checked token's address (its waiting post mail is dropped).
func (s *Service) Unsubscribe(ctx context.Context, email string) error {
	return s.cfg.Store.Unsubscribe(ctx, email)
}

// Wake makes the service look at the content now (after a reload).
func (s *Service) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run announces new posts until ctx ends: whenever the content changes (a desk post published or its scheduled
// time come, a file added), every post dated since the feature started that was not announced yet is.
func (s *Service) Run(ctx context.Context) {
	if !s.cfg.Mail {
		return
	}
	t := time.NewTicker(s.cfg.Poll)
	defer t.Stop()
	var seen *publish.Snapshot
	var started time.Time
	var announced map[int64]bool
	for {
		if announced == nil {
			var err error
			if started, err = s.cfg.Store.Started(ctx); err == nil {
				announced, err = s.cfg.Store.AnnouncedPosts(ctx)
			}
			if err != nil && ctx.Err() == nil {
				s.cfg.Log.Error("newsletter: read what was announced", "err", err)
			}
		}
		if snap := s.cfg.Site.Current(); announced != nil && snap != seen {
			if err := s.announce(ctx, snap, started, announced); err != nil {
				if ctx.Err() == nil {
					s.cfg.Log.Error("newsletter: announce new posts; trying again shortly", "err", err)
				}
			} else {
				seen = snap
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
		}
	}
}

// announce announces the snapshot's posts that are new since started and not announced yet.
func (s *Service) announce(ctx context.Context, snap *publish.Snapshot, started time.Time, announced map[int64]bool) error {
	every := time.Minute / time.Duration(s.cfg.PerMinute)
	// By the day: a file's date is usually a day (midnight), and a post written on the day the feature started
	// is new.
	since := started.UTC().Truncate(24 * time.Hour)
	for _, p := range snap.Lib.Posts {
		id, ok := snap.PostID(p.Slug)
		if !ok || announced[id] || p.Date.Before(since) {
			continue
		}
		letter := Letter(s.words(p.Lang), p, id, s.cfg.SiteTitle, s.cfg.BaseURL, s.cfg.Full)
		began := time.Now()
		n, made, err := s.cfg.Store.Announce(ctx, letter, every, func(sub subscribers.Subscriber) outbox.Message {
			return s.postMessage(id, sub)
		})
		if err != nil {
			return err
		}
		announced[id] = true
		if made {
			s.cfg.Log.Info("newsletter: post announced", "post", p.Slug, "mails", n,
				"took", time.Since(began).Round(time.Millisecond).String(), "sent_over", (time.Duration(n) * every).Round(time.Second).String())
			if n > 0 && s.cfg.Wake != nil {
				s.cfg.Wake()
			}
		}
	}
	return nil
}

// postMessage is one subscriber's outbox row for a post: the address, its unsubscribe link and the letter's
// name; Expand fills in the rest when it is sent.
func (s *Service) postMessage(postID int64, sub subscribers.Subscriber) outbox.Message {
	b, _ := json.Marshal(notify.Mail{To: sub.Email, Unsubscribe: s.UnsubscribeURL(sub.Email), Shared: "post:" + strconv.FormatInt(postID, 10)})
	return outbox.Message{Dedupe: "letter:" + strconv.FormatInt(postID, 10) + ":" + sub.Mailbox, Recipient: strings.ToLower(sub.Email), Payload: string(b)}
}

// Expand fills in a post's mail for one recipient (notify.Config.Expand): the letter, with their unsubscribe link.
func (s *Service) Expand(ctx context.Context, m notify.Mail) (notify.Mail, error) {
	id, err := strconv.ParseInt(strings.TrimPrefix(m.Shared, "post:"), 10, 64)
	if err != nil || !strings.HasPrefix(m.Shared, "post:") {
		return m, fmt.Errorf("newsletter: unknown shared body %q", m.Shared)
	}
	s.mu.Lock()
	l, ok := s.letters[id]
	s.mu.Unlock()
	if !ok {
		if l, err = s.cfg.Store.FindLetter(ctx, id); err != nil {
			return m, err
		}
		s.mu.Lock()
		if len(s.letters) >= 8 {
			clear(s.letters) // a few posts at a time are being sent; the rest are read again
		}
		s.letters[id] = l
		s.mu.Unlock()
	}
	m.Subject = l.Subject
	m.Text = strings.ReplaceAll(l.Text, subscribers.Unsubscribe, m.Unsubscribe)
	m.HTML = strings.ReplaceAll(l.HTML, subscribers.Unsubscribe, escape(m.Unsubscribe))
	m.Shared = ""
	return m, nil
}

func escape(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;")
	return r.Replace(s)
}
