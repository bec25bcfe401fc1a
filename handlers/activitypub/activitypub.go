// Package activitypub serves the blog as an ActivityPub actor: WebFinger and NodeInfo, the actor, its inbox
// (bounded per server: a request's size, and a rate per server named by the signature's key), outbox and
// followers, and a post's Article to whoever asks for activity+json on the post's own address.
package activitypub

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	ap "blog/activitypub"
	"blog/activitypub/signature"
	"blog/activitypub/streams"
	"blog/clientip"
	"blog/handlers/web"
	"blog/limits"
)

// Actor is what the handlers need of the service (activitypub.Service).
type Actor interface {
	Actor() streams.Doc
	WebFinger(resource string) (streams.Doc, bool)
	NodeInfoLinks() streams.Doc
	NodeInfo(version string) streams.Doc
	Followers(ctx context.Context) (streams.Doc, error)
	Outbox() streams.Doc
	ArticleBySlug(slug string) (streams.Doc, bool)
	Receive(ctx context.Context, req *http.Request, body []byte) error
	Note(ctx context.Context, id int64) (streams.Doc, bool, error)
}

var _ Actor = (*ap.Service)(nil)

// Config is what the handlers are built from.
type Config struct {
	Actor   Actor
	Clients web.Clients
	// Rate bounds how often one server (the host of the signature's key, or the client's address without one)
	// may post to the inbox.
	Rate    limits.Rate
	Version string
}

// Handlers serve the actor.
type Handlers struct {
	cfg Config
	lim *limits.Limiter
}

// New returns the handlers.
func New(cfg Config) *Handlers { return &Handlers{cfg: cfg, lim: limits.NewLimiter(cfg.Rate)} }

func send(c *fiber.Ctx, contentType string, d streams.Doc) error {
	c.Set(fiber.HeaderContentType, contentType)
	c.Set(fiber.HeaderCacheControl, "max-age=60")
	return c.Send(d.Bytes())
}

func plain(c *fiber.Ctx, status int, msg string) error {
	c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
	return c.Status(status).SendString(msg + "\n")
}

// WebFinger answers /.well-known/webfinger?resource=acct:user@host.
func (h *Handlers) WebFinger(c *fiber.Ctx) error {
	res := c.Query("resource")
	if res == "" {
		return plain(c, fiber.StatusBadRequest, "Say whom you look for: ?resource=acct:user@host.")
	}
	d, ok := h.cfg.Actor.WebFinger(res)
	if !ok {
		return plain(c, fiber.StatusNotFound, "No one of that name here.")
	}
	c.Set(fiber.HeaderAccessControlAllowOrigin, "*")
	return send(c, "application/jrd+json; charset=utf-8", d)
}

// NodeInfoLinks answers /.well-known/nodeinfo.
func (h *Handlers) NodeInfoLinks(c *fiber.Ctx) error {
	return send(c, fiber.MIMEApplicationJSONCharsetUTF8, h.cfg.Actor.NodeInfoLinks())
}

// NodeInfo answers /nodeinfo/2.1.
func (h *Handlers) NodeInfo(c *fiber.Ctx) error {
	return send(c, `application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.1#"; charset=utf-8`, h.cfg.Actor.NodeInfo(h.cfg.Version))
}

// ActorDoc answers /ap/actor.
func (h *Handlers) ActorDoc(c *fiber.Ctx) error {
	return send(c, streams.ContentType+"; charset=utf-8", h.cfg.Actor.Actor())
}

// Outbox answers /ap/outbox.
func (h *Handlers) Outbox(c *fiber.Ctx) error {
	return send(c, streams.ContentType+"; charset=utf-8", h.cfg.Actor.Outbox())
}

// Followers answers /ap/followers.
func (h *Handlers) Followers(c *fiber.Ctx) error {
	d, err := h.cfg.Actor.Followers(c.UserContext())
	if err != nil {
		return err
	}
	return send(c, streams.ContentType+"; charset=utf-8", d)
}

// Note answers /ap/comments/:id with the owner's reply sent to the fediverse as a Note (404 for any other).
func (h *Handlers) Note(c *fiber.Ctx) error {
	id := web.ParseID(c.Params("id"))
	if id == 0 {
		return plain(c, fiber.StatusNotFound, "No such note.")
	}
	d, ok, err := h.cfg.Actor.Note(c.UserContext(), id)
	if err != nil {
		return err
	}
	if !ok {
		return plain(c, fiber.StatusNotFound, "No such note.")
	}
	return send(c, streams.ContentType+"; charset=utf-8", d)
}

