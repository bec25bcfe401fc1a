// Package people is what a commenter (and the owner, for them) can do about the data the blog holds on an email
// address: ask for a signed link mailed to it, download everything held (the user row, the comments in every
// state with their earlier texts, the mail subscription and the messages), and erase it. Erasing goes through
// moderation, the one door for every change of a comment's state; the mail goes through notify's outbox. No
// HTTP: the handlers, the console and `web people` call the same Service.
package people

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	"blog/repo"
	"blog/repo/outbox"
	"blog/repo/review"
	"blog/repo/subscribers"
)

// Moderation is what people needs from the moderation service.
type Moderation interface {
	Commenter(ctx context.Context, email string) (review.Commenter, error)
	EraseCommenter(ctx context.Context, actor, email string) (review.Erased, error)
}

// Mailboxes is what people needs from the notification store.
type Mailboxes interface {
	MailboxData(ctx context.Context, email string) (outbox.Held, error)
	Forget(ctx context.Context, email string, commentIDs []int64) (int, error)
	AddDataRequest(ctx context.Context, r outbox.DataRequest, b outbox.RequestBounds) error
}

var _ Mailboxes = (*outbox.Notifications)(nil)

// Subscriptions finds and forgets an address's subscription to new posts by email (subscribers.Store).
type Subscriptions interface {
	Find(ctx context.Context, email string) (subscribers.Subscriber, bool, error)
	Forget(ctx context.Context, email string) (int, error)
}

// Mailer mails an address the signed link to its data page (notify.Service).
type Mailer interface {
	MailDataLink(ctx context.Context, email string) error
}

// Bounds is how many links a day may be asked for: about one mailbox, from one client address, from one network
// (an IPv4 /24, an IPv6 /64). A person needs one or two; a client typing strangers' addresses reaches at most
// Address of them a day, and a mailbox gets at most Mailbox links a day however many clients ask.
var Bounds = outbox.RequestBounds{Mailbox: 3, Address: 5, Network: 10}

// Service carries out the requests.
type Service struct {
	Moderation Moderation
	Mailboxes  Mailboxes
	// Subscriptions, when set, is posts by email: an erasure removes the address's subscription too.
	Subscriptions Subscriptions
	// Mailer is nil when mail is not configured: links cannot be asked for (the owner can still export and erase).
	Mailer Mailer
	// Key keys the hash under which a request remembers the mailbox it named (for the bounds, one day).
	Key []byte
}

// ErrTooMany is a client past its daily bound of requests.
var ErrTooMany = errors.New("too many requests from this connection today: please try again tomorrow")

// CanMail reports whether links can be mailed at all.
func (s *Service) CanMail() bool { return s.Mailer != nil }

// Request asks for the link to an address's data page, from a client (keyed hashes of its address and network).
// Whatever the address, it answers the same: nil, or ErrTooMany when the client is past its bound (which counts
// every request alike). The mail goes only to an address the blog holds something about, and at most
// Bounds.Mailbox times a day; past that, silently nothing. The caller validates the address first.
func (s *Service) Request(ctx context.Context, email, ipHash, netHash string) error {
	if s.Mailer == nil {
		return errors.New("people: mail is not configured")
	}
	err := s.Mailboxes.AddDataRequest(ctx, outbox.DataRequest{MailboxHash: s.mailboxHash(email), IPHash: ipHash, NetHash: netHash}, Bounds)
	if errors.Is(err, outbox.ErrTooManyRequests) {
		return ErrTooMany
	}
	if errors.Is(err, outbox.ErrMailboxBound) {
		return nil
	}
	if err != nil {
		return err
	}
	held, err := s.Held(ctx, email)
	if err != nil || held.Empty() {
		return err
	}
	return s.Mailer.MailDataLink(ctx, email)
}

func (s *Service) mailboxHash(email string) string {
	m := hmac.New(sha256.New, s.Key)
	m.Write([]byte("mailbox:" + outbox.Mailbox(email)))
	return hex.EncodeToString(m.Sum(nil)[:24])
}

// Held is everything the blog holds about one address.
type Held struct {
	Email     string
	Commenter review.Commenter
	Mail      outbox.Held
	// Posts is the address's subscription to new posts by email (nil: none).
	Posts *subscribers.Subscriber
}

// Empty reports an address the blog holds nothing about.
func (h Held) Empty() bool {
	return h.Commenter.User == nil && h.Mail.Subscriber == nil && len(h.Mail.Messages) == 0 && h.Posts == nil
}

// Held returns everything held about an address.
func (s *Service) Held(ctx context.Context, email string) (Held, error) {
	c, err := s.Moderation.Commenter(ctx, email)
	if err != nil {
		return Held{}, err
	}
	m, err := s.Mailboxes.MailboxData(ctx, email)
	if err != nil {
		return Held{}, err
	}
	h := Held{Email: email, Commenter: c, Mail: m}
	if s.Subscriptions != nil {
		sub, ok, err := s.Subscriptions.Find(ctx, email)
		if err != nil {
			return Held{}, err
		}
		if ok {
			h.Posts = &sub
		}
	}
	return h, nil
}

// Result is what an erasure removed.
type Result struct {
	Comments int
	// Messages counts the mail subscription and the outbox messages removed.
	Messages int
	User     bool
}

// Erase removes everything held about an address: its messages and subscription first (with the messages about
// its comments), then its comments and user row through moderation, whose changes reach open pages through the
// change feed. An erasure stopped between the two is finished by running it again. actor is repo.ActorAuthor
// (the signed link), repo.ActorOwner or repo.ActorCLI.
func (s *Service) Erase(ctx context.Context, actor, email string) (Result, error) {
	held, err := s.Moderation.Commenter(ctx, email)
	if err != nil {
		return Result{}, err
	}
	ids := make([]int64, len(held.Comments))
	for i, c := range held.Comments {
		ids[i] = c.ID
	}
	n, err := s.Mailboxes.Forget(ctx, email, ids)
	if err != nil {
		return Result{}, err
	}
	if s.Subscriptions != nil {
		m, err := s.Subscriptions.Forget(ctx, email)
		if err != nil {
			return Result{Messages: n}, err
		}
		n += m
	}
	erased, err := s.Moderation.EraseCommenter(ctx, actor, email)
	if err != nil {
		return Result{Messages: n}, err
	}
	return Result{Comments: erased.Comments, Messages: n, User: erased.User}, nil
}

// ValidEmail reports whether text is an address one could comment with (the comment form's rule), and returns
// it as stored: trimmed, in lower case.
func ValidEmail(text string) (string, bool) {
	in := repo.CommentInput{Username: "x", Email: text, Body: "x"}.Normalize()
	return in.Email, in.Validate()["email"] == ""
}

// unix is a time for the export (UTC, or nil).
func when(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
