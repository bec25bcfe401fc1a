// Package notify tells people about comments: the owner by email (each held comment, optionally each new one,
// or a digest), commenters who asked for it about replies (after confirming their address), and a webhook.
// Every message goes through a durable outbox in the database: the change feed is turned into messages in the
// same transaction that moves a cursor, and a worker on every instance claims due messages, sends them and marks
// them sent, so a restart or an outage loses nothing and an instance never sends what another one claimed.
package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"blog/i18n"
	"blog/observe"
	"blog/repo"
	"blog/repo/discussion"
	"blog/repo/outbox"
	"blog/repo/subscribers"
	"blog/tlsroots"
)

// Config is what the service needs.
type Config struct {
	Store    *outbox.Notifications
	Comments *discussion.Comments
	// Post names a post by id (slug and title), for messages.
	Post func(postID int64) (slug, title string)
	// PostLang is the language a post declares ("" for the blog's): a reader's mail about a comment on it (a
	// reply, a confirmation) speaks it, as the post's page does. Nil: every post speaks Locale's.
	PostLang  func(postID int64) string
	SiteTitle string
	BaseURL   string
	// Locale is the blog's language (SITE_LANG): the mails readers get (confirmations, replies, their data
	// link) speak it, unless the post they are about declares its own (PostLang); the owner's stay English,
	// as the console does. Nil: English.
	Locale *i18n.Locale

	// Mail: nil Mailer sends none.
	Mailer     Mailer
	From       string
	OwnerEmail string
	// OwnerAll sends the owner a message about every new comment, not only held ones.
	OwnerAll bool
	// Digest, when set, sends the owner at most one message per Digest, gathering what happened meanwhile.
	Digest time.Duration
	// PerHour bounds the messages one mailbox receives in an hour, however its address is spelled (later ones
	// wait, gathered into one).
	PerHour int
	Tokens  Tokens

	WebhookURL    string
	WebhookSecret []byte
	HTTP          *http.Client

	// Backoff is the wait before the first retry of a failed message; it doubles each time up to an hour.
	// MaxAttempts is when a message is given up (failed for good, visible in the metrics and the log).
	Backoff     time.Duration
	MaxAttempts int
	// Poll is how often the outbox and the feed are checked when nothing wakes the worker.
	Poll time.Duration

	Log     *slog.Logger
	Metrics *observe.Metrics

	// Expand fills in a mail whose body is shared (Mail.Shared) before it is sent (newsletter.Service.Expand).
	Expand func(ctx context.Context, m Mail) (Mail, error)
}

// Service turns changes into messages and sends them.
type Service struct {
	cfg      Config
	instance string
	wake     chan struct{}
}

// lease is how long a claimed message belongs to the instance sending it: far above the relay's timeout.
const lease = 2 * time.Minute

// The bounds on confirmation mails, each over the last 24 hours. A mailbox gets one, however many comments
// ask with whatever spelling of its address. The comments of one client address cause at most
// ConfirmsPerAddress, and those of one network (an IPv4 /24, an IPv6 /64) at most ConfirmsPerNetwork, whatever
// addresses they name: an honest commenter needs one confirmation (two after a typo), and a few people sharing
// an address or a network stay under these, while someone typing strangers' addresses reaches at most that many
// strangers a day from one place. The network bound is what holds for IPv6, where one client holds a whole /64
// and can post from a new address every time.
const (
	ConfirmsPerMailbox = 1
	ConfirmsPerAddress = 5
	ConfirmsPerNetwork = 10
)

// New returns the service with defaults filled in.
func New(cfg Config) *Service {
	if cfg.PerHour <= 0 {
		cfg.PerHour = 6
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 30 * time.Second
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 12
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 2 * time.Second
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	b := make([]byte, 6)
	rand.Read(b)
	return &Service{cfg: cfg, instance: hex.EncodeToString(b), wake: make(chan struct{}, 1)}
}

// Enabled reports whether anything is to be sent at all.
func (s *Service) Enabled() bool { return s.cfg.Mailer != nil || s.cfg.WebhookURL != "" }

// Wake makes the worker look at the feed and the outbox now.
func (s *Service) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run works until ctx ends. A message being sent when ctx ends is finished and marked first.
func (s *Service) Run(ctx context.Context) {
	if s.cfg.Metrics != nil {
		s.cfg.Metrics.WatchOutbox(func() (int, int) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			p, f, _ := s.cfg.Store.OutboxCounts(ctx)
			return p, f
		})
	}
	t := time.NewTicker(s.cfg.Poll)
	defer t.Stop()
	for {
		s.Step(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
		}
	}
}

