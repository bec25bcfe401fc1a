// Package activitypub makes the blog one ActivityPub actor (@blog@host): its documents (WebFinger, the actor,
// NodeInfo, each post as an Article), the inbox's rules (signatures verified, actors read with the safe client
// and kept, follows accepted, replies turned into comments through moderation, their edits and deletions
// followed, likes and boosts counted), and what it sends through the durable queue: each post's Create, Update
// and Delete to the followers' servers, and the owner's replies to fediverse comments back to their authors.
// It knows nothing of HTTP servers: handlers/activitypub calls it.
package activitypub

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"blog/activitypub/delivery"
	"blog/activitypub/remote"
	"blog/activitypub/signature"
	"blog/activitypub/streams"
	"blog/fetch"
	"blog/moderation"
	"blog/publish"
	"blog/repo"
	"blog/repo/federation"
)

// Moderator is the one door every comment passes (moderation.Service): a reply from the fediverse is screened
// and stored like a comment, edited like one when its author edits it, deleted like one when its author does.
type Moderator interface {
	Post(ctx context.Context, n repo.NewComment, c moderation.Candidate) (repo.Comment, repo.Stamp, moderation.Decision, error)
	EditOwn(ctx context.Context, e moderation.OwnEdit) (repo.Comment, repo.Stamp, moderation.Decision, error)
	DeleteOwn(ctx context.Context, id int64) (repo.Moved, error)
	Act(ctx context.Context, actor, action string, ids []int64) ([]repo.Moved, error)
	Comment(ctx context.Context, id int64) (repo.Comment, error)
	Ban(ctx context.Context, actor string, req moderation.BanRequest) (repo.Ban, []repo.Moved, error)
}

// Bans tells whether a server's domain is banned (the console's ban of an email domain: moderation's store).
type Bans interface {
	Match(ctx context.Context, email, ipHash, netHash string) (repo.Ban, bool, error)
}

// Content is the blog's current content (publish.Store).
type Content interface {
	Current() *publish.Snapshot
}

// Pictures keeps the blog's own copy of a picture another server names (pictures.Service): an author's icon is
// fetched once, checked and served by the blog, so a page that shows it loads nothing from another host.
type Pictures interface {
	Fetch(ctx context.Context, remoteURL string) (string, error)
}

var _ Moderator = (*moderation.Service)(nil)

// Following takes what the actors the blog follows send (following.Service): the answers to its Follows, and
// their posts, edits and deletions.
type Following interface {
	Answered(ctx context.Context, a streams.Object, actor federation.Actor, accepted bool) error
	Received(ctx context.Context, o streams.Object, actor federation.Actor) (bool, error)
	Removed(ctx context.Context, objectID string, actor federation.Actor) error
}

// Config is what the service is built from.
type Config struct {
	Store      *federation.Store
	Moderation Moderator
	Bans       Bans
	Content    Content
	// Pictures, when set, copies the authors' icons; without it their comments show the blog's drawn picture.
	Pictures Pictures
	// Fetch reads actors and delivers activities: non-public addresses refused unless it was built to allow them.
	Fetch *fetch.Client
	// BaseURL is the blog's public address; Username the actor's name (@Username@host).
	BaseURL, Username string
	// Title and Summary describe the actor; Icon is the address of its picture (on the blog).
	Title, Summary, Icon string
	// MovedTo, set on the old address, is the actor the account moved to: the actor says so and every follower
	// is told once (Move). AlsoKnownAs, set on the new address, is the old actor, which servers check.
	MovedTo, AlsoKnownAs string
	Log                  *slog.Logger
	// Every is how often the delivery queue is looked at when nothing pokes it (work queued by another instance).
	Every time.Duration
	// Following, when set, keeps what the actors the blog follows send; without it their posts are ignored.
	Following Following
}

