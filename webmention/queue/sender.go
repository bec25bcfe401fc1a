package queue

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/net/html"

	"blog/content"
	"blog/repo/mentions"
	"blog/webmention"
)

// Outbox is what the sender needs of the outbox of Webmentions to send (mentions.Sends).
type Outbox interface {
	Links(ctx context.Context, source, hash string, targets []string) (int, error)
	LinkedSources(ctx context.Context) ([]string, error)
	Due(ctx context.Context, now time.Time, n int) ([]mentions.Send, error)
	Claim(ctx context.Context, r mentions.Send, now, lease time.Time) (bool, error)
	Save(ctx context.Context, r mentions.Send, read time.Time) error
}

var _ Outbox = (*mentions.Sends)(nil)

// MaxLinks bounds how many pages one post notifies: the first ones in the text.
const MaxLinks = 100

// Sender notifies the pages the blog's posts link to: after every load of the content it compares each
// published post's links (and its rendered text) with what was last queued, queues a notification for each link
// added, kept through a change, or removed (a post no longer published counts as removing all of its links),
// and sends the queue in the background with retries.
type Sender struct {
	Outbox Outbox
	Fetch  webmention.Fetcher
	Logger *slog.Logger
	// Every is how often the queue is looked at when nothing pokes it.
	Every  time.Duration
	base   *url.URL
	latest atomic.Pointer[[]content.Post]
	poke   chan struct{}
}

// NewSender returns a sender for the blog at base (its public address, the posts' sources).
func NewSender(o Outbox, f webmention.Fetcher, base string, logger *slog.Logger) (*Sender, error) {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return nil, errors.New("webmention: the blog's address is not an absolute URL")
	}
	return &Sender{Outbox: o, Fetch: f, Logger: logger, Every: 30 * time.Second, base: u, poke: make(chan struct{}, 1)}, nil
}

// Published hands the sender the posts published now (publish calls it after every load); the diff runs on
// the sender's own goroutine, with the newest list only.
func (s *Sender) Published(posts []content.Post) {
	s.latest.Store(&posts)
	s.wake()
}

func (s *Sender) wake() {
	select {
	case s.poke <- struct{}{}:
	default:
	}
}

// Run queues and sends until ctx ends.
func (s *Sender) Run(ctx context.Context) {
	tick := time.NewTicker(s.Every)
	defer tick.Stop()
	for {
		if posts := s.latest.Swap(nil); posts != nil {
			s.queue(ctx, *posts)
		}
		for s.Round(ctx) == Batch && ctx.Err() == nil {
		}
		select {
		case <-ctx.Done():
			return
		case <-s.poke:
		case <-tick.C:
		}
	}
}

// Source is a post's address, the source of its Webmentions.
func (s *Sender) Source(slug string) string { return s.base.JoinPath("posts", slug).String() }

// queue brings the outbox in line with the published posts.
func (s *Sender) queue(ctx context.Context, posts []content.Post) {
	published := make(map[string]bool, len(posts))
	for _, p := range posts {
		src := s.Source(p.Slug)
		published[src] = true
		body := string(p.HTML)
		if p.InReplyTo != "" {
			// The page links what it answers (u-in-reply-to) besides its text: that post hears of the reply too.
			body = `<a href="` + html.EscapeString(p.InReplyTo) + `"></a>` + body
		}
		sum := sha256.Sum256([]byte(p.Title + "\x00" + body))
		if _, err := s.Outbox.Links(ctx, src, hex.EncodeToString(sum[:16]), s.Links(src, body)); err != nil {
			s.log(ctx, "webmention: queueing a post's links", "source", src, "err", err)
		}
	}
	linked, err := s.Outbox.LinkedSources(ctx)
	if err != nil {
		s.log(ctx, "webmention: reading the outbox", "err", err)
		return
	}
	for _, src := range linked {
		if !published[src] {
			if _, err := s.Outbox.Links(ctx, src, "gone", nil); err != nil {
				s.log(ctx, "webmention: queueing a removed post's links", "source", src, "err", err)
			}
		}
	}
}

// Links returns the pages a post's HTML links to, as absolute http(s) addresses without fragments, in order,
// each once, leaving out the blog's own pages; at most MaxLinks.
func (s *Sender) Links(source, body string) []string {
	base, _ := url.Parse(source)
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if len(out) >= MaxLinks {
			return
		}
		if n.Type == html.ElementNode && n.Data == "a" {
			for _, a := range n.Attr {
				if a.Key != "href" {
					continue
				}
				ref, err := url.Parse(strings.TrimSpace(a.Val))
				if err != nil {
					continue
				}
				u := base.ResolveReference(ref)
				u.Fragment, u.RawFragment = "", ""
				if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
					strings.EqualFold(u.Host, s.base.Host) || seen[u.String()] || len(u.String()) > 2048 {
					continue
				}
				seen[u.String()] = true
				out = append(out, u.String())
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return out
}

// Round sends the notifications due now, at most Batch, and returns how many it took.
func (s *Sender) Round(ctx context.Context) int {
	now := time.Now().UTC()
	due, err := s.Outbox.Due(ctx, now, Batch)
	if err != nil {
		s.log(ctx, "webmention: reading the outbox", "err", err)
		return 0
	}
	taken := 0
	for _, r := range due {
		if ok, err := s.Outbox.Claim(ctx, r, now, now.Add(Lease)); err != nil || !ok {
			continue
		}
		taken++
		r.Attempts++
		s.send(ctx, r)
	}
	return taken
}

func (s *Sender) send(ctx context.Context, r mentions.Send) {
	read := r.UpdatedAt
	sctx, cancel := context.WithTimeout(ctx, time.Minute)
	res, err := webmention.Send(sctx, s.Fetch, r.Source, r.Target)
	cancel()
	r.Endpoint, r.Answer = res.Endpoint, res.Status
	switch {
	case errors.Is(err, webmention.ErrNoEndpoint):
		r.Status, r.LastError = mentions.SendNone, ""
	case err == nil:
		r.Status, r.LastError = mentions.SendDone, ""
	default:
		r.LastError = webmention.Bound(err.Error(), 480)
		// A 4xx is the receiver's verdict (it will not change by asking again), except 429.
		verdict := res.Status >= 400 && res.Status < 500 && res.Status != 429
		if r.Attempts >= Tries || final(err) || verdict {
			r.Status = mentions.SendFailed
		} else {
			r.Status, r.NextTryAt = mentions.SendPending, time.Now().UTC().Add(retryAfter[min(r.Attempts, len(retryAfter))-1])
		}
	}
	if err := s.Outbox.Save(ctx, r, read); err != nil {
		s.log(ctx, "webmention: saving a notification", "target", r.Target, "err", err)
		return
	}
	s.Logger.Info("webmention: sent", "source", r.Source, "target", r.Target, "status", r.Status, "answer", r.Answer,
		"error", r.LastError)
}

func (s *Sender) log(ctx context.Context, msg string, args ...any) {
	if ctx.Err() == nil {
		s.Logger.Error(msg, args...)
	}
}