// Step announces what changed and sends what is due, once.
func (s *Service) Step(ctx context.Context) {
	if err := s.announce(ctx); err != nil && ctx.Err() == nil {
		s.cfg.Log.Error("notify: announce changes", "err", err)
	}
	if err := s.send(ctx); err != nil && ctx.Err() == nil {
		s.cfg.Log.Error("notify: send", "err", err)
	}
}

// announce turns every post's new changes into outbox messages.
func (s *Service) announce(ctx context.Context) error {
	posts, err := s.cfg.Store.PostsBehind(ctx)
	if err != nil {
		return err
	}
	for _, p := range posts {
		for {
			n, err := s.cfg.Store.Announce(ctx, p, 100, s.decide)
			if err != nil {
				return err
			}
			if n < 100 {
				break
			}
		}
	}
	return nil
}

// decide returns the messages a post's changes call for. Each comment is read as it is now: a comment held and
// then removed before this runs announces nothing, one approved meanwhile is announced as published.
func (s *Service) decide(ctx context.Context, changes []repo.Change) ([]outbox.Message, error) {
	if !s.Enabled() {
		return nil, nil
	}
	ids := make([]int64, 0, len(changes))
	for _, ch := range changes {
		ids = append(ids, ch.CommentID)
	}
	imported, err := s.cfg.Store.Imported(ctx, ids)
	if err != nil {
		return nil, err
	}
	var out []outbox.Message
	b := &bounds{since: time.Now().Add(-24 * time.Hour), counts: map[outbox.MessageFilter]int{}}
	for _, ch := range changes {
		c := ch.Comment
		if c == nil || imported[c.ID] {
			continue
		}
		slug, title := s.cfg.Post(c.PostID)
		p := post{Slug: slug, Title: title}
		if s.cfg.PostLang != nil {
			p.Lang = s.cfg.PostLang(c.PostID)
		}
		own := s.cfg.OwnerEmail != "" && outbox.Mailbox(c.User.Email) == outbox.Mailbox(s.cfg.OwnerEmail)
		switch {
		case ch.Kind == repo.ChangeCreated && repo.Held(c.State):
			out = append(out, s.ownerMessage("held", c, s.heldMail(*c, p))...)
			out = append(out, s.hook("comment.held", c, p)...)
		case ch.Kind == repo.ChangeCreated && c.Visible():
			if s.cfg.OwnerAll && !own {
				out = append(out, s.ownerMessage("new", c, s.newMail(*c, p))...)
			}
			out = append(out, s.hook("comment.created", c, p)...)
			fallthrough
		case ch.Kind == repo.ChangeState && c.Visible():
			more, err := s.published(ctx, c, p, b)
			if err != nil {
				return nil, err
			}
			out = append(out, more...)
		}
	}
	return out, nil
}

// published returns the messages a comment's publication calls for: to the author of the comment it answers,
// when they asked and confirmed; to its own author, to confirm their address, when they asked for replies.
func (s *Service) published(ctx context.Context, c *repo.Comment, p post, b *bounds) ([]outbox.Message, error) {
	if s.cfg.Mailer == nil {
		return nil, nil
	}
	var out []outbox.Message
	if c.ParentID != nil {
		parent, err := s.cfg.Comments.FindComment(ctx, *c.ParentID)
		if err != nil && !errors.Is(err, repo.ErrNotFound) {
			return nil, err
		}
		to := parent.User.Email
		if err == nil && parent.Notify && deliverable(to) && outbox.Mailbox(to) != outbox.Mailbox(c.User.Email) {
			sub, _, err := s.cfg.Store.Subscriber(ctx, to)
			if err != nil {
				return nil, err
			}
			if sub.Active() {
				out = append(out, mailMessage("reply", "reply:"+itoa(c.ID), c.ID, s.replyMail(*c, parent, p)))
			}
		}
	}
	if c.Notify && deliverable(c.User.Email) {
		ok, err := s.mayConfirm(ctx, c, b)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, mailMessage("confirm", "confirm:"+itoa(c.ID), c.ID, s.confirmMail(*c, p)))
		}
	}
	return out, nil
}

