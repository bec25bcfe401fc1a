// Package events serves the blog's server-sent event streams: a post's changes to its readers, and the count of
// comments waiting for review to the owner's pages. Each stream takes over its connection and runs on a
// goroutine of its own; one client address may hold only so many of them at once.
package events

import (
	"context"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"blog/handlers/web"
	"blog/live"
	"blog/moderation"
	"blog/observe"
	"blog/publish"
	"blog/repo"
	"blog/repo/discussion"
	"blog/sse"
)

// Config is what the event streams are built from.
type Config struct {
	Content    Content
	Comments   CommentStore
	Broker     Broker
	Moderation Moderation
	// Waiting tells the owner's open pages how many comments wait for review (nil without the console).
	Waiting *moderation.Waiting
	Clients web.Clients
	// Heartbeat is how often an idle stream sends a comment line.
	Heartbeat time.Duration
	// MaxStreamsPerClient bounds the streams one client address (an IPv6 /64 counts as one) may hold open.
	MaxStreamsPerClient int
	Metrics             *observe.Metrics
	Log                 *slog.Logger
}

// Content is what the streams need from the blog's content (publish.Store): the posts they are for.
type Content interface {
	Current() *publish.Snapshot
}

// CommentStore is what the streams need from the comment store: where a post's feed of changes stands.
type CommentStore interface {
	PostStamp(ctx context.Context, postID int64) (repo.Stamp, error)
}

// Broker is what a post's stream needs from the live broker: its changes as they come, and those it missed.
type Broker interface {
	Subscribe(postID int64) *live.Subscription
	Unsubscribe(s *live.Subscription)
	CatchUp(ctx context.Context, postID, after int64) ([]*live.Message, bool, error)
}

// Moderation is what the owner's count needs from moderation.
type Moderation interface {
	Pending(ctx context.Context) (int, error)
}

var (
	_ Content      = (*publish.Store)(nil)
	_ CommentStore = (*discussion.Comments)(nil)
	_ Broker       = (*live.Broker)(nil)
	_ Moderation   = (*moderation.Service)(nil)
)

// Handlers serve the event streams.
type Handlers struct {
	cfg Config
	// ctx ends when the server shuts down; the streams and their queries stop with it.
	ctx context.Context
	// reaper ends streams whose client left; streamsPer counts open streams by client network.
	reaper     *sse.Reaper
	streamsMu  sync.Mutex
	streamsPer map[netip.Prefix]int
}

// New returns the event streams, which end when ctx does.
func New(ctx context.Context, cfg Config) *Handlers {
	h := &Handlers{cfg: cfg, ctx: ctx, reaper: sse.NewReaper(), streamsPer: map[netip.Prefix]int{}}
	go h.reaper.Run(ctx)
	return h
}

// holdStream counts a new stream of a client network, unless it holds its limit already.
func (h *Handlers) holdStream(key netip.Prefix) bool {
	h.streamsMu.Lock()
	defer h.streamsMu.Unlock()
	if h.streamsPer[key] >= h.cfg.MaxStreamsPerClient {
		return false
	}
	h.streamsPer[key]++
	return true
}

func (h *Handlers) releaseStream(key netip.Prefix) {
	h.streamsMu.Lock()
	defer h.streamsMu.Unlock()
	if h.streamsPer[key]--; h.streamsPer[key] <= 0 {
		delete(h.streamsPer, key)
	}
}
