// Package webmention serves the blog's Webmention endpoint: a request is checked (source and target, the target
// a post of this blog), rate-limited per client address, stored as pending and answered 202 Accepted; the
// verification runs later in the background (webmention/queue.Receiver), and what it finds reaches open pages
// through the change feed like any comment.
package webmention

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"blog/clientip"
	"blog/handlers/web"
	"blog/limits"
	"blog/publish"
	"blog/repo/mentions"
	wm "blog/webmention"
	"blog/webmention/queue"
)

// Path is the endpoint's address, as pages and Link headers advertise it.
const Path = "/webmention"

// Receiver queues a checked request (webmention/queue.Receiver).
type Receiver interface {
	Accept(ctx context.Context, r mentions.Received) (mentions.Webmention, error)
}

var _ Receiver = (*queue.Receiver)(nil)

// Content is the blog's current content.
type Content interface {
	Current() *publish.Snapshot
}

// Config is what the handler is built from.
type Config struct {
	Content  Content
	Receiver Receiver
	// BaseURL is the blog's public address: a target must be one of its posts.
	BaseURL string
	Clients web.Clients
	Hasher  clientip.Hasher
	// Rate bounds how often one client address (an IPv6 /64 counts as one) may send a mention.
	Rate limits.Rate
}

// Handlers serve the endpoint.
type Handlers struct {
	cfg  Config
	base *url.URL
	lim  *limits.Limiter
}

// New returns the handlers.
func New(cfg Config) (*Handlers, error) {
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("webmention: the blog's address %q is not an absolute URL", cfg.BaseURL)
	}
	return &Handlers{cfg: cfg, base: base, lim: limits.NewLimiter(cfg.Rate)}, nil
}

// Receive takes a Webmention (form fields source and target).
func (h *Handlers) Receive(c *fiber.Ctx) error {
	addr := h.cfg.Clients.Of(c)
	if ok, wait := h.lim.Allow(clientip.Network(addr).String()); !ok {
		c.Set(fiber.HeaderRetryAfter, fmt.Sprint(int(math.Ceil(wait.Seconds()))))
		return plain(c, fiber.StatusTooManyRequests, "Too many Webmentions from this address: try again later.")
	}
	source, target := strings.Clone(c.FormValue("source")), strings.Clone(c.FormValue("target"))
	snap := web.Current(c, h.cfg.Content)
	var postID int64
	ours := func(u *url.URL) bool {
		slug, ok := strings.CutPrefix(u.Path, "/posts/")
		if !strings.EqualFold(u.Host, h.base.Host) || !ok || u.RawQuery != "" {
			return false
		}
		p, found := snap.Lib.PostBySlug(strings.TrimSuffix(slug, "/"))
		if !found || p.Draft {
			return false
		}
		postID, found = snap.PostID(p.Slug)
		return found
	}
	src, tgt, err := wm.CheckRequest(source, target, ours)
	var bad wm.BadRequestError
	if errors.As(err, &bad) {
		return plain(c, fiber.StatusBadRequest, bad.Msg+".")
	}
	if err != nil {
		return err
	}
	_, err = h.cfg.Receiver.Accept(c.UserContext(), mentions.Received{Source: src.String(), Target: tgt.String(),
		PostID: postID, IPHash: h.cfg.Hasher.Address(addr), NetHash: h.cfg.Hasher.Net(addr)})
	if errors.Is(err, mentions.ErrQueueFull) {
		c.Set(fiber.HeaderRetryAfter, "600")
		return plain(c, fiber.StatusServiceUnavailable, "Too many Webmentions are waiting to be verified: try again later.")
	}
	if err != nil {
		return err
	}
	return plain(c, fiber.StatusAccepted, "Accepted: the mention will be verified shortly.")
}

// Advertise adds the endpoint's Link header to a response (a post page's).
func Advertise(c *fiber.Ctx) error {
	c.Append(fiber.HeaderLink, "<"+Path+`>; rel="webmention"`)
	return c.Next()
}

func plain(c *fiber.Ctx, status int, msg string) error {
	c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
	return c.Status(status).SendString(msg + "\n")
}