// bounds is what one announcement knows of the confirmation bounds: the counts read from the outbox, plus the
// confirmations it decided itself, which are not written until it commits.
type bounds struct {
	locked bool
	since  time.Time
	counts map[outbox.MessageFilter]int
}

// mayConfirm reports whether a comment's author may be asked to confirm their address: not when their mailbox
// confirmed already (nothing to ask) or said never (nothing at all, until they come back through a link
// mailed to them), nor beyond the bounds on confirmations per mailbox, client address and network.
func (s *Service) mayConfirm(ctx context.Context, c *repo.Comment, b *bounds) (bool, error) {
	sub, _, err := s.cfg.Store.Subscriber(ctx, c.User.Email)
	if err != nil || sub.Active() || sub.Unsubscribed() {
		return false, err
	}
	if !b.locked {
		if err := s.cfg.Store.LockBounds(ctx); err != nil {
			return false, err
		}
		b.locked = true
	}
	confirms := outbox.MessageFilter{Topic: "confirm", Since: b.since}
	byMailbox, byAddress, byNetwork := confirms, confirms, confirms
	byMailbox.Mailbox, byAddress.IPHash, byNetwork.NetHash = outbox.Mailbox(c.User.Email), c.IPHash, c.NetHash
	checks := []struct {
		by  string
		f   outbox.MessageFilter
		max int
	}{{"mailbox", byMailbox, ConfirmsPerMailbox}, {"address", byAddress, ConfirmsPerAddress}, {"network", byNetwork, ConfirmsPerNetwork}}
	var counted []outbox.MessageFilter
	for _, k := range checks {
		if k.f == confirms {
			continue // a comment stored without client hashes has no client to bound
		}
		n, seen := b.counts[k.f]
		if !seen {
			if n, err = s.cfg.Store.CountMessages(ctx, k.f); err != nil {
				return false, err
			}
			b.counts[k.f] = n
		}
		if n >= k.max {
			if k.by != "mailbox" { // a second comment of one person is the mailbox bound's everyday case
				s.cfg.Log.Warn("notify: confirmation not sent: the client that posted the comment reached its daily bound",
					"comment", c.ID, "bound", k.by, "max", k.max)
			}
			return false, nil
		}
		counted = append(counted, k.f)
	}
	for _, f := range counted {
		b.counts[f]++
	}
	return true, nil
}

// deliverable excludes the placeholder addresses of imported commenters.
func deliverable(email string) bool { return email != "" && !strings.HasSuffix(email, ".invalid") }

func (s *Service) ownerMessage(topic string, c *repo.Comment, m Mail) []outbox.Message {
	if s.cfg.Mailer == nil || s.cfg.OwnerEmail == "" {
		return nil
	}
	return []outbox.Message{mailMessage(topic, topic+":"+itoa(c.ID), c.ID, m)}
}

func mailMessage(topic, dedupe string, commentID int64, m Mail) outbox.Message {
	b, _ := json.Marshal(m)
	return outbox.Message{Kind: outbox.Mail, Topic: topic, Dedupe: dedupe, Recipient: strings.ToLower(m.To),
		Payload: string(b), CommentID: commentID}
}