// Wants reports a request for ActivityStreams rather than a page.
func Wants(c *fiber.Ctx) bool {
	a := c.Get(fiber.HeaderAccept)
	return strings.Contains(a, "application/activity+json") || strings.Contains(a, "application/ld+json")
}

// Post answers a post's address with its Article when activity+json is asked for, and otherwise lets the page
// be served; both say that the answer depends on Accept, so no cache in between mixes them.
func (h *Handlers) Post(c *fiber.Ctx) error {
	c.Vary(fiber.HeaderAccept)
	if !Wants(c) {
		return c.Next()
	}
	d, ok := h.cfg.Actor.ArticleBySlug(c.Params("slug"))
	if !ok {
		return plain(c, fiber.StatusNotFound, "No such post.")
	}
	return send(c, streams.ContentType+"; charset=utf-8", d)
}

// Inbox takes an activity: bounded per server, its signature verified, then applied; 202 when taken (also
// when ignored), 401 for a bad signature, 403 for an activity refused, 400 for one that cannot be read.
func (h *Handlers) Inbox(c *fiber.Ctx) error {
	server, network, ok := h.ready(c)
	if !ok {
		return nil
	}
	body := c.Body()
	if len(body) > ap.MaxActivity {
		h.lim.Allow(network)
		return plain(c, fiber.StatusRequestEntityTooLarge, "The activity is too large.")
	}
	var req http.Request
	if err := fasthttpadaptor.ConvertRequest(c.Context(), &req, true); err != nil {
		h.lim.Allow(network)
		return plain(c, fiber.StatusBadRequest, "The request cannot be read.")
	}
	err := h.cfg.Actor.Receive(c.UserContext(), &req, body)
	var bad ap.BadActivity
	switch {
	case errors.Is(err, ap.ErrBusy):
	case err == nil || errors.Is(err, ap.ErrRefused):
		if server != "" {
			h.lim.Allow(server) // verified: its server's rate
		}
	default:
		h.lim.Allow(network) // not verified, or not readable: the sender's network's rate
	}
	switch {
	case err == nil:
		return plain(c, fiber.StatusAccepted, "Accepted.")
	case errors.As(err, &bad):
		return plain(c, fiber.StatusBadRequest, bad.Msg)
	case errors.Is(err, signature.ErrSignature):
		return plain(c, fiber.StatusUnauthorized, "The signature cannot be verified.")
	case errors.Is(err, ap.ErrRefused):
		return plain(c, fiber.StatusForbidden, "Refused.")
	case errors.Is(err, ap.ErrBusy):
		c.Set(fiber.HeaderRetryAfter, "30")
		return plain(c, fiber.StatusServiceUnavailable, "Busy: try again shortly.")
	}
	return err
}

// The inbox's rate (ACTIVITYPUB_RATE) is spent by the server an activity verifiably comes from (the host of the
// signature's keyId: a server sends from many addresses), and by the client's network for a request that cannot
// be verified or read. Both are looked at before any work and charged once the outcome is known, so a forged
// keyId neither spends a real server's rate nor escapes a rate by naming a new host each time. A server that
// delivered lately is held to its own rate only, so forgeries from its network do not stop it; one the blog has
// not heard from lately (whose key must be fetched) is held to its network's as well.

// ready answers 429 itself when the request's server or network has spent its rate; it returns both keys.
func (h *Handlers) ready(c *fiber.Ctx) (server, network string, ok bool) {
	req := http.Request{Header: http.Header{"Signature": {c.Get("Signature")}}, Method: c.Method()}
	if id, err := signature.KeyID(&req); err == nil {
		if u, err := url.Parse(id); err == nil && u.Host != "" {
			server = "host " + strings.ToLower(u.Host)
		}
	}
	network = "net " + clientip.Network(h.cfg.Clients.Of(c)).String()
	keys := []string{network, server}
	if server != "" && h.lim.Seen(server) {
		keys = keys[1:]
	}
	for _, key := range keys {
		if key == "" {
			continue
		}
		if ok, wait := h.lim.Ready(key); !ok {
			c.Set(fiber.HeaderRetryAfter, fmt.Sprint(int(math.Ceil(wait.Seconds()))))
			_ = plain(c, fiber.StatusTooManyRequests, "Too many activities from this server: try again later.")
			return server, network, false
		}
	}
	return server, network, true
}