// Service is the blog as an actor.
type Service struct {
	cfg    Config
	base   *url.URL
	key    *rsa.PrivateKey
	pubPEM string
	poke   chan struct{}
	// delivery sends the queue.
	delivery *delivery.Worker
	// remote reads other servers' actors and objects.
	remote *remote.Reader
	// joined is the day the blog's key was made: reply posts dated earlier are not sent to their authors.
	joined time.Time
	mu     sync.Mutex
	// loaded is the newest content not yet announced (Loaded), taken by Run.
	loadMu sync.Mutex
	loaded *publish.Snapshot
}

// Loaded hands the content just loaded to Run, which announces it (publish.Store.OnLoad wants a quick return);
// a newer load replaces one not yet announced.
func (s *Service) Loaded(snap *publish.Snapshot) {
	s.loadMu.Lock()
	s.loaded = snap
	s.loadMu.Unlock()
	s.wake()
}

func (s *Service) takeLoaded() *publish.Snapshot {
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	snap := s.loaded
	s.loaded = nil
	return snap
}

// New returns the service, with the blog's key pair (made and stored the first time, so every instance on one
// database signs with the same key).
func New(ctx context.Context, cfg Config) (*Service, error) {
	base, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("activitypub: the blog's address %q is not an absolute URL", cfg.BaseURL)
	}
	if cfg.Username == "" {
		cfg.Username = "blog"
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Every <= 0 {
		cfg.Every = 30 * time.Second
	}
	pemKey, err := cfg.Store.PrivateKey(ctx, signature.GenerateKey)
	if err != nil {
		return nil, err
	}
	key, err := signature.ParsePrivateKey(pemKey)
	if err != nil {
		return nil, err
	}
	pub, err := signature.PublicKeyPEM(key)
	if err != nil {
		return nil, err
	}
	joined, err := cfg.Store.KeyCreated(ctx)
	if err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, base: base, key: key, pubPEM: pub, poke: make(chan struct{}, 1), joined: joined.UTC().Truncate(24 * time.Hour)}
	s.remote = remote.New(cfg.Store, cfg.Fetch, key, s.KeyID())
	s.delivery = delivery.New(cfg.Store, cfg.Fetch, key, s.KeyID(), cfg.Log)
	return s, nil
}

// The blog's own addresses.
func (s *Service) url(path string) string { return s.base.String() + path }

// ActorID is the actor's id.
func (s *Service) ActorID() string { return s.url("/ap/actor") }

// KeyID names the actor's key.
func (s *Service) KeyID() string { return s.ActorID() + "#main-key" }

// Host is the blog's host, as in @user@host.
func (s *Service) Host() string { return s.base.Host }

// Handle is @user@host.
func (s *Service) Handle() string { return "@" + s.cfg.Username + "@" + s.base.Host }

// PostURL is a post's address, which is also its Article's id.
func (s *Service) PostURL(slug string) string { return s.url("/posts/" + slug) }

// CommentID is the id of the blog's own comment as a Note.
func (s *Service) CommentID(id int64) string { return fmt.Sprintf("%s/ap/comments/%d", s.base, id) }

// Wake has the delivery queue looked at now (something was queued).
func (s *Service) Wake() { s.wake() }

func (s *Service) wake() {
	select {
	case s.poke <- struct{}{}:
	default:
	}
}

// postBySlug returns the published post a URL of the blog names, with its id.
func (s *Service) postOf(raw string) (int64, bool) {
	u, err := url.Parse(raw)
	if err != nil || !strings.EqualFold(u.Host, s.base.Host) {
		return 0, false
	}
	slug, ok := strings.CutPrefix(u.Path, "/posts/")
	if !ok {
		return 0, false
	}
	snap := s.cfg.Content.Current()
	p, found := snap.Lib.PostBySlug(strings.TrimSuffix(slug, "/"))
	if !found || p.Draft {
		return 0, false
	}
	return snap.PostID(p.Slug)
}

// ErrRefused refuses an activity the blog will not take (its actor's domain banned, an actor that is not the
// signer's).
var ErrRefused = errors.New("activitypub: refused")

// BadActivity refuses an activity that cannot be read; its message says why.
type BadActivity struct{ Msg string }

func (e BadActivity) Error() string { return e.Msg }