// HookComment is the comment in a webhook's body.
type HookComment struct {
	ID        int64     `json:"id"`
	Post      string    `json:"post"`
	PostTitle string    `json:"post_title"`
	URL       string    `json:"url"`
	ParentID  *int64    `json:"parent_id,omitempty"`
	Name      string    `json:"name"`
	Email     string    `json:"email"`
	Body      string    `json:"body"`
	State     string    `json:"state"`
	Reason    string    `json:"reason,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	Review    string    `json:"review_url"`
}

// HookBody is what the webhook receives.
type HookBody struct {
	Event   string      `json:"event"`
	Site    string      `json:"site"`
	Comment HookComment `json:"comment"`
}

func (s *Service) hook(event string, c *repo.Comment, p post) []outbox.Message {
	if s.cfg.WebhookURL == "" {
		return nil
	}
	b, _ := json.Marshal(HookBody{Event: event, Site: s.cfg.BaseURL, Comment: HookComment{ID: c.ID, Post: p.Slug, PostTitle: p.Title,
		URL: s.commentURL(p, c.ID), ParentID: c.ParentID, Name: c.Username, Email: c.User.Email, Body: c.Body, State: c.State,
		Reason: c.Reason, CreatedAt: c.CreatedAt.UTC(), Review: s.reviewURL(c.ID)}})
	return []outbox.Message{{Kind: outbox.Webhook, Topic: event, Dedupe: "hook:" + event + ":" + itoa(c.ID),
		Recipient: s.cfg.WebhookURL, Payload: string(b), CommentID: c.ID}}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// send sends what is due until nothing is.
func (s *Service) send(ctx context.Context) error {
	for ctx.Err() == nil {
		ms, err := s.cfg.Store.Claim(ctx, s.instance, lease)
		if err != nil || len(ms) == 0 {
			return err
		}
		// Once claimed, a message is sent and marked even if ctx ends meanwhile (a shutdown waits for it).
		sctx := context.WithoutCancel(ctx)
		if ms[0].Kind == outbox.Webhook {
			err = s.sendHook(sctx, ms[0])
		} else {
			err = s.sendMail(sctx, ms)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// sendMail sends the messages claimed for one recipient as one (a digest when there are several), unless the
// mailbox's hourly bound or the owner's digest interval says to wait; confirmations and replies to a mailbox that
// unsubscribed meanwhile are dropped.
func (s *Service) sendMail(ctx context.Context, ms []outbox.Message) error {
	to := ms[0].Recipient
	if s.cfg.Mailer == nil {
		s.cfg.Metrics.Outbox(outbox.Mail, "gave_up", len(ms))
		return s.cfg.Store.Retry(ctx, ms, s.instance, time.Now(), "mail is not configured (SMTP_URL)", true)
	}
	ms, err := s.dropUnsubscribed(ctx, ms)
	if err != nil || len(ms) == 0 {
		return err
	}
	now := time.Now().UTC()
	sent, err := s.cfg.Store.Deliveries(ctx, to, now.Add(-time.Hour))
	if err != nil {
		return err
	}
	wait := time.Time{}
	if len(sent) >= s.cfg.PerHour {
		wait = sent[len(sent)-s.cfg.PerHour].Add(time.Hour)
	}
	if s.cfg.Digest > 0 && strings.EqualFold(to, s.cfg.OwnerEmail) && len(sent) > 0 && sent[len(sent)-1].Add(s.cfg.Digest).After(wait) {
		wait = sent[len(sent)-1].Add(s.cfg.Digest)
	}
	if wait.After(now) {
		s.cfg.Metrics.Outbox(outbox.Mail, "postponed", len(ms))
		return s.cfg.Store.Postpone(ctx, ms, s.instance, wait)
	}
	mails := make([]Mail, 0, len(ms))
	for _, m := range ms {
		var mail Mail
		if err := json.Unmarshal([]byte(m.Payload), &mail); err != nil {
			return s.cfg.Store.Retry(ctx, ms, s.instance, now, "unreadable message: "+err.Error(), true)
		}
		if mail.Shared != "" && s.cfg.Expand != nil {
			if mail, err = s.cfg.Expand(ctx, mail); err != nil {
				return s.failed(ctx, ms, err)
			}
		}
		mails = append(mails, mail)
	}
	id := s.messageID(ms)
	err = s.cfg.Mailer.Send(ctx, s.cfg.From, s.digest(mails), id)
	if err != nil {
		return s.failed(ctx, ms, err)
	}
	s.cfg.Metrics.Outbox(outbox.Mail, "sent", len(ms))
	s.cfg.Log.Info("notify: mail sent", "topic", ms[0].Topic, "messages", len(ms), "message_id", id)
	return s.cfg.Store.MarkSent(ctx, ms, s.instance, id)
}

// dropUnsubscribed marks done, unsent, the reader's messages (confirmations, replies, posts by email) to a
// mailbox that unsubscribed after they were written, and returns the rest. The owner's messages follow
// OWNER_NOTIFY instead.
func (s *Service) dropUnsubscribed(ctx context.Context, ms []outbox.Message) ([]outbox.Message, error) {
	var owners, commenters []outbox.Message
	for _, m := range ms {
		// Posts by email and their confirmations are a reader's too: "never" holds for them.
		if m.Topic == "confirm" || m.Topic == "reply" || m.Topic == subscribers.TopicPost || m.Topic == subscribers.TopicConfirm {
			commenters = append(commenters, m)
		} else {
			owners = append(owners, m)
		}
	}
	if len(commenters) == 0 {
		return ms, nil
	}
	sub, _, err := s.cfg.Store.Subscriber(ctx, ms[0].Recipient)
	if err != nil || !sub.Unsubscribed() {
		return ms, err
	}
	s.cfg.Metrics.Outbox(outbox.Mail, "dropped", len(commenters))
	s.cfg.Log.Info("notify: mail dropped: the mailbox unsubscribed", "topic", commenters[0].Topic, "messages", len(commenters))
	return owners, s.cfg.Store.Drop(ctx, commenters, s.instance, "not sent: the mailbox unsubscribed")
}

// messageID is the same for the same messages, so a receiver that sees it twice can tell.
func (s *Service) messageID(ms []outbox.Message) string {
	host := "blog.invalid"
	if u, err := url.Parse(s.cfg.BaseURL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	return fmt.Sprintf("outbox-%d-%d@%s", ms[0].ID, len(ms), host)
}

// failed records a failed attempt, retried with a doubling wait, or given up after MaxAttempts.
func (s *Service) failed(ctx context.Context, ms []outbox.Message, sendErr error) error {
	attempts := ms[0].Attempts + 1
	giveUp := attempts >= s.cfg.MaxAttempts
	wait := s.cfg.Backoff << min(attempts-1, 20)
	wait = min(wait, time.Hour)
	kind := ms[0].Kind
	if giveUp {
		s.cfg.Metrics.Outbox(kind, "gave_up", len(ms))
		s.cfg.Log.Error("notify: giving up", "kind", kind, "topic", ms[0].Topic, "attempts", attempts, "err", sendErr)
	} else {
		s.cfg.Metrics.Outbox(kind, "failed", len(ms))
		s.cfg.Log.Warn("notify: send failed, will retry", "kind", kind, "topic", ms[0].Topic, "attempts", attempts,
			"retry_in", wait.String(), "err", sendErr)
	}
	return s.cfg.Store.Retry(ctx, ms, s.instance, time.Now().Add(wait), sendErr.Error(), giveUp)
}

// SignatureHeader carries the webhook's signature: "sha256=" and the hex HMAC-SHA256, keyed with
// WEBHOOK_SECRET, of the timestamp header's value, a dot, and the body.
const (
	SignatureHeader = "X-Blog-Signature"
	TimestampHeader = "X-Blog-Timestamp"
	DeliveryHeader  = "X-Blog-Delivery"
	EventHeader     = "X-Blog-Event"
)

// Sign returns the signature of a webhook body sent at ts.
func Sign(secret []byte, ts string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts + "."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// sendHook posts one webhook; any 2xx answer is success.
func (s *Service) sendHook(ctx context.Context, m outbox.Message) error {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	body := []byte(m.Payload)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.Recipient, bytes.NewReader(body))
	if err != nil {
		return s.cfg.Store.Retry(ctx, []outbox.Message{m}, s.instance, time.Now(), err.Error(), true)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "blog-webhook/1")
	req.Header.Set(EventHeader, m.Topic)
	req.Header.Set(DeliveryHeader, itoa(m.ID))
	req.Header.Set(TimestampHeader, ts)
	req.Header.Set(SignatureHeader, Sign(s.cfg.WebhookSecret, ts, body))
	tlsroots.Ensure()
	resp, err := s.cfg.HTTP.Do(req)
	if err == nil {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			err = fmt.Errorf("webhook answered %s", resp.Status)
		}
	}
	if err != nil {
		return s.failed(ctx, []outbox.Message{m}, err)
	}
	s.cfg.Metrics.Outbox(outbox.Webhook, "sent", 1)
	return s.cfg.Store.MarkSent(ctx, []outbox.Message{m}, s.instance, "hook-"+itoa(m.ID))
}
